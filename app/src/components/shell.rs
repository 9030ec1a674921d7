//! The frame around every signed-in page: top bar (user, language, sign-out), side
//! navigation filtered by permissions, and the page itself.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate};

use super::session::Session;
use super::status::{ErrorBox, Loading};
use crate::client::{self, ClientError};
use crate::domain::language::Language;
use crate::domain::menu::visible_menu;
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Me, MeUpdate, Panel, TaskIsolation};

/// Session-storage key remembering embed mode across in-app navigation.
const EMBED_KEY: &str = "cubist_embed";

/// Whether the app runs without its chrome inside another portal: `?embed=1` turns it on for
/// the rest of the visit, `?embed=0` off.
fn embed_mode() -> bool {
    let window = web_sys::window();
    let storage = window.as_ref().and_then(|w| w.session_storage().ok().flatten());
    let query = window.as_ref().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let param = |value: &str| query.trim_start_matches('?').split('&').any(|kv| kv == format!("embed={value}"));
    if let Some(s) = &storage {
        if param("1") {
            let _ = s.set_item(EMBED_KEY, "1");
        } else if param("0") {
            let _ = s.remove_item(EMBED_KEY);
        }
    }
    storage.and_then(|s| s.get_item(EMBED_KEY).ok().flatten()).is_some() || param("1")
}

/// The translated label of a menu key from `domain::menu`.
fn menu_label(i18n: leptos_i18n::I18nContext<Locale>, key: &str) -> String {
    match key {
        "workspace" => t_string!(i18n, menu_workspace),
        "security" => t_string!(i18n, menu_security),
        "account" => t_string!(i18n, menu_account),
        "home" => t_string!(i18n, menu_home),
        "users" => t_string!(i18n, menu_users),
        "roles" => t_string!(i18n, menu_roles),
        "permissions" => t_string!(i18n, menu_permissions),
        "audit_log" => t_string!(i18n, menu_audit_log),
        "profile" => t_string!(i18n, menu_profile),
        "projects" => t_string!(i18n, menu_projects),
        "project_groups" => t_string!(i18n, menu_project_groups),
        "template_categories" => t_string!(i18n, menu_template_categories),
        "training" => t_string!(i18n, menu_training),
        "job_templates" => t_string!(i18n, menu_job_templates),
        "images" => t_string!(i18n, menu_images),
        "repositories" => t_string!(i18n, menu_repositories),
        "api_tokens" => t_string!(i18n, menu_api_tokens),
        "pipelines" => t_string!(i18n, menu_pipelines),
        "runs" => t_string!(i18n, menu_runs),
        "panels" => t_string!(i18n, menu_panels),
        other => other,
    }
    .to_string()
}

pub fn locale_of(language: Language) -> Locale {
    match language {
        Language::En => Locale::en,
        Language::Zh => Locale::zh,
    }
}

fn language_of(locale: Locale) -> Language {
    match locale {
        Locale::en => Language::En,
        Locale::zh => Language::Zh,
    }
}

#[component]
pub fn Shell() -> impl IntoView {
    let i18n = use_i18n();
    let session = Session { me: RwSignal::new(None) };
    provide_context(session);
    provide_context(crate::pages::inbox::Unread(RwSignal::new(0)));
    let (error, set_error) = signal(None::<ClientError>);
    let navigate = use_navigate();
    let embedded = embed_mode();
    let panels = RwSignal::new(Vec::<Panel>::new());
    spawn_local(async move {
        match client::get::<Me>("/api/v1/me").await {
            Ok(me) => {
                if let Some(language) = me.user.language {
                    i18n.set_locale(locale_of(language));
                }
                let see_panels = me.permissions.contains(&PermissionKey::new(Action::List, Resource::Panels));
                session.me.set(Some(me));
                if see_panels && let Ok(list) = client::get::<Vec<Panel>>("/api/v1/panels").await {
                    panels.set(list);
                }
            }
            Err(e) if e.status() == Some(401) => navigate("/login", Default::default()),
            Err(e) => set_error.set(Some(e)),
        }
    });
    move || {
        if let Some(e) = error.get() {
            return view! { <ErrorBox error=e /> }.into_any();
        }
        match session.me.get() {
            None => view! { <Loading /> }.into_any(),
            Some(_) if embedded => view! {
                <div class="layout embed" data-testid="embed-layout">
                    <main class="content">
                        <Outlet />
                    </main>
                </div>
            }
            .into_any(),
            Some(me) => view! {
                <div class="layout">
                    <TopBar username=me.user.nickname.clone() />
                    <SideNav panels=panels />
                    <main class="content">
                        <IsolationBanner isolation=me.task_isolation />
                        <Outlet />
                    </main>
                </div>
            }
            .into_any(),
        }
    }
}

/// Warns everyone when local tasks run unisolated or cannot run at all.
#[component]
fn IsolationBanner(isolation: TaskIsolation) -> impl IntoView {
    let i18n = use_i18n();
    let text = move || match isolation {
        TaskIsolation::Off => t_string!(i18n, isolation_off),
        _ => t_string!(i18n, isolation_unavailable),
    };
    (isolation != TaskIsolation::Isolated).then(
        || view! { <div class="error isolation-warning" role="alert" data-testid="isolation-warning">{text}</div> },
    )
}

#[component]
fn TopBar(username: String) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let logout = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let _ = client::post_empty("/api/v1/auth/logout").await;
            navigate("/login", Default::default());
        });
    };
    let switch = move |ev: leptos::ev::Event| {
        let locale = if event_target_value(&ev) == "zh" { Locale::zh } else { Locale::en };
        i18n.set_locale(locale);
        let body = MeUpdate { nickname: None, language: Some(Some(language_of(locale))) };
        spawn_local(async move {
            let _ = client::patch::<_, Me>("/api/v1/me", &body).await;
        });
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">{t!(i18n, app_name)}</a>
            <span class="spacer"></span>
            <select class="language" aria-label=move || t_string!(i18n, language) on:change=switch>
                <option value="en" selected=move || i18n.get_locale() == Locale::en>"English"</option>
                <option value="zh" selected=move || i18n.get_locale() == Locale::zh>"简体中文"</option>
            </select>
            <crate::pages::inbox::InboxLink />
            <span class="user" data-testid="current-user">{username}</span>
            <button class="secondary" on:click=logout>{t!(i18n, sign_out)}</button>
        </header>
    }
}

#[component]
fn SideNav(panels: RwSignal<Vec<Panel>>) -> impl IntoView {
    let i18n = use_i18n();
    let session = super::session::use_session();
    let location = use_location();
    move || {
        let granted = session.permissions();
        let current = location.pathname.get();
        let groups = visible_menu(&granted);
        view! {
            <nav class="sidenav" aria-label="main">
                {groups
                    .into_iter()
                    .map(|(group, items)| {
                        view! {
                            <div class="nav-group">
                                <h3>{menu_label(i18n, group.label)}</h3>
                                <ul>
                                    {items
                                        .into_iter()
                                        .map(|item| {
                                            let active = current == item.path
                                                || (item.path != "/" && current.starts_with(item.path));
                                            view! {
                                                <li>
                                                    <a href=item.path class:active=active>
                                                        {menu_label(i18n, item.label)}
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </div>
                        }
                    })
                    .collect_view()}
                {(!panels.with(Vec::is_empty)).then(|| view! {
                    <div class="nav-group">
                        <h3>{menu_label(i18n, "panels")}</h3>
                        <ul>
                            {panels.get().into_iter().map(|p| {
                                let path = format!("/panels/{}", p.id);
                                let active = current == path;
                                view! { <li><a href=path class:active=active>{p.title}</a></li> }
                            }).collect_view()}
                        </ul>
                    </div>
                })}
            </nav>
        }
    }
}
