//! The app root: translations, the router and the page table (kept equal to
//! `crate::routes::PAGES`, which the server uses for deep links).

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::shell::Shell;
use crate::editor::PipelineEditorPage;
use crate::i18n::I18nContextProvider;
use crate::pages::{
    account, audit_log, debug_terminal, home, inbox, job_templates, login, not_found, panels, permissions, pipelines,
    projects, registry, roles, run_detail, runs, schedule_records, tokens, users,
};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <I18nContextProvider>
            <Router>
                <Routes fallback=not_found::NotFoundPage>
                    <Route path=path!("/login") view=login::LoginPage />
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("") view=home::HomePage />
                        <Route path=path!("/forbidden") view=not_found::ForbiddenPage />
                        <Route path=path!("/account") view=account::AccountPage />
                        <Route path=path!("/account/tokens") view=tokens::TokensPage />
                        <Route path=path!("/inbox") view=inbox::InboxPage />
                        <Route path=path!("/projects/org") view=projects::OrgProjectsPage />
                        <Route path=path!("/projects/categories") view=projects::CategoriesPage />
                        <Route path=path!("/projects/new") view=projects::ProjectFormPage />
                        <Route path=path!("/projects/:id") view=projects::ProjectFormPage />
                        <Route path=path!("/repositories") view=registry::RepositoriesPage />
                        <Route path=path!("/repositories/new") view=registry::RepositoryFormPage />
                        <Route path=path!("/repositories/:id") view=registry::RepositoryFormPage />
                        <Route path=path!("/images") view=registry::ImagesPage />
                        <Route path=path!("/images/new") view=registry::ImageFormPage />
                        <Route path=path!("/images/:id") view=registry::ImageFormPage />
                        <Route path=path!("/job-templates") view=job_templates::TemplatesPage />
                        <Route path=path!("/job-templates/new") view=job_templates::TemplateFormPage />
                        <Route path=path!("/job-templates/:id") view=job_templates::TemplateFormPage />
                        <Route path=path!("/security/users") view=users::UsersPage />
                        <Route path=path!("/security/users/new") view=users::UserFormPage />
                        <Route path=path!("/security/users/:id") view=users::UserFormPage />
                        <Route path=path!("/security/roles") view=roles::RolesPage />
                        <Route path=path!("/security/roles/new") view=roles::RoleFormPage />
                        <Route path=path!("/security/roles/:id") view=roles::RoleFormPage />
                        <Route path=path!("/security/permissions") view=permissions::PermissionsPage />
                        <Route path=path!("/security/audit-log") view=audit_log::AuditLogPage />
                        <Route path=path!("/pipelines") view=pipelines::PipelinesPage />
                        <Route path=path!("/pipelines/:id") view=PipelineEditorPage />
                        <Route path=path!("/pipelines/:id/schedule") view=schedule_records::ScheduleRecordsPage />
                        <Route path=path!("/panels/:id") view=panels::PanelPage />
                        <Route path=path!("/runs") view=runs::RunsPage />
                        <Route path=path!("/runs/:id") view=run_detail::RunDetailPage />
                        <Route path=path!("/tasks/:id/debug") view=debug_terminal::DebugTerminalPage />
                    </ParentRoute>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}
