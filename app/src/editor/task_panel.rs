//! The selected task's form: template (read-only) with its help link, name and label,
//! resources, timeout, retries, skip, and the argument form generated from the template's
//! schema. Fields are checked as you type with the rules the server applies on save.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::state::use_editor;
use crate::components::arg_form::ArgForm;
use crate::domain::arg_schema::ArgSchema;
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::domain::pipeline_doc::Node;
use crate::domain::pipeline_rules::check_task_fields;
use crate::i18n::*;
use crate::model::{FieldError, TaskFields};

/// One text field of a task, bound to the document.
#[component]
fn TaskField(
    key: u32,
    label: String,
    field: &'static str,
    get: fn(&TaskFields) -> String,
    set: fn(&mut TaskFields, String),
    errors: Memo<Vec<FieldError>>,
    #[prop(optional)] multiline: bool,
) -> impl IntoView {
    let st = use_editor();
    let value = st.doc.with_untracked(|d| d.nodes.get(&key).map(|n| get(&n.fields)).unwrap_or_default());
    let change = move |text: String| {
        st.edit(|d| {
            if let Some(n) = d.nodes.get_mut(&key) {
                set(&mut n.fields, text);
            }
        })
    };
    let message = move || errors.with(|all| all.iter().find(|e| e.field == field).map(|e| e.message.clone()));
    let input = if multiline {
        view! { <textarea rows="3" data-field=field disabled=!st.editable prop:value=value
        on:change=move |ev| change(event_target_value(&ev))></textarea> }
        .into_any()
    } else {
        view! { <input data-field=field disabled=!st.editable prop:value=value
        on:change=move |ev| change(event_target_value(&ev)) /> }
        .into_any()
    };
    view! {
        <label>{label}{input}{move || message().map(|m| view! { <span class="field-error">{m}</span> })}</label>
    }
}

/// Run the task alone, open its last single-task run, or clear it.
#[component]
fn SingleTaskActions(task: i64) -> impl IntoView {
    let st = use_editor();
    let i18n = use_i18n();
    let navigate = leptos_router::hooks::use_navigate();
    let run_page = format!("/runs/run-{}-{task}", st.pipeline_id);
    let run = {
        let navigate = navigate.clone();
        let run_page = run_page.clone();
        move |_| {
            let navigate = navigate.clone();
            let run_page = run_page.clone();
            leptos::task::spawn_local(async move {
                let path = format!("/api/v1/tasks/{task}/run");
                match crate::client::post::<_, crate::model::Run>(&path, &serde_json::json!({})).await {
                    Ok(_) => navigate(&run_page, Default::default()),
                    Err(e) => st.error.set(Some(e)),
                }
            });
        }
    };
    let clear = move |_| {
        leptos::task::spawn_local(async move {
            match crate::client::post_empty(&format!("/api/v1/tasks/{task}/clear")).await {
                Ok(()) => st.notice.set(Some(t_string!(i18n, editor_task_cleared).into())),
                Err(e) => st.error.set(Some(e)),
            }
        });
    };
    let session = crate::components::session::use_session();
    let may_debug = st.editable && session.can(PermissionKey::new(Action::Debug, Resource::Tasks));
    view! {
        <div class="task-actions">
            <button data-testid="task-run" disabled=!st.editable on:click=run>{t!(i18n, editor_run)}</button>
            {if may_debug {
                view! { <a class="button secondary" data-testid="task-debug" target="_blank" rel="noopener"
                    href=format!("/tasks/{task}/debug")>{t!(i18n, editor_debug)}</a> }.into_any()
            } else {
                view! { <button class="secondary" disabled title=t_string!(i18n, editor_debug_needs)>{t!(i18n, editor_debug)}</button> }.into_any()
            }}
            <a class="button secondary" data-testid="task-logs" href=run_page>{t!(i18n, editor_logs)}</a>
            <button class="secondary" data-testid="task-clear" disabled=!st.editable on:click=clear>{t!(i18n, editor_clear)}</button>
        </div>
    }
}

fn number(text: String) -> u32 {
    text.trim().parse().unwrap_or(u32::MAX)
}

#[component]
pub fn TaskPanel(key: u32) -> impl IntoView {
    let st = use_editor();
    let i18n = use_i18n();
    let Some(node): Option<Node> = st.doc.with_untracked(|d| d.nodes.get(&key).cloned()) else {
        return ().into_any();
    };
    let template = st.templates.with_value(|ts| ts.iter().find(|t| t.id == node.template_id).cloned());
    let schema: ArgSchema = template.as_ref().map(|t| t.args.clone()).unwrap_or_default();
    let errors = Memo::new(move |_| {
        st.doc.with(|d| {
            let Some(n) = d.nodes.get(&key) else { return Vec::new() };
            let mut errors = check_task_fields("", &n.fields).err().unwrap_or_default();
            if d.nodes.iter().any(|(k, other)| *k != key && other.fields.name == n.fields.name) {
                errors.push(FieldError { field: "name".into(), message: t_string!(i18n, editor_name_taken).into() });
            }
            errors
        })
    });
    let args: RwSignal<Map<String, Value>> = RwSignal::new(node.fields.args.clone());
    Effect::new(move |first: Option<()>| {
        let now = args.get();
        if first.is_some() {
            st.edit(|d| {
                if let Some(n) = d.nodes.get_mut(&key) {
                    n.fields.args = now;
                }
            });
        }
    });
    let skip = node.fields.skip;
    view! {
        <div class="task-panel" data-testid="task-panel">
            <h3>{node.fields.label.clone()}</h3>
            <p class="muted">
                {t!(i18n, editor_template)} ": " <strong>{node.template_name.clone()}</strong>
                {template.as_ref().and_then(|t| t.expand.help_url.clone()).map(|url| view! {
                    " · " <a href=url target="_blank" rel="noopener">{t!(i18n, help_url)}</a>
                })}
            </p>
            {template.as_ref().map(|t| view! { <p class="muted small">{t.description.clone()}</p> })}
            {node.id.map(|id| view! { <SingleTaskActions task=id.0 /> })}
            <TaskField key=key label=t_string!(i18n, editor_task_name).into() field="name"
                get=|f| f.name.clone() set=|f, v| f.name = v errors=errors />
            <TaskField key=key label=t_string!(i18n, editor_task_label).into() field="label"
                get=|f| f.label.clone() set=|f, v| f.label = v errors=errors />
            <fieldset class="arg-group">
                <legend>{t!(i18n, editor_resources)}</legend>
                <div class="row3">
                    <TaskField key=key label="CPU".into() field="resources.cpu"
                        get=|f| f.resources.cpu.clone() set=|f, v| f.resources.cpu = v errors=errors />
                    <TaskField key=key label=t_string!(i18n, editor_memory).into() field="resources.memory"
                        get=|f| f.resources.memory.clone() set=|f, v| f.resources.memory = v errors=errors />
                    <TaskField key=key label="GPU".into() field="resources.gpu"
                        get=|f| f.resources.gpu.clone() set=|f, v| f.resources.gpu = v errors=errors />
                </div>
                <div class="row3">
                    <TaskField key=key label=t_string!(i18n, editor_timeout).into() field="timeout"
                        get=|f| f.timeout.to_string() set=|f, v| f.timeout = number(v) errors=errors />
                    <TaskField key=key label=t_string!(i18n, editor_retries).into() field="retries"
                        get=|f| f.retries.to_string() set=|f, v| f.retries = number(v) errors=errors />
                    <label class="check">
                        <input type="checkbox" data-field="skip" disabled=!st.editable prop:checked=skip
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                st.edit(|d| if let Some(n) = d.nodes.get_mut(&key) { n.fields.skip = on; });
                            } />
                        {t!(i18n, editor_skip)}
                    </label>
                </div>
            </fieldset>
            <ArgForm schema=Signal::derive(move || schema.clone()) values=args />
            <details>
                <summary>{t!(i18n, editor_advanced)}</summary>
                <TaskField key=key label=t_string!(i18n, workdir).into() field="workdir"
                    get=|f| f.workdir.clone() set=|f, v| f.workdir = v errors=errors />
                <TaskField key=key label=t_string!(i18n, command).into() field="command" multiline=true
                    get=|f| f.command.clone() set=|f, v| f.command = v errors=errors />
                <TaskField key=key label=t_string!(i18n, volume_mount).into() field="volume_mount" multiline=true
                    get=|f| f.volume_mount.clone() set=|f, v| f.volume_mount = v errors=errors />
            </details>
        </div>
    }
    .into_any()
}
