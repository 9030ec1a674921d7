//! Pipeline settings (shown when no task is selected): project, name, description,
//! parallelism, global environment, schedule with a next-runs preview, alerts, gallery
//! picture, and the DAG as JSON. Checked as you type with the server's rules.

use leptos::prelude::*;

use super::state::use_editor;
use crate::components::session::use_session;
use crate::domain::cron::next_runs;
use crate::domain::pipeline_rules::check_pipeline_fields;
use crate::i18n::*;
use crate::model::{
    FieldError, PipelineInput, ProjectId, RunStatus, ScheduleKind, SchedulePreview, SchedulePreviewInput,
};

#[component]
fn SettingField(
    label: String,
    field: &'static str,
    get: fn(&PipelineInput) -> String,
    set: fn(&mut PipelineInput, String),
    errors: Memo<Vec<FieldError>>,
    #[prop(optional)] multiline: bool,
) -> impl IntoView {
    let st = use_editor();
    let value = st.doc.with_untracked(|d| get(&d.settings));
    let change = move |text: String| st.edit(|d| set(&mut d.settings, text));
    let message = move || errors.with(|all| all.iter().find(|e| e.field.starts_with(field)).map(|e| e.message.clone()));
    let input = if multiline {
        view! { <textarea rows="3" data-field=field disabled=!st.editable prop:value=value
        on:change=move |ev| change(event_target_value(&ev))></textarea> }
        .into_any()
    } else {
        view! { <input data-field=field disabled=!st.editable prop:value=value
        on:change=move |ev| change(event_target_value(&ev)) /> }
        .into_any()
    };
    view! { <label>{label}{input}{move || message().map(|m| view! { <span class="field-error">{m}</span> })}</label> }
}

/// The catch-up start, a UTC time (empty: no catch-up).
#[component]
fn CatchupStart() -> impl IntoView {
    let st = use_editor();
    let i18n = use_i18n();
    const FORMAT: &str = "%Y-%m-%dT%H:%M";
    let value = st.doc.with_untracked(|d| {
        d.settings.fields.schedule.catchup_start.map(|t| t.format(FORMAT).to_string()).unwrap_or_default()
    });
    view! {
        <label>{t!(i18n, editor_catchup_start)}
            <input type="datetime-local" data-field="schedule.catchup_start" disabled=!st.editable prop:value=value
                on:change=move |ev| {
                    let start = chrono::NaiveDateTime::parse_from_str(&event_target_value(&ev), FORMAT)
                        .ok()
                        .map(|t| t.and_utc());
                    st.edit(|d| d.settings.fields.schedule.catchup_start = start);
                } />
        </label>
    }
}

/// What the schedule creates if saved now, as the server counts it (catch-up runs, or the
/// first run in the schedule's zone).
#[component]
fn SchedulePreviewLine() -> impl IntoView {
    let st = use_editor();
    let schedule = Memo::new(move |_| st.doc.with(|d| d.settings.fields.schedule.clone()));
    let preview = LocalResource::new(move || {
        let schedule = schedule.get();
        let path = format!("/api/v1/pipelines/{}/schedule/preview", st.pipeline_id);
        async move {
            if schedule.kind != ScheduleKind::Cron || schedule.cron.trim().is_empty() {
                return None;
            }
            let input = SchedulePreviewInput { schedule };
            Some(crate::client::post::<_, SchedulePreview>(&path, &input).await)
        }
    });
    move || {
        preview.get().flatten().map(|answer| match answer {
            Ok(p) => view! { <p class="muted small" data-testid="schedule-preview">{p.summary}</p> }.into_any(),
            Err(e) => view! { <p class="field-error" data-testid="schedule-preview">{e.to_string()}</p> }.into_any(),
        })
    }
}

fn number(text: String) -> u32 {
    text.trim().parse().unwrap_or(0)
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

#[component]
pub fn SettingsPanel() -> impl IntoView {
    let st = use_editor();
    let i18n = use_i18n();
    let session = use_session();
    let errors =
        Memo::new(move |_| st.doc.with(|d| check_pipeline_fields(&d.settings.fields).err().unwrap_or_default()));
    let settings = st.doc.with_untracked(|d| d.settings.clone());
    let projects = session.me.with_untracked(|me| me.as_ref().map(|m| m.projects.clone()).unwrap_or_default());
    let preview = Memo::new(move |_| {
        st.doc.with(|d| {
            let s = &d.settings.fields.schedule;
            (s.kind == ScheduleKind::Cron && !s.cron.is_empty()).then(|| next_runs(&s.cron, now(), 3))
        })
    });
    let show_dag = RwSignal::new(false);
    let dag_json =
        move || st.doc.with(|d| serde_json::to_string_pretty(&d.to_input().pipeline.fields.dag).unwrap_or_default());
    view! {
        <div class="settings-panel" data-testid="settings-panel">
            <h3>{t!(i18n, editor_settings)}</h3>
            <label>{t!(i18n, editor_project)}
                <select data-field="project_id" disabled=!st.editable on:change=move |ev| {
                    if let Ok(id) = event_target_value(&ev).parse::<i64>() {
                        st.edit(|d| d.settings.project_id = ProjectId(id));
                    }
                }>
                    {projects.into_iter().map(|p| view! {
                        <option value=p.project_id.0 selected=p.project_id == settings.project_id>{p.name}</option>
                    }).collect_view()}
                </select>
            </label>
            <SettingField label=t_string!(i18n, role_name).into() field="name"
                get=|s| s.fields.name.clone() set=|s, v| s.fields.name = v errors=errors />
            <SettingField label=t_string!(i18n, description).into() field="description" multiline=true
                get=|s| s.fields.description.clone() set=|s, v| s.fields.description = v errors=errors />
            <SettingField label=t_string!(i18n, editor_parallelism).into() field="parallelism"
                get=|s| s.fields.parallelism.to_string() set=|s, v| s.fields.parallelism = number(v) errors=errors />
            <SettingField label=t_string!(i18n, editor_global_env).into() field="global_env" multiline=true
                get=|s| s.fields.global_env.clone() set=|s, v| s.fields.global_env = v errors=errors />
            <fieldset class="arg-group">
                <legend>{t!(i18n, editor_schedule)}</legend>
                <label>{t!(i18n, editor_schedule_kind)}
                    <select data-field="schedule.kind" disabled=!st.editable on:change=move |ev| {
                        let kind = ScheduleKind::parse(&event_target_value(&ev)).unwrap_or_default();
                        st.edit(|d| d.settings.fields.schedule.kind = kind);
                    }>
                        <option value="once" selected=settings.fields.schedule.kind == ScheduleKind::Once>{t!(i18n, editor_once)}</option>
                        <option value="cron" selected=settings.fields.schedule.kind == ScheduleKind::Cron>"cron"</option>
                    </select>
                </label>
                <SettingField label="cron".into() field="schedule.cron"
                    get=|s| s.fields.schedule.cron.clone() set=|s, v| s.fields.schedule.cron = v errors=errors />
                {move || preview.get().and_then(Result::ok).map(|runs| view! {
                    <p class="muted small">{t!(i18n, editor_next_runs)} " "
                        {runs.iter().map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).collect::<Vec<_>>().join(" · ")}</p>
                })}
                <SettingField label=t_string!(i18n, editor_timezone).into() field="schedule.timezone"
                    get=|s| s.fields.schedule.timezone.clone() set=|s, v| s.fields.schedule.timezone = v.trim().to_owned()
                    errors=errors />
                <CatchupStart />
                <SchedulePreviewLine />
                <label class="check">
                    <input type="checkbox" data-field="schedule.paused" disabled=!st.editable
                        prop:checked=settings.fields.schedule.paused on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            st.edit(|d| d.settings.fields.schedule.paused = on);
                        } />
                    {t!(i18n, editor_paused)}
                </label>
                <SettingField label=t_string!(i18n, editor_max_active).into() field="schedule.max_active_runs"
                    get=|s| s.fields.schedule.max_active_runs.to_string()
                    set=|s, v| s.fields.schedule.max_active_runs = number(v) errors=errors />
                <SettingField label=t_string!(i18n, editor_keep_newest).into() field="schedule.keep_newest"
                    get=|s| s.fields.schedule.keep_newest.to_string()
                    set=|s, v| s.fields.schedule.keep_newest = number(v) errors=errors />
                <label class="check">
                    <input type="checkbox" disabled=!st.editable prop:checked=settings.fields.schedule.depends_on_past
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            st.edit(|d| d.settings.fields.schedule.depends_on_past = on);
                        } />
                    {t!(i18n, editor_depends_on_past)}
                </label>
            </fieldset>
            <fieldset class="arg-group">
                <legend>{t!(i18n, editor_alerts)}</legend>
                <div class="chips">
                    {RunStatus::ALL.iter().copied().filter(|s| *s != RunStatus::Deleted).map(|status| {
                        let on = settings.fields.alerts.statuses.contains(&status);
                        view! {
                            <label class="check">
                                <input type="checkbox" disabled=!st.editable prop:checked=on on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    st.edit(|d| {
                                        let list = &mut d.settings.fields.alerts.statuses;
                                        list.retain(|s| *s != status);
                                        if on { list.push(status); }
                                    });
                                } />
                                {status.as_str()}
                            </label>
                        }
                    }).collect_view()}
                </div>
                <SettingField label=t_string!(i18n, editor_alert_users).into() field="alerts.users"
                    get=|s| s.fields.alerts.users.join(", ")
                    set=|s, v| s.fields.alerts.users = v.split(',').map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect()
                    errors=errors />
            </fieldset>
            <SettingField label=t_string!(i18n, editor_picture).into() field="expand.img"
                get=|s| s.fields.expand.img.clone().unwrap_or_default()
                set=|s, v| s.fields.expand.img = Some(v.trim().to_owned()).filter(|v| !v.is_empty()) errors=errors />
            <button type="button" class="secondary" on:click=move |_| show_dag.update(|s| *s = !*s)>
                {t!(i18n, editor_dag_json)}
            </button>
            {move || show_dag.get().then(|| view! { <pre class="json">{dag_json}</pre> })}
        </div>
    }
}
