//! The permission catalog, read-only (permissions come from the code).

use leptos::prelude::*;

use crate::client;
use crate::components::list_page::ListPage;
use crate::components::status::fetched;
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Page, Permission};

#[component]
pub fn PermissionsPage() -> impl IntoView {
    let i18n = use_i18n();
    let perms = LocalResource::new(|| client::get::<Page<Permission>>("/api/v1/permissions?page_size=200"));
    view! {
        <ListPage
            permission=PermissionKey::new(Action::List, Resource::Permissions)
            title=Signal::derive(move || t_string!(i18n, permissions_title).to_owned())
        >
                {fetched(perms, move |page| view! {
                        <table>
                            <thead><tr><th>{t!(i18n, resource)}</th><th>{t!(i18n, action)}</th><th>{t!(i18n, admin_only)}</th></tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|p| view! {
                                    <tr>
                                        <td>{p.resource.as_str()}</td>
                                        <td>{p.action.as_str()}</td>
                                        <td>{if p.admin_only { t_string!(i18n, yes) } else { t_string!(i18n, no) }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
        </ListPage>
    }
}
