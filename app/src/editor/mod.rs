//! The pipeline editor: palette on the left, canvas in the middle, the selected task's form
//! or the pipeline settings on the right, and a toolbar with save status, undo/redo,
//! layout and zoom. The document and its rules live in `domain::pipeline_doc`.

mod canvas;
mod palette;
mod settings_panel;
mod state;
mod task_panel;
mod toolbar;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::client::{self, ApiResult};
use crate::components::status::{ErrorBox, fetched, id_param};
use crate::i18n::*;
use crate::model::{JobTemplate, Page, PipelineGraph};
use state::{EditorState, use_editor};

/// Templates per request while loading the palette.
const TEMPLATE_PAGE: u32 = 200;

async fn load(id: i64) -> ApiResult<(PipelineGraph, Vec<JobTemplate>)> {
    let graph = client::get::<PipelineGraph>(&format!("/api/v1/pipelines/{id}/graph")).await?;
    let mut templates = Vec::new();
    for page in 1.. {
        let got =
            client::get::<Page<JobTemplate>>(&format!("/api/v1/job-templates?page={page}&page_size={TEMPLATE_PAGE}"))
                .await?;
        let done = got.items.len() < TEMPLATE_PAGE as usize;
        templates.extend(got.items);
        if done {
            break;
        }
    }
    Ok((graph, templates))
}

#[component]
pub fn PipelineEditorPage() -> impl IntoView {
    let id = id_param();
    let loaded = LocalResource::new(move || {
        let id = id.get();
        async move { load(id.unwrap_or_default()).await }
    });
    view! { <div class="editor-page">{fetched(loaded, |(graph, templates)| view! { <Editor graph=graph templates=templates /> })}</div> }
}

fn in_form_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

/// Delete, undo/redo, save and select-all from the keyboard.
fn shortcuts(st: EditorState) -> impl Fn(web_sys::KeyboardEvent) {
    move |ev| {
        let command = ev.ctrl_key() || ev.meta_key();
        // Letters arrive upper-case with Shift or Caps Lock (Ctrl+Shift+Z is "Z").
        let key = ev.key();
        let key = if key.chars().count() == 1 { key.to_lowercase() } else { key };
        match (command, key.as_str()) {
            (true, "s") => {
                ev.prevent_default();
                st.save();
            }
            _ if in_form_field(&ev) => {}
            // Handled here only: the browser's own undo would also revert the last text typed
            // into a field of the page (and focus it).
            (true, "z") if ev.shift_key() => {
                ev.prevent_default();
                st.redo();
            }
            (true, "z") => {
                ev.prevent_default();
                st.undo();
            }
            (true, "y") => {
                ev.prevent_default();
                st.redo();
            }
            (true, "a") => {
                ev.prevent_default();
                st.selection.set(st.doc.with_untracked(|d| d.nodes.keys().copied().collect()));
            }
            (false, "Delete" | "Backspace") => {
                let keys = st.selection.get_untracked();
                if !keys.is_empty() {
                    st.edit(|d| d.delete(&keys));
                    st.selection.set(Default::default());
                }
            }
            _ => {}
        }
    }
}

#[component]
fn Editor(graph: PipelineGraph, templates: Vec<JobTemplate>) -> impl IntoView {
    let i18n = use_i18n();
    let st = EditorState::new(&graph, templates);
    provide_context(st);
    // Window listeners outlive the page unless removed.
    let keys = window_event_listener(leptos::ev::keydown, shortcuts(st));
    let leave = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if st.version.try_get_untracked() != st.saved_version.try_get_untracked() {
            ev.prevent_default();
        }
    });
    on_cleanup(move || {
        keys.remove();
        leave.remove();
    });
    let side = move || {
        let _ = st.generation.get();
        let selected: Vec<u32> = st.selection.with(|s| s.iter().copied().collect());
        match selected[..] {
            [key] => view! { <task_panel::TaskPanel key=key /> }.into_any(),
            [] => view! { <settings_panel::SettingsPanel /> }.into_any(),
            _ => view! { <p class="muted">{t!(i18n, editor_many_selected, count = selected.len())}</p> }.into_any(),
        }
    };
    view! {
        <toolbar::Toolbar />
        {(!st.editable).then(|| view! { <ReadOnlyBanner /> })}
        <Messages />
        <div class="editor">
            <palette::Palette />
            <canvas::Canvas />
            <aside class="side-panel">{side}</aside>
        </div>
    }
}

#[component]
fn ReadOnlyBanner() -> impl IntoView {
    let i18n = use_i18n();
    view! { <div class="banner" data-testid="read-only">{t!(i18n, editor_read_only)}</div> }
}

/// The last notice (dismissable) and the last save error with its field list.
#[component]
fn Messages() -> impl IntoView {
    let st = use_editor();
    let details = move || {
        st.error.get().map(|e| {
            let lines = match &e {
                client::ClientError::Api { error, .. } => error.details.clone(),
                client::ClientError::Network(_) => Vec::new(),
            };
            view! {
                <div data-testid="save-error">
                    <ErrorBox error=e />
                    <ul class="error-list">
                        {lines.into_iter().map(|d| view! { <li><code>{st.explain_field(&d.field)}</code> ": " {d.message}</li> }).collect_view()}
                    </ul>
                </div>
            }
        })
    };
    view! {
        {move || st.notice.get().map(|n| view! {
            <div class="notice" role="status" data-testid="notice">
                {n} " " <button class="icon" on:click=move |_| st.notice.set(None)>"×"</button>
            </div>
        })}
        {details}
    }
}
