//! Registry repositories and runtime images: lists and forms.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::client::{self, ClientError};
use crate::components::gate::Gate;
use crate::components::list_page::ListPage;
use crate::components::status::{ErrorBox, FieldError, fetched, id_param};
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Image, ImageInput, NewRepository, Page, Repository, RepositoryUpdate};

#[component]
pub fn RepositoriesPage() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(|| client::get::<Page<Repository>>("/api/v1/repositories?page_size=200"));
    view! {
        <ListPage
            permission=PermissionKey::new(Action::List, Resource::Repositories)
            title=Signal::derive(move || t_string!(i18n, menu_repositories).to_owned())
            new=("/repositories/new", Signal::derive(move || t_string!(i18n, new_repository).to_owned()))
        >
                {fetched(list, move |list| view! {
                    <table>
                        <thead><tr><th>{t!(i18n, role_name)}</th><th>{t!(i18n, server)}</th><th>{t!(i18n, username)}</th>
                            <th>{t!(i18n, hubsecret)}</th><th>{t!(i18n, creator)}</th></tr></thead>
                        <tbody>
                            {list.items.into_iter().map(|r| view! {
                                <tr>
                                    <td><a href=format!("/repositories/{}", r.id)>{r.name.clone()}</a></td>
                                    <td><code>{r.server.clone()}</code></td>
                                    <td>{r.username.clone()}</td>
                                    <td><code>{r.hubsecret.clone()}</code></td>
                                    <td>{r.created_by.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
        </ListPage>
    }
}

#[component]
pub fn RepositoryFormPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = id_param().get_untracked();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let server = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let hubsecret = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<ClientError>);
    if let Some(id) = id {
        spawn_local(async move {
            match client::get::<Repository>(&format!("/api/v1/repositories/{id}")).await {
                Ok(r) => {
                    name.set(r.name);
                    server.set(r.server);
                    username.set(r.username);
                    hubsecret.set(r.hubsecret);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        spawn_local(async move {
            let secret = hubsecret.get_untracked();
            let pw = password.get_untracked();
            let result = match id {
                None => {
                    let body = NewRepository {
                        name: name.get_untracked(),
                        server: server.get_untracked(),
                        username: username.get_untracked(),
                        password: pw,
                        hubsecret: (!secret.is_empty()).then_some(secret),
                    };
                    client::post::<_, Repository>("/api/v1/repositories", &body).await
                }
                Some(id) => {
                    let body = RepositoryUpdate {
                        name: Some(name.get_untracked()),
                        server: Some(server.get_untracked()),
                        username: Some(username.get_untracked()),
                        password: (!pw.is_empty()).then_some(pw),
                        hubsecret: Some(secret),
                    };
                    client::patch::<_, Repository>(&format!("/api/v1/repositories/{id}"), &body).await
                }
            };
            match result {
                Ok(_) => navigate("/repositories", Default::default()),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let permission = PermissionKey::new(if id.is_some() { Action::Edit } else { Action::Add }, Resource::Repositories);
    view! {
        <Gate permission=permission>
            <section>
                <h1>{t!(i18n, menu_repositories)}</h1>
                <form class="card form" on:submit=save.clone()>
                    <label>{t!(i18n, role_name)}<input name="name" bind:value=name required /><FieldError error=error field="name" /></label>
                    <label>{t!(i18n, server)}<input name="server" placeholder="harbor.example.com/team/" bind:value=server required /><FieldError error=error field="server" /></label>
                    <label>{t!(i18n, username)}<input name="username" bind:value=username required /><FieldError error=error field="username" /></label>
                    <label>{move || if id.is_some() { t_string!(i18n, password_keep) } else { t_string!(i18n, password) }}
                        <input name="password" type="password" autocomplete="new-password" bind:value=password required=id.is_none() />
                        <FieldError error=error field="password" /></label>
                    <label>{t!(i18n, hubsecret)}<input name="hubsecret" bind:value=hubsecret /><FieldError error=error field="hubsecret" /></label>
                    {move || error.get().filter(|e| e.status() != Some(422)).map(|e| view! { <ErrorBox error=e /> })}
                    <div class="actions">
                        <a class="button secondary" href="/repositories">{t!(i18n, back)}</a>
                        <button type="submit">{t!(i18n, save)}</button>
                    </div>
                </form>
            </section>
        </Gate>
    }
}

#[component]
pub fn ImagesPage() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(|| client::get::<Page<Image>>("/api/v1/images?page_size=200"));
    view! {
        <ListPage
            permission=PermissionKey::new(Action::List, Resource::Images)
            title=Signal::derive(move || t_string!(i18n, menu_images).to_owned())
            new=("/images/new", Signal::derive(move || t_string!(i18n, new_image).to_owned()))
        >
                {fetched(list, move |list| view! {
                    <table>
                        <thead><tr><th>{t!(i18n, image_name)}</th><th>{t!(i18n, repository)}</th><th>{t!(i18n, description)}</th><th>{t!(i18n, creator)}</th></tr></thead>
                        <tbody>
                            {list.items.into_iter().map(|img| view! {
                                <tr>
                                    <td><a href=format!("/images/{}", img.id)><code>{img.name.clone()}</code></a></td>
                                    <td>{img.repository.as_ref().map(|r| r.name.clone()).unwrap_or_default()}</td>
                                    <td>{img.description.clone()}</td>
                                    <td>{img.created_by.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
        </ListPage>
    }
}

#[component]
pub fn ImageFormPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = id_param().get_untracked();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let repository = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let entrypoint = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<ClientError>);
    let repos = LocalResource::new(|| client::get::<Page<Repository>>("/api/v1/repositories?page_size=200"));
    if let Some(id) = id {
        spawn_local(async move {
            match client::get::<Image>(&format!("/api/v1/images/{id}")).await {
                Ok(img) => {
                    name.set(img.name);
                    repository.set(img.repository.map(|r| r.id.to_string()).unwrap_or_default());
                    description.set(img.description);
                    entrypoint.set(img.entrypoint);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let body = ImageInput {
            name: name.get_untracked(),
            repository_id: repository.get_untracked().parse().ok(),
            description: description.get_untracked(),
            entrypoint: entrypoint.get_untracked(),
        };
        spawn_local(async move {
            let result = match id {
                None => client::post::<_, Image>("/api/v1/images", &body).await,
                Some(id) => client::put::<_, Image>(&format!("/api/v1/images/{id}"), &body).await,
            };
            match result {
                Ok(_) => navigate("/images", Default::default()),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let permission = PermissionKey::new(if id.is_some() { Action::Edit } else { Action::Add }, Resource::Images);
    view! {
        <Gate permission=permission>
            <section>
                <h1>{t!(i18n, menu_images)}</h1>
                <form class="card form" on:submit=save.clone()>
                    <label>{t!(i18n, image_name)}<input name="name" placeholder="registry.example.com/team/image:tag" bind:value=name required /><FieldError error=error field="name" /></label>
                    <label>{t!(i18n, repository)}
                        <select name="repository" on:change=move |ev| repository.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, none)}</option>
                            {move || repos.get().and_then(Result::ok).map(|page| page.items.into_iter().map(|r| {
                                let value = r.id.to_string();
                                let selected = { let value = value.clone(); move || repository.get() == value };
                                view! { <option value=value selected=selected>{r.name}</option> }
                            }).collect_view())}
                        </select>
                        <FieldError error=error field="repository_id" />
                    </label>
                    <label>{t!(i18n, description)}<input name="description" bind:value=description /></label>
                    <label>{t!(i18n, entrypoint)}<input name="entrypoint" bind:value=entrypoint /></label>
                    {move || error.get().filter(|e| e.status() != Some(422)).map(|e| view! { <ErrorBox error=e /> })}
                    <div class="actions">
                        <a class="button secondary" href="/images">{t!(i18n, back)}</a>
                        <button type="submit">{t!(i18n, save)}</button>
                    </div>
                </form>
            </section>
        </Gate>
    }
}
