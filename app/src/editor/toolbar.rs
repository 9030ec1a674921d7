//! The editor toolbar: save with its status, undo/redo, automatic layout, zoom and fit,
//! delete, copy and export, and the links to runs (enabled once the pipeline can run).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use super::state::{SaveStatus, use_editor};
use crate::client;
use crate::i18n::*;
use crate::model::{Page, PipelineCopy, PipelineExport, PipelineGraph, Run};

/// Zoom step of the toolbar buttons.
const ZOOM_STEP: f64 = 1.25;

/// Offers `text` as a file download.
fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[component]
pub fn Toolbar() -> impl IntoView {
    let st = use_editor();
    let i18n = use_i18n();
    let navigate = use_navigate();
    let id = st.pipeline_id;
    let status = move || match st.status() {
        SaveStatus::Saved => t_string!(i18n, saved),
        SaveStatus::Unsaved => t_string!(i18n, editor_unsaved),
        SaveStatus::Saving => t_string!(i18n, saving),
    };
    let copy = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            match client::post::<_, PipelineGraph>(&format!("/api/v1/pipelines/{id}/copy"), &PipelineCopy::default())
                .await
            {
                Ok(copy) => navigate(&format!("/pipelines/{}", copy.pipeline.id), Default::default()),
                Err(e) => st.error.set(Some(e)),
            }
        });
    };
    let export = move |_| {
        spawn_local(async move {
            match client::get::<PipelineExport>(&format!("/api/v1/pipelines/{id}/export")).await {
                Ok(doc) => download(
                    &format!("{}.json", doc.pipeline.name),
                    &serde_json::to_string_pretty(&doc).unwrap_or_default(),
                ),
                Err(e) => st.error.set(Some(e)),
            }
        });
    };
    let go = use_navigate();
    let run = {
        let go = go.clone();
        move |_| {
            let go = go.clone();
            spawn_local(async move {
                if st.status() == SaveStatus::Unsaved {
                    st.error.set(Some(crate::client::ClientError::Network(t_string!(i18n, editor_save_first).into())));
                    return;
                }
                match client::post::<_, Run>(&format!("/api/v1/pipelines/{id}/runs"), &serde_json::json!({})).await {
                    Ok(run) => go(&format!("/runs/{}", run.run_id), Default::default()),
                    Err(e) => st.error.set(Some(e)),
                }
            });
        }
    };
    let logs = move |_| {
        let go = go.clone();
        spawn_local(async move {
            match client::get::<Page<Run>>(&format!("/api/v1/pipelines/{id}/runs?page_size=1")).await {
                Ok(page) => match page.items.first() {
                    Some(run) => go(&format!("/runs/{}", run.run_id), Default::default()),
                    None => st.notice.set(Some(t_string!(i18n, editor_no_runs).into())),
                },
                Err(e) => st.error.set(Some(e)),
            }
        });
    };
    let zoom = move |factor: f64| {
        let (w, h) = st.size.get_untracked();
        st.view.update(|v| *v = v.zoom_at(w / 2.0, h / 2.0, factor));
    };
    let title = move || st.doc.with(|d| d.settings.fields.name.clone());
    view! {
        <div class="toolbar" role="toolbar">
            <strong class="pipeline-title">{title}</strong>
            <button data-testid="save" disabled=move || !st.editable || st.status() != SaveStatus::Unsaved
                on:click=move |_| st.save()>{t!(i18n, save)}</button>
            <span class="save-status" data-testid="save-status" data-status=move || format!("{:?}", st.status()).to_lowercase()>
                {status}
            </span>
            <button disabled=move || !st.history.with(|h| h.can_undo()) on:click=move |_| st.undo()
                title="Ctrl+Z">{t!(i18n, editor_undo)}</button>
            <button disabled=move || !st.history.with(|h| h.can_redo()) on:click=move |_| st.redo()
                title="Ctrl+Shift+Z">{t!(i18n, editor_redo)}</button>
            <button disabled=!st.editable on:click=move |_| { st.edit(|d| d.auto_layout()); st.fit_to_screen(); }>
                {t!(i18n, editor_layout)}</button>
            <button on:click=move |_| st.fit_to_screen()>{t!(i18n, editor_fit)}</button>
            <button on:click=move |_| zoom(1.0 / ZOOM_STEP) aria-label="zoom out">"−"</button>
            <button on:click=move |_| zoom(ZOOM_STEP) aria-label="zoom in">"+"</button>
            <button disabled=move || !st.editable || st.selection.with(|s| s.is_empty()) on:click=move |_| {
                let keys = st.selection.get_untracked();
                st.edit(|d| d.delete(&keys));
                st.selection.set(Default::default());
            }>{t!(i18n, delete)}</button>
            <span class="spacer"></span>
            <button data-testid="copy-pipeline" on:click=copy>{t!(i18n, copy)}</button>
            <button on:click=export>{t!(i18n, editor_export)}</button>
            <button data-testid="run-pipeline" disabled=!st.editable on:click=run>{t!(i18n, editor_run)}</button>
            <a class="button secondary" href=format!("/runs?pipeline_id={id}")>{t!(i18n, editor_runs)}</a>
            <button class="secondary" on:click=logs>{t!(i18n, editor_logs)}</button>
            <a class="button secondary" data-testid="scheduled-records"
                href=format!("/pipelines/{id}/schedule")>{t!(i18n, editor_scheduled)}</a>
        </div>
    }
}
