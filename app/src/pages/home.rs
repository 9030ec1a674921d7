//! The home page: a "new pipeline" card and the demo gallery (open or copy a demo into your
//! project), then the pipelines tabs "mine" and "shared with me".

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::client::{self, ClientError};
use crate::components::pager::Pager;
use crate::components::session::use_session;
use crate::components::status::{ErrorBox, fetched};
use crate::i18n::*;
use crate::model::{
    GraphInput, Page, PipelineCopy, PipelineFields, PipelineGraph, PipelineInput, PipelineSummary, ProjectId,
};

/// Picture of a demo card without its own.
const FALLBACK_PICTURE: &str = "/gallery/default.svg";
const TAB_PAGE_SIZE: u32 = 20;

/// A fresh pipeline name: `<user>-<base-36 time>`, within the name rule.
fn new_name(username: &str) -> String {
    let mut n = js_sys::Date::now() as u64;
    let mut stamp = String::new();
    while n > 0 {
        stamp.insert(0, char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
        n /= 36;
    }
    let user: String = username.chars().take(30).collect();
    format!("{}-{stamp}", user.trim_end_matches('-'))
}

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let demos = LocalResource::new(|| client::get::<Page<PipelineSummary>>("/api/v1/pipelines?demo=true&page_size=50"));
    view! {
        <section class="home">
            <h1>{t!(i18n, home_title)}</h1>
            <div class="gallery" data-testid="gallery">
                <NewPipelineCard />
                {fetched(demos, |page| page.items.into_iter().map(|p| view! { <DemoCard pipeline=p /> }).collect_view())}
            </div>
            <PipelineTabs />
        </section>
    }
}

#[component]
fn NewPipelineCard() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<ClientError>);
    let projects = move || session.me.with(|me| me.as_ref().map(|m| m.projects.clone()).unwrap_or_default());
    let project = RwSignal::new(None::<i64>);
    let create = move |_| {
        let Some(me) = session.me.get_untracked() else { return };
        let Some(project_id) = project.get_untracked().or_else(|| me.projects.first().map(|p| p.project_id.0)) else {
            return;
        };
        let fields: PipelineFields =
            match serde_json::from_value(serde_json::json!({ "name": new_name(&me.user.username) })) {
                Ok(f) => f,
                Err(_) => return,
            };
        let body = GraphInput {
            pipeline: PipelineInput { project_id: ProjectId(project_id), fields },
            tasks: Vec::new(),
            base_updated_at: None,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match client::post::<_, PipelineGraph>("/api/v1/pipelines", &body).await {
                Ok(created) => navigate(&format!("/pipelines/{}", created.pipeline.id), Default::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <article class="card new-card">
            <div class="card-picture new-picture">"+"</div>
            <h3>{t!(i18n, home_new_pipeline)}</h3>
            <select aria-label=move || t_string!(i18n, editor_project)
                on:change=move |ev| project.set(event_target_value(&ev).parse().ok())>
                {move || projects().into_iter().map(|p| view! { <option value=p.project_id.0>{p.name}</option> }).collect_view()}
            </select>
            <button data-testid="new-pipeline" on:click=create>{t!(i18n, create)}</button>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        </article>
    }
}

#[component]
fn DemoCard(pipeline: PipelineSummary) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<ClientError>);
    let id = pipeline.id;
    let picture = pipeline.img.clone().unwrap_or_else(|| FALLBACK_PICTURE.into());
    let title = if pipeline.description.is_empty() { pipeline.name.clone() } else { pipeline.description.clone() };
    let copy = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            match client::post::<_, PipelineGraph>(&format!("/api/v1/pipelines/{id}/copy"), &PipelineCopy::default())
                .await
            {
                Ok(copy) => navigate(&format!("/pipelines/{}", copy.pipeline.id), Default::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <article class="card demo-card" data-testid="demo-card">
            <a href=format!("/pipelines/{id}")>
                <img class="card-picture" src=picture alt="" loading="lazy"
                    on:error=|ev| {
                        use wasm_bindgen::JsCast;
                        if let Some(img) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlImageElement>().ok())
                            && !img.src().ends_with(FALLBACK_PICTURE)
                        {
                            img.set_src(FALLBACK_PICTURE);
                        }
                    } />
                <h3>{title}</h3>
            </a>
            <p class="muted small">{pipeline.name.clone()}</p>
            <button class="secondary" data-testid="copy-demo" on:click=copy>{t!(i18n, home_copy_to_project)}</button>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        </article>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Mine,
    Shared,
}

#[component]
fn PipelineTabs() -> impl IntoView {
    let i18n = use_i18n();
    let tab = RwSignal::new(Tab::Mine);
    let page = RwSignal::new(1u32);
    let list = LocalResource::new(move || {
        let filter = if tab.get() == Tab::Mine { "mine=true" } else { "shared=true" };
        let path = format!("/api/v1/pipelines?{filter}&page={}&page_size={TAB_PAGE_SIZE}", page.get());
        async move { client::get::<Page<PipelineSummary>>(&path).await }
    });
    let total = Signal::derive(move || list.get().and_then(Result::ok).map_or(0, |p| p.total));
    let select = move |t: Tab| {
        tab.set(t);
        page.set(1);
    };
    view! {
        <div class="tabs" role="tablist">
            <button role="tab" class:active=move || tab.get() == Tab::Mine on:click=move |_| select(Tab::Mine)>
                {t!(i18n, home_tab_mine)}</button>
            <button role="tab" class:active=move || tab.get() == Tab::Shared on:click=move |_| select(Tab::Shared)>
                {t!(i18n, home_tab_shared)}</button>
        </div>
        {fetched(list, move |list| view! {
            <table data-testid="pipeline-table">
                <thead><tr><th>{t!(i18n, role_name)}</th><th>{t!(i18n, description)}</th>
                    <th>{t!(i18n, editor_project)}</th><th>{t!(i18n, creator)}</th><th>{t!(i18n, editor_changed)}</th></tr></thead>
                <tbody>
                    {list.items.into_iter().map(|p| view! {
                        <tr>
                            <td><a href=format!("/pipelines/{}", p.id)>{p.name.clone()}</a></td>
                            <td>{p.description.clone()}</td>
                            <td>{p.project.name.clone()}</td>
                            <td>{p.created_by.clone().unwrap_or_default()}</td>
                            <td>{crate::pages::when(&p.updated_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        <Pager page=page page_size=TAB_PAGE_SIZE total=total />
    }
}
