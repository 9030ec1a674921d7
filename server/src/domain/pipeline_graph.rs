//! Saving a pipeline as one document: settings, tasks and DAG are checked together and
//! written in the caller's transaction, so a save either lands whole or not at all. Every
//! pipeline write (editor save, single-task edits, copy, import) goes through [`save`].

use std::collections::{HashMap, HashSet};

use app::domain::arg_schema::ArgSchema;
use app::domain::pipeline_rules::{check_dag, check_pipeline_fields, check_task_fields, duplicate_task_names};
use app::domain::schedule::{Stored, cursor_after_save};
use app::model::{
    FieldError, GraphInput, PipelineFields, PipelineInput, ProjectKind, TaskFields, TaskInput, TemplateVersion, UserId,
};
use chrono::NaiveDateTime;

use super::access::{self, Act, Row, powers::TemplatePowers};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::job_templates::{self as templates, TemplateRow};
use crate::db::pipelines::{self as rows, PipelineRow, PipelineValues};
use crate::db::tasks::{self as task_rows, TaskRow, TaskValues, TaskWithTemplate};
use crate::db::{self, Tx, projects};

/// Most tasks one pipeline may hold.
pub const MAX_TASKS: usize = 5000;

/// The pipeline being replaced, if any, and its current tasks.
pub struct Existing<'a> {
    pub row: &'a PipelineRow,
    pub tasks: &'a [TaskWithTemplate],
}

fn prefixed(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.into_iter().map(|e| FieldError { field: format!("{prefix}.{}", e.field), message: e.message }).collect()
}

fn to_i64(n: u32) -> i64 {
    i64::from(n)
}

/// Checks the project: an org project the caller belongs to (administrators: any).
async fn check_project(tx: &mut Tx<'_>, caller: &Identity, input: &PipelineInput) -> Result<()> {
    let project = projects::by_id(tx, input.project_id).await?;
    let Some(project) = project.filter(|p| p.kind == ProjectKind::Org.as_str()) else {
        return Err(super::invalid("project_id", "no such project group"));
    };
    if !caller.is_admin() && projects::roles_of(tx, caller.user_id, &[project.id]).await?.is_empty() {
        return Err(Error::Forbidden(format!("project_id: you do not belong to the project group '{}'", project.name)));
    }
    Ok(())
}

/// Checks every task against its template and the pipeline's existing tasks; returns the
/// rows to write in input order.
async fn check_tasks(
    tx: &mut Tx<'_>,
    caller: &Identity,
    input: &GraphInput,
    existing: &[TaskWithTemplate],
    errors: &mut Vec<FieldError>,
) -> Result<Vec<TaskValues>> {
    let ids: Vec<i64> = input.tasks.iter().map(|t| t.template_id).collect::<HashSet<_>>().into_iter().collect();
    let found: HashMap<i64, TemplateRow> = templates::by_ids(tx, &ids).await?.into_iter().map(|t| (t.id, t)).collect();
    let current: HashMap<i64, i64> = existing.iter().map(|(t, _)| (t.id, t.template_id)).collect();
    let mut seen_ids = HashSet::new();
    let now = db::now();
    let mut out = Vec::with_capacity(input.tasks.len());
    for (i, task) in input.tasks.iter().enumerate() {
        let at = format!("tasks[{i}]");
        if let Some(id) = task.id
            && (!current.contains_key(&id.0) || !seen_ids.insert(id.0))
        {
            errors.push(FieldError { field: format!("{at}.id"), message: "no such task in this pipeline".into() });
        }
        let fields = check_task_fields(&at, &task.fields).map_err(|e| errors.extend(e)).ok();
        let kept = task.id.and_then(|id| current.get(&id.0)) == Some(&task.template_id);
        let template = found.get(&task.template_id).filter(|t| {
            let facts = Row::Template {
                created_by: t.created_by.map(UserId),
                released: t.version == TemplateVersion::Release.as_str(),
            };
            kept || access::decide(caller.into(), Act::See, facts).allowed()
        });
        let Some(template) = template else {
            errors.push(FieldError { field: format!("{at}.template_id"), message: "no such job template".into() });
            continue;
        };
        access::powers::task_override(caller.into(), &at, task, TemplatePowers::of(template))?;
        let schema: ArgSchema = serde_json::from_str(&template.args).unwrap_or_default();
        let args = schema.validate(&task.fields.args).map_err(|e| errors.extend(prefixed(&format!("{at}.args"), e)));
        if let (Some(fields), Ok(args)) = (fields, args) {
            out.push(task_values(fields, template, args, now));
        }
    }
    Ok(out)
}

fn task_values(
    fields: TaskFields,
    template: &TemplateRow,
    args: serde_json::Map<String, serde_json::Value>,
    now: NaiveDateTime,
) -> TaskValues {
    TaskValues {
        pipeline_id: 0,
        volume_mount: fields.volume_mount,
        template_id: template.id,
        args: serde_json::to_string(&args).unwrap_or_else(|_| "{}".into()),
        timeout_secs: to_i64(fields.timeout),
        retries: to_i64(fields.retries),
        skip: fields.skip,
        cpu: fields.resources.cpu,
        memory: fields.resources.memory,
        gpu: fields.resources.gpu,
        name: fields.name,
        label: fields.label,
        workdir: fields.workdir,
        command: fields.command,
        updated_at: now,
        created_at: now,
    }
}

fn pipeline_values<'a>(project_id: i64, fields: &'a PipelineFields, text: &'a Texts) -> PipelineValues<'a> {
    PipelineValues {
        project_id,
        name: &fields.name,
        description: &fields.description,
        global_env: &fields.global_env,
        parallelism: to_i64(fields.parallelism),
        schedule_kind: fields.schedule.kind.as_str(),
        cron: &fields.schedule.cron,
        catchup_start: fields.schedule.catchup_start.map(|t| t.naive_utc()),
        depends_on_past: fields.schedule.depends_on_past,
        max_active_runs: to_i64(fields.schedule.max_active_runs),
        keep_newest: to_i64(fields.schedule.keep_newest),
        alert_statuses: &text.statuses,
        alert_users: &text.users,
        dag: &text.dag,
        expand: &text.expand,
        is_demo: fields.expand.demo,
        updated_at: db::now(),
        schedule_timezone: &fields.schedule.timezone,
        schedule_paused: fields.schedule.paused,
    }
}

/// The serialised columns of checked settings.
struct Texts {
    statuses: String,
    users: String,
    dag: String,
    expand: String,
}

/// Checks `input` whole and writes it: a new pipeline (`existing` none) or a replacement of
/// one the caller may edit. Returns the pipeline's id.
pub async fn save(
    tx: &mut Tx<'_>,
    caller: &Identity,
    existing: Option<Existing<'_>>,
    input: &GraphInput,
) -> Result<i64> {
    access::powers::pipeline(caller.into(), input)?;
    if let (Some(existing), Some(base)) = (&existing, input.base_updated_at) {
        check_base(existing.row.updated_at, base)?;
    }
    if input.tasks.len() > MAX_TASKS {
        return Err(super::invalid("tasks", format!("a pipeline holds at most {MAX_TASKS} tasks")));
    }
    check_project(tx, caller, &input.pipeline).await?;
    let mut errors = Vec::new();
    let fields = check_pipeline_fields(&input.pipeline.fields).map_err(|e| errors.extend(e)).ok();
    let current = existing.as_ref().map_or(&[][..], |e| e.tasks);
    let values = check_tasks(tx, caller, input, current, &mut errors).await?;
    let names: Vec<String> = input.tasks.iter().map(|t| t.fields.name.trim().to_owned()).collect();
    errors.extend(duplicate_task_names(&names));
    let zone = &input.pipeline.fields.schedule.timezone;
    if !zone.is_empty() && crate::scheduler::settings::zone_named(zone).is_none() {
        errors.push(FieldError {
            field: "schedule.timezone".into(),
            message: format!("'{zone}' is not an IANA time zone like Europe/Berlin"),
        });
    }
    let mut fields = match fields {
        Some(fields) if errors.is_empty() => fields,
        _ => return Err(Error::Validation(errors)),
    };
    fields.dag = check_dag(&fields.dag, &names).map_err(|message| super::invalid("dag", message))?;
    let known: HashSet<&String> = names.iter().collect();
    fields.expand.layout.retain(|name, _| known.contains(name));
    if rows::id_named(tx, &fields.name).await?.is_some_and(|other| Some(other) != existing.as_ref().map(|e| e.row.id)) {
        return Err(Error::Conflict { field: "name", message: "a pipeline has this name".into() });
    }
    let texts = Texts {
        statuses: fields.alerts.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
        users: fields.alerts.users.join(","),
        dag: serde_json::to_string(&fields.dag).unwrap_or_else(|_| "{}".into()),
        expand: serde_json::to_string(&fields.expand).unwrap_or_else(|_| "{}".into()),
    };
    let row = pipeline_values(input.pipeline.project_id.0, &fields, &texts);
    let id = match &existing {
        Some(existing) => {
            rows::update(tx, existing.row.id, &row).await?;
            existing.row.id
        }
        None => rows::insert(tx, &row, caller.user_id.0, row.updated_at).await?,
    };
    let old_schedule = existing.as_ref().map(|e| (super::pipelines::fields_of(e.row).schedule, e.row.schedule_cursor));
    let old = old_schedule.as_ref().map(|(schedule, cursor)| Stored { schedule, cursor: cursor.map(db::utc) });
    if let Some(cursor) = cursor_after_save(old, &fields.schedule, row.updated_at.and_utc()) {
        rows::set_schedule_cursor(tx, id, cursor.map(|t| t.naive_utc())).await?;
    }
    let ids: Vec<Option<i64>> = input.tasks.iter().map(|t| t.id.map(|id| id.0)).collect();
    write_tasks(tx, id, current, &ids, values).await?;
    Ok(id)
}

/// Refuses a save made over a version of the pipeline saved since the editor loaded it
/// (compared to the microsecond, the finest time both databases keep).
fn check_base(stored: chrono::NaiveDateTime, base: chrono::DateTime<chrono::Utc>) -> Result<()> {
    if stored.and_utc().timestamp_micros() == base.timestamp_micros() {
        return Ok(());
    }
    Err(Error::Conflict {
        field: "base_updated_at",
        message: format!(
            "the pipeline was saved elsewhere at {} after you opened it; reload it to see that version",
            stored.format("%Y-%m-%d %H:%M:%S UTC")
        ),
    })
}

/// Deletes tasks left out, renames through temporary names (so swapped names do not
/// collide), updates changed tasks and inserts new ones in batches.
async fn write_tasks(
    tx: &mut Tx<'_>,
    pipeline: i64,
    current: &[TaskWithTemplate],
    ids: &[Option<i64>],
    mut values: Vec<TaskValues>,
) -> Result<()> {
    let kept: HashSet<i64> = ids.iter().flatten().copied().collect();
    let gone: Vec<i64> = current.iter().map(|(t, _)| t.id).filter(|id| !kept.contains(id)).collect();
    task_rows::delete_all(tx, &gone).await?;
    let by_id: HashMap<i64, &TaskRow> = current.iter().map(|(t, _)| (t.id, t)).collect();
    for value in &mut values {
        value.pipeline_id = pipeline;
    }
    let mut fresh = Vec::new();
    let mut changed = Vec::new();
    for (id, value) in ids.iter().zip(values) {
        match id.and_then(|id| by_id.get(&id).map(|row| (id, *row))) {
            Some((id, row)) if value.differs_from(row) => changed.push((id, row.name != value.name, value)),
            Some(_) => {}
            None => fresh.push(value),
        }
    }
    for (id, renamed, value) in &changed {
        if *renamed {
            let mut parked = value.clone();
            parked.name = format!("~{id}");
            task_rows::update(tx, *id, &parked).await?;
        }
    }
    for (id, _, value) in &changed {
        task_rows::update(tx, *id, value).await?;
    }
    task_rows::insert_all(tx, &fresh).await?;
    Ok(())
}

/// The save request that reproduces a stored pipeline (single-task edits start from it).
pub fn current_input(row: &PipelineRow, tasks: &[TaskWithTemplate]) -> GraphInput {
    GraphInput {
        pipeline: PipelineInput {
            project_id: app::model::ProjectId(row.project_id),
            fields: super::pipelines::fields_of(row),
        },
        tasks: tasks
            .iter()
            .map(|(t, _)| TaskInput {
                id: Some(app::model::TaskId(t.id)),
                template_id: t.template_id,
                fields: task_fields(t),
            })
            .collect(),
        base_updated_at: None,
    }
}

/// The stored fields of a task.
pub fn task_fields(row: &TaskRow) -> TaskFields {
    TaskFields {
        name: row.name.clone(),
        label: row.label.clone(),
        args: serde_json::from_str(&row.args).unwrap_or_default(),
        workdir: row.workdir.clone(),
        command: row.command.clone(),
        volume_mount: row.volume_mount.clone(),
        resources: app::model::TaskResources { cpu: row.cpu.clone(), memory: row.memory.clone(), gpu: row.gpu.clone() },
        timeout: u32::try_from(row.timeout_secs).unwrap_or(0),
        retries: u32::try_from(row.retries).unwrap_or(0),
        skip: row.skip,
    }
}
