//! Role administration: the list and the form with its permission matrix.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::client::{self, ClientError};
use crate::components::gate::Gate;
use crate::components::pager::Pager;
use crate::components::status::{ErrorBox, FieldError, fetched, id_param};
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Page, Permission, PermissionId, Role, RoleInput, RoleKind};

const PAGE_SIZE: u32 = 20;

fn kind_label(i18n: leptos_i18n::I18nContext<Locale>, kind: RoleKind) -> &'static str {
    match kind {
        RoleKind::Builtin => t_string!(i18n, kind_builtin),
        RoleKind::Personal => t_string!(i18n, kind_personal),
        RoleKind::Custom => t_string!(i18n, kind_custom),
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let i18n = use_i18n();
    let page = RwSignal::new(1u32);
    let personal = RwSignal::new(false);
    let roles = LocalResource::new(move || {
        let (p, personal) = (page.get(), personal.get());
        async move {
            client::get::<Page<Role>>(&format!("/api/v1/roles?page={p}&page_size={PAGE_SIZE}&personal={personal}"))
                .await
        }
    });
    let total = Signal::derive(move || roles.get().and_then(Result::ok).map_or(0, |p| p.total));
    view! {
        <Gate permission=PermissionKey::new(Action::List, Resource::Roles)>
            <section>
                <div class="page-head">
                    <h1>{t!(i18n, roles_title)}</h1>
                    <label class="check">
                        <input type="checkbox" bind:checked=personal on:change=move |_| page.set(1) />
                        {t!(i18n, include_personal)}
                    </label>
                    <a class="button" href="/security/roles/new">{t!(i18n, new_role)}</a>
                </div>
                {fetched(roles, move |list| view! {
                        <table>
                            <thead><tr>
                                <th>{t!(i18n, role_name)}</th><th>{t!(i18n, kind)}</th>
                                <th>{t!(i18n, user_count)}</th><th>{t!(i18n, permission_count)}</th>
                            </tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|r| view! {
                                    <tr>
                                        <td><a href=format!("/security/roles/{}", r.id)>{r.name.clone()}</a></td>
                                        <td>{kind_label(i18n, r.kind)}</td>
                                        <td>{r.user_count}</td>
                                        <td>{r.permissions.len()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                <Pager page=page page_size=PAGE_SIZE total=total />
            </section>
        </Gate>
    }
}

/// `/security/roles/new` and `/security/roles/:id`.
#[component]
pub fn RoleFormPage() -> impl IntoView {
    let id = id_param();
    move || {
        let id = id.get();
        let permission = PermissionKey::new(if id.is_some() { Action::Edit } else { Action::Add }, Resource::Roles);
        view! { <Gate permission=permission><RoleForm id=id /></Gate> }
    }
}

#[component]
fn RoleForm(id: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(RoleKind::Custom);
    let granted = RwSignal::new(BTreeSet::<PermissionId>::new());
    let (error, set_error) = signal(None::<ClientError>);
    let (busy, set_busy) = signal(false);
    let catalog = LocalResource::new(|| client::get::<Page<Permission>>("/api/v1/permissions?page_size=200"));
    if let Some(id) = id {
        spawn_local(async move {
            match client::get::<Role>(&format!("/api/v1/roles/{id}")).await {
                Ok(role) => {
                    name.set(role.name);
                    kind.set(role.kind);
                    granted.set(role.permissions.into_iter().collect());
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    let readonly = move || kind.get() == RoleKind::Builtin;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let body = RoleInput { name: name.get_untracked(), permissions: granted.get_untracked().into_iter().collect() };
        set_busy.set(true);
        spawn_local(async move {
            let result = match id {
                None => client::post::<_, Role>("/api/v1/roles", &body).await,
                Some(id) => client::put::<_, Role>(&format!("/api/v1/roles/{id}"), &body).await,
            };
            set_busy.set(false);
            match result {
                Ok(_) => navigate("/security/roles", Default::default()),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let matrix = move || {
        catalog.get().map(|c| match c {
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            Ok(page) => {
                view! { <Matrix catalog=page.items granted=granted readonly=Signal::derive(readonly) /> }.into_any()
            }
        })
    };
    view! {
        <section>
            <h1>{move || if id.is_some() { t_string!(i18n, edit_role) } else { t_string!(i18n, new_role) }}</h1>
            <form class="card form wide" on:submit=save>
                {move || readonly().then(|| view! { <p class="notice">{t!(i18n, builtin_readonly)}</p> })}
                <label>{t!(i18n, role_name)}
                    <input name="name" bind:value=name required disabled=readonly />
                    <FieldError error=error field="name" />
                </label>
                <h2>{t!(i18n, permission_matrix)}</h2>
                {matrix}
                {move || error.get().filter(|e| e.field("name").is_none()).map(|e| view! { <ErrorBox error=e /> })}
                <div class="actions">
                    <a class="button secondary" href="/security/roles">{t!(i18n, back)}</a>
                    <button type="submit" disabled=move || busy.get() || readonly()>{t!(i18n, save)}</button>
                </div>
            </form>
        </section>
    }
}

/// Resources as rows, actions as columns, a checkbox where the permission exists.
#[component]
fn Matrix(
    catalog: Vec<Permission>,
    granted: RwSignal<BTreeSet<PermissionId>>,
    readonly: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let resources: BTreeSet<Resource> = catalog.iter().map(|p| p.resource).collect();
    let actions: Vec<Action> = Action::ALL.iter().copied().filter(|a| catalog.iter().any(|p| p.action == *a)).collect();
    let header = actions.iter().map(|a| view! { <th>{a.as_str()}</th> }).collect_view();
    let rows = resources
        .into_iter()
        .map(|resource| {
            let cells = actions
                .iter()
                .map(|action| {
                    let found = catalog.iter().find(|p| p.resource == resource && p.action == *action).map(|p| p.id);
                    match found {
                        None => view! { <td></td> }.into_any(),
                        Some(pid) => view! {
                            <td>
                                <input type="checkbox" aria-label=format!("{action}:{resource}") disabled=readonly
                                    prop:checked=move || granted.with(|g| g.contains(&pid))
                                    on:change=move |_| granted.update(|g| if !g.remove(&pid) { g.insert(pid); }) />
                            </td>
                        }
                        .into_any(),
                    }
                })
                .collect_view();
            view! { <tr><th scope="row">{resource.as_str()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table class="matrix">
            <thead><tr><th>{t!(i18n, resource)}</th>{header}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
