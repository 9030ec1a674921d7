//! Project groups and template categories: lists, the create / edit form with the typed
//! expand shown as fields and as JSON, and the members of an org project.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde_json::{Map, Value, json};

use crate::client::{self, ClientError};
use crate::components::gate::Gate;
use crate::components::list_page::ListPage;
use crate::components::pager::Pager;
use crate::components::status::{ErrorBox, FieldError, fetched, id_param};
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{
    Member, NewMember, NewProject, Page, Project, ProjectExpand, ProjectKind, ProjectRole, ProjectUpdate,
};

const PAGE_SIZE: u32 = 50;

fn summary(p: &Project) -> String {
    match &p.expand {
        ProjectExpand::Org(o) => format!("{} · org={}", o.cluster, o.org),
        ProjectExpand::Category(c) => format!("#{}", c.index),
    }
}

#[component]
pub fn OrgProjectsPage() -> impl IntoView {
    view! { <ProjectList kind=ProjectKind::Org /> }
}

#[component]
pub fn CategoriesPage() -> impl IntoView {
    view! { <ProjectList kind=ProjectKind::JobTemplate /> }
}

#[component]
fn ProjectList(kind: ProjectKind) -> impl IntoView {
    let i18n = use_i18n();
    let page = RwSignal::new(1u32);
    let list = LocalResource::new(move || {
        let p = page.get();
        async move {
            client::get::<Page<Project>>(&format!(
                "/api/v1/projects?kind={}&page={p}&page_size={PAGE_SIZE}",
                kind.as_str()
            ))
            .await
        }
    });
    let total = Signal::derive(move || list.get().and_then(Result::ok).map_or(0, |p| p.total));
    let title = Signal::derive(move || match kind {
        ProjectKind::Org => t_string!(i18n, menu_project_groups).to_owned(),
        ProjectKind::JobTemplate => t_string!(i18n, menu_template_categories).to_owned(),
    });
    let new_label = Signal::derive(move || match kind {
        ProjectKind::Org => t_string!(i18n, new_project).to_owned(),
        ProjectKind::JobTemplate => t_string!(i18n, new_category).to_owned(),
    });
    let new_href = match kind {
        ProjectKind::Org => "/projects/new?kind=org",
        ProjectKind::JobTemplate => "/projects/new?kind=job-template",
    };
    view! {
        <ListPage permission=PermissionKey::new(Action::List, Resource::Projects) title=title new=(new_href, new_label)>
                {fetched(list, move |list| view! {
                    <table>
                        <thead><tr>
                            <th>{t!(i18n, role_name)}</th><th>{t!(i18n, description)}</th><th>{t!(i18n, expand_json)}</th>
                            <th>{t!(i18n, members)}</th><th>{t!(i18n, my_role)}</th>
                        </tr></thead>
                        <tbody>
                            {list.items.into_iter().map(|p| view! {
                                <tr>
                                    <td><a href=format!("/projects/{}", p.id)>{p.name.clone()}</a></td>
                                    <td>{p.description.clone()}</td>
                                    <td><code>{summary(&p)}</code></td>
                                    <td>{p.member_count}</td>
                                    <td>{p.my_role.map(|r| r.as_str()).unwrap_or("—")}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
                <Pager page=page page_size=PAGE_SIZE total=total />
        </ListPage>
    }
}

/// `/projects/new?kind=…` and `/projects/:id`.
#[component]
pub fn ProjectFormPage() -> impl IntoView {
    let id = id_param();
    let query = use_query_map();
    move || {
        let id = id.get();
        let kind = query.with(|q| q.get("kind")).and_then(|k| ProjectKind::parse(&k)).unwrap_or(ProjectKind::Org);
        let permission = PermissionKey::new(if id.is_some() { Action::Show } else { Action::Add }, Resource::Projects);
        view! { <Gate permission=permission><ProjectForm id=id new_kind=kind /></Gate> }
    }
}

#[component]
fn ProjectForm(id: Option<i64>, new_kind: ProjectKind) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let kind = RwSignal::new(new_kind);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let cluster = RwSignal::new(String::new());
    let org = RwSignal::new("public".to_owned());
    let node_selector = RwSignal::new(String::new());
    let volume_mount = RwSignal::new(String::new());
    let index = RwSignal::new("0".to_owned());
    let extra = RwSignal::new(Map::<String, Value>::new());
    let warnings = RwSignal::new(Vec::<String>::new());
    let (error, set_error) = signal(None::<ClientError>);
    let load = move |p: Project| {
        kind.set(p.kind);
        name.set(p.name);
        description.set(p.description);
        warnings.set(p.warnings);
        match p.expand {
            ProjectExpand::Org(o) => {
                cluster.set(o.cluster);
                org.set(o.org);
                node_selector.set(o.node_selector);
                volume_mount.set(o.volume_mount);
                extra.set(o.extra);
            }
            ProjectExpand::Category(c) => {
                index.set(c.index.to_string());
                extra.set(c.extra);
            }
        }
    };
    if let Some(id) = id {
        spawn_local(async move {
            match client::get::<Project>(&format!("/api/v1/projects/{id}")).await {
                Ok(p) => load(p),
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    let expand = Memo::new(move |_| {
        let mut map = extra.get();
        let fields = match kind.get() {
            ProjectKind::Org => {
                json!({"cluster": cluster.get(), "org": org.get(), "node_selector": node_selector.get(),
                "volume_mount": volume_mount.get()})
            }
            ProjectKind::JobTemplate => {
                json!({"index": index.get().trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(index.get()))})
            }
        };
        if let Value::Object(fields) = fields {
            for (k, v) in fields {
                if v.as_str() != Some("") {
                    map.insert(k, v);
                }
            }
        }
        map
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match id {
                None => {
                    let body = NewProject {
                        name: name.get_untracked(),
                        kind: kind.get_untracked(),
                        description: description.get_untracked(),
                        expand: expand.get_untracked(),
                    };
                    client::post::<_, Project>("/api/v1/projects", &body).await
                }
                Some(id) => {
                    let body = ProjectUpdate {
                        name: Some(name.get_untracked()),
                        description: Some(description.get_untracked()),
                        expand: Some(expand.get_untracked()),
                    };
                    client::patch::<_, Project>(&format!("/api/v1/projects/{id}"), &body).await
                }
            };
            match result {
                Ok(p) if id.is_none() => navigate(&format!("/projects/{}", p.id), Default::default()),
                Ok(p) => {
                    set_error.set(None);
                    load(p)
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let back = move || if kind.get() == ProjectKind::Org { "/projects/org" } else { "/projects/categories" };
    view! {
        <section>
            <h1>{move || if name.get().is_empty() { t_string!(i18n, new_project).to_owned() } else { name.get() }}</h1>
            <form class="card form" on:submit=save>
                <label>{t!(i18n, role_name)}<input name="name" bind:value=name required /><FieldError error=error field="name" /></label>
                <label>{t!(i18n, description)}<input name="description" bind:value=description /><FieldError error=error field="description" /></label>
                {move || match kind.get() {
                    ProjectKind::Org => view! {
                        <label>{t!(i18n, cluster)}<input name="cluster" bind:value=cluster /><FieldError error=error field="expand.cluster" /></label>
                        <label>{t!(i18n, resource_group)}<input name="org" bind:value=org /><FieldError error=error field="expand.org" /></label>
                        <label>{t!(i18n, node_selector)}<input name="node_selector" placeholder="zone=a;disk=ssd" bind:value=node_selector /><FieldError error=error field="expand.node_selector" /></label>
                        <label>{t!(i18n, volume_mount)}<input name="volume_mount" placeholder="kubeflow-user-workspace(pvc):/mnt" bind:value=volume_mount /><FieldError error=error field="expand.volume_mount" /></label>
                    }.into_any(),
                    ProjectKind::JobTemplate => view! {
                        <label>{t!(i18n, index)}<input name="index" type="number" bind:value=index /><FieldError error=error field="expand.index" /></label>
                    }.into_any(),
                }}
                <details>
                    <summary>{t!(i18n, expand_json)}</summary>
                    <pre class="json" data-testid="expand-json">{move || serde_json::to_string_pretty(&expand.get()).unwrap_or_default()}</pre>
                </details>
                {move || (!warnings.get().is_empty()).then(|| view! { <div class="notice">{warnings.get().join("; ")}</div> })}
                {move || error.get().filter(|e| e.status() != Some(422)).map(|e| view! { <ErrorBox error=e /> })}
                <div class="actions">
                    <a class="button secondary" href=back>{t!(i18n, back)}</a>
                    <button type="submit">{t!(i18n, save)}</button>
                </div>
            </form>
            {move || (id.is_some() && kind.get() == ProjectKind::Org).then(|| view! { <Members id=id.unwrap_or_default() /> })}
        </section>
    }
}

#[component]
fn Members(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let members = RwSignal::new(Vec::<Member>::new());
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(ProjectRole::Dev);
    let (error, set_error) = signal(None::<ClientError>);
    let apply = move |result: client::ApiResult<Vec<Member>>| match result {
        Ok(list) => {
            members.set(list);
            set_error.set(None)
        }
        Err(e) => set_error.set(Some(e)),
    };
    spawn_local(async move { apply(client::get(&format!("/api/v1/projects/{id}/members")).await) });
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewMember { username: username.get_untracked(), role: role.get_untracked() };
        spawn_local(async move { apply(client::post(&format!("/api/v1/projects/{id}/members"), &body).await) });
    };
    let remove = move |user: i64| {
        spawn_local(async move {
            let path = format!("/api/v1/projects/{id}/members/{user}");
            match client::delete(&path).await {
                Ok(()) => apply(client::get(&format!("/api/v1/projects/{id}/members")).await),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    view! {
        <h2>{t!(i18n, members)}</h2>
        <table>
            <thead><tr><th>{t!(i18n, username)}</th><th>{t!(i18n, member_role)}</th><th></th></tr></thead>
            <tbody>
                {move || members.get().into_iter().map(|m| {
                    let user = m.user_id.0;
                    view! {
                        <tr>
                            <td>{m.username.clone()}</td>
                            <td>{m.role.as_str()}</td>
                            <td><button class="danger" on:click=move |_| remove(user)>{t!(i18n, remove)}</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <form class="card form inline" on:submit=add>
            <label>{t!(i18n, username)}<input name="member" bind:value=username required /></label>
            <label>{t!(i18n, member_role)}
                <select on:change=move |ev| role.set(ProjectRole::parse(&event_target_value(&ev)).unwrap_or(ProjectRole::Dev))>
                    <option value="dev">"dev"</option>
                    <option value="ops">"ops"</option>
                    <option value="creator">"creator"</option>
                </select>
            </label>
            <button type="submit">{t!(i18n, add_member)}</button>
        </form>
        {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
    }
}
