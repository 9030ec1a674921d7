//! User administration: the list and the create / edit form.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use super::when;
use crate::client::{self, ClientError};
use crate::components::gate::Gate;
use crate::components::list_page::ListPage;
use crate::components::pager::Pager;
use crate::components::status::{ErrorBox, FieldError, fetched, id_param};
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{NewUser, Page, Role, RoleId, RoleKind, User, UserUpdate};

const PAGE_SIZE: u32 = 20;

#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListPage
            permission=PermissionKey::new(Action::List, Resource::Users)
            title=Signal::derive(move || t_string!(i18n, users_title).to_owned())
            new=("/security/users/new", Signal::derive(move || t_string!(i18n, new_user).to_owned()))
        >
            <UserList />
        </ListPage>
    }
}

#[component]
fn UserList() -> impl IntoView {
    let i18n = use_i18n();
    let page = RwSignal::new(1u32);
    let users = LocalResource::new(move || {
        let p = page.get();
        async move { client::get::<Page<User>>(&format!("/api/v1/users?page={p}&page_size={PAGE_SIZE}")).await }
    });
    let total = Signal::derive(move || users.get().and_then(Result::ok).map_or(0, |p| p.total));
    view! {
            {fetched(users, move |list| view! {
                    <table>
                        <thead><tr>
                            <th>{t!(i18n, username)}</th><th>{t!(i18n, nickname)}</th><th>{t!(i18n, email)}</th>
                            <th>{t!(i18n, roles)}</th><th>{t!(i18n, active)}</th><th>{t!(i18n, last_login)}</th>
                        </tr></thead>
                        <tbody>
                            {list.items.into_iter().map(|u| {
                                let roles = u.roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>().join(", ");
                                let last = u.last_login_at.as_ref().map(when);
                                view! {
                                    <tr>
                                        <td><a href=format!("/security/users/{}", u.id)>{u.username.clone()}</a></td>
                                        <td>{u.nickname.clone()}</td>
                                        <td>{u.email.clone().unwrap_or_default()}</td>
                                        <td>{roles}</td>
                                        <td>{if u.active { t_string!(i18n, yes) } else { t_string!(i18n, no) }}</td>
                                        <td>{last.unwrap_or_else(|| t_string!(i18n, never).to_string())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            <Pager page=page page_size=PAGE_SIZE total=total />

    }
}

/// `/security/users/new` and `/security/users/:id`.
#[component]
pub fn UserFormPage() -> impl IntoView {
    let id = id_param();
    let permission =
        move || PermissionKey::new(if id.get().is_some() { Action::Edit } else { Action::Add }, Resource::Users);
    view! {
        {move || {
            let id = id.get();
            view! {
                <Gate permission=permission()>
                    <UserForm id=id />
                </Gate>
            }
        }}
    }
}

#[component]
fn UserForm(id: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let nickname = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let active = RwSignal::new(true);
    let selected = RwSignal::new(BTreeSet::<RoleId>::new());
    let (error, set_error) = signal(None::<ClientError>);
    let (busy, set_busy) = signal(false);
    let roles = LocalResource::new(|| client::get::<Page<Role>>("/api/v1/roles?personal=false&page_size=200"));
    if let Some(id) = id {
        spawn_local(async move {
            match client::get::<User>(&format!("/api/v1/users/{id}")).await {
                Ok(u) => {
                    username.set(u.username);
                    nickname.set(u.nickname);
                    email.set(u.email.unwrap_or_default());
                    active.set(u.active);
                    selected.set(u.roles.iter().map(|r| r.id).collect());
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        set_busy.set(true);
        // Personal roles are in `selected` too (never shown, never toggled), so they are kept.
        let roles: Vec<RoleId> = selected.get_untracked().into_iter().collect();
        spawn_local(async move {
            let result = match id {
                None => {
                    let body = NewUser {
                        username: username.get_untracked(),
                        nickname: Some(nickname.get_untracked()),
                        email: Some(email.get_untracked()),
                        password: password.get_untracked(),
                        roles,
                    };
                    client::post::<_, User>("/api/v1/users", &body).await
                }
                Some(id) => {
                    let pw = password.get_untracked();
                    let body = UserUpdate {
                        nickname: Some(nickname.get_untracked()),
                        email: Some(email.get_untracked()),
                        password: (!pw.is_empty()).then_some(pw),
                        active: Some(active.get_untracked()),
                        roles: Some(roles),
                    };
                    client::patch::<_, User>(&format!("/api/v1/users/{id}"), &body).await
                }
            };
            set_busy.set(false);
            match result {
                Ok(_) => navigate("/security/users", Default::default()),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let role_boxes = move || {
        roles.get().map(|r| match r {
            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            Ok(page) => page
                .items
                .into_iter()
                .filter(|r| r.kind != RoleKind::Personal)
                .map(|role| {
                    let rid = role.id;
                    view! {
                        <label class="check">
                            <input type="checkbox" name="role" value=role.name.clone()
                                prop:checked=move || selected.with(|s| s.contains(&rid))
                                on:change=move |_| selected.update(|s| if !s.remove(&rid) { s.insert(rid); }) />
                            {role.name.clone()}
                        </label>
                    }
                })
                .collect_view()
                .into_any(),
        })
    };
    view! {
        <section>
            <h1>{move || if id.is_some() { t_string!(i18n, edit_user) } else { t_string!(i18n, new_user) }}</h1>
            <form class="card form" on:submit=save>
                <label>{t!(i18n, username)}
                    <input name="username" bind:value=username disabled=id.is_some() required />
                    <FieldError error=error field="username" />
                </label>
                <label>{t!(i18n, nickname)}
                    <input name="nickname" bind:value=nickname />
                    <FieldError error=error field="nickname" />
                </label>
                <label>{t!(i18n, email)}
                    <input name="email" type="email" bind:value=email />
                    <FieldError error=error field="email" />
                </label>
                <label>{move || if id.is_some() { t_string!(i18n, new_password) } else { t_string!(i18n, password) }}
                    <input name="password" type="password" autocomplete="new-password" bind:value=password required=id.is_none() />
                    <FieldError error=error field="password" />
                </label>
                {id.is_some().then(|| view! {
                    <label class="check">
                        <input type="checkbox" name="active" bind:checked=active />
                        {t!(i18n, active)}
                    </label>
                    <FieldError error=error field="active" />
                })}
                <fieldset>
                    <legend>{t!(i18n, roles)}</legend>
                    {role_boxes}
                    <FieldError error=error field="roles" />
                </fieldset>
                {move || error.get().filter(|e| e.field("username").is_none() && e.field("password").is_none()
                    && e.field("email").is_none() && e.field("roles").is_none())
                    .map(|e| view! { <ErrorBox error=e /> })}
                <div class="actions">
                    <a class="button secondary" href="/security/users">{t!(i18n, back)}</a>
                    <button type="submit" disabled=busy>
                        {move || if busy.get() { t_string!(i18n, saving) } else { t_string!(i18n, save) }}
                    </button>
                </div>
            </form>
        </section>
    }
}
