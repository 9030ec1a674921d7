//! Runs: starting a manual run (which first stops and clears the previous manual run of the
//! same pipeline, never a scheduled one), listing, detail, cancel, delete and logs. Who may
//! run a pipeline is who may change it; who may see a run is who may see its pipeline.

use std::collections::HashMap;

use app::domain::pagination::PageRequest;
use app::domain::plan::{self, PipelineSpec, Plan, RunContext, TaskSpec, TemplateSpec};
use app::domain::project_expand::OrgExpand;
use app::model::{
    Attempt, NamedRef, PageQuery, PipelineId, ProjectId, Run, RunDetail, RunKind, RunQuery, RunStatus, RunTask, TaskId,
};

use super::pipeline_graph::task_fields;
use super::pipelines::{fields_of, reach, reach_editable};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::pipelines::PipelineRow;
use crate::db::runs::{self as rows, NewRun, NewRunTask, RunChanges, RunRow, RunWithPipeline};
use crate::db::{self, Db, Tx, projects, tasks};
use crate::engine::executor::{Engines, Placement};
use crate::transaction;

/// A fresh run id: 32 hex characters.
pub fn new_run_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A pipeline compiled for a run: the plan, the editor layout it was drawn with, and its
/// project's settings (cluster, namespaces).
pub(super) struct Compiled {
    pub plan: Plan,
    pub layout: String,
    pub project: OrgExpand,
}

/// Compiles the pipeline (or one task) as it is stored now.
pub(super) async fn compile(
    tx: &mut Tx<'_>,
    caller: &Identity,
    id: PipelineId,
    run_id: &str,
    only: Option<TaskId>,
) -> Result<Compiled> {
    let reached = reach_editable(tx, caller, id).await?;
    compile_pipeline(tx, &reached.row, &caller.username, run_id, only, db::now()).await
}

/// Compiles a pipeline row for `runner` (no access check: the caller has done it, or the
/// scheduler runs the pipeline for its creator) at `execution_date`.
pub(super) async fn compile_pipeline(
    tx: &mut Tx<'_>,
    row: &PipelineRow,
    runner: &str,
    run_id: &str,
    only: Option<TaskId>,
    execution_date: chrono::NaiveDateTime,
) -> Result<Compiled> {
    let id = PipelineId(row.id);
    let project = projects::by_id(tx, ProjectId(row.project_id)).await?.ok_or(Error::NotFound("project"))?;
    let expand: OrgExpand = serde_json::from_str(&project.expand).unwrap_or_default();
    let creator_ids: Vec<i64> = row.created_by.into_iter().collect();
    let creator =
        projects::usernames(tx, &creator_ids).await?.into_values().next().unwrap_or_else(|| runner.to_owned());
    let fields = fields_of(row);
    let layout = serde_json::to_string(&fields.expand.layout).unwrap_or_else(|_| "{}".into());
    let specs: Vec<TaskSpec> = tasks::for_plan(tx, id.0)
        .await?
        .into_iter()
        .map(|(task, template, image, entrypoint, secret)| TaskSpec {
            id: task.id,
            fields: task_fields(&task),
            template: TemplateSpec {
                name: template.name,
                image,
                image_entrypoint: entrypoint,
                workdir: template.workdir,
                command: template.entrypoint,
                env: template.env,
                volume_mount: template.volume_mount,
                privileged: template.privileged,
                service_account: template.service_account,
                args: serde_json::from_str(&template.args).unwrap_or_default(),
                pull_secret: secret,
            },
        })
        .collect();
    if specs.is_empty() {
        return Err(super::invalid("tasks", "the pipeline has no tasks to run"));
    }
    let ctx = RunContext {
        run_id: run_id.to_owned(),
        creator,
        runner: runner.to_owned(),
        cluster: expand.cluster.clone(),
        execution_date,
    };
    let spec = PipelineSpec { id: id.0, fields, project: project.name, project_expand: expand.clone() };
    let plan =
        plan::compile(&ctx, &spec, &specs, only.map(|t| t.0)).map_err(|e| super::invalid(&e.field, e.message))?;
    Ok(Compiled { plan, layout, project: expand })
}

/// Where a recorded run runs.
pub(super) fn placement(run: &RunRow) -> Placement {
    Placement { cluster: run.cluster.clone(), namespace: run.namespace.clone() }
}

/// Stops (if running) and clears runs: their records stay as `deleted`, their scratch
/// folders (or their Workflows and pods) go, their logs stay.
pub(super) async fn clear(db: &Db, engines: &Engines, old: Vec<RunRow>) -> Result<()> {
    for run in old {
        let at = placement(&run);
        if RunStatus::parse(&run.status).is_some_and(RunStatus::is_active) {
            engines.cancel(&at, &run.run_id).await.map_err(Error::Unavailable)?;
        }
        if let Err(e) = engines.clear(&at, &run.run_id).await {
            tracing::warn!(run_id = run.run_id, error = %e, "a cleared run left objects on its cluster");
        }
        let mut conn = db.write().await?;
        let changes = RunChanges { status: Some(RunStatus::Deleted.as_str().into()), ..RunChanges::default() };
        transaction!(&mut conn, |tx| rows::update_run(tx, run.id, &changes).await)?;
    }
    Ok(())
}

/// Starts a run of the pipeline (`only`: one task, run id `run-<pipeline>-<task>`).
pub async fn start(db: &Db, engines: &Engines, caller: &Identity, id: PipelineId, only: Option<TaskId>) -> Result<Run> {
    let (kind, run_id) = match only {
        Some(task) => (RunKind::Task, super::single_tasks::run_id_of(id, task)),
        None => (RunKind::Manual, new_run_id()),
    };
    // Compile first: a pipeline that cannot run must not stop the run in flight.
    let (previous, compiled) = {
        let mut conn = db.read().await?;
        let mut tx = conn.tx();
        let compiled = compile(&mut tx, caller, id, &run_id, only).await?;
        let old = rows::of_kind(&mut tx, id.0, kind.as_str()).await?;
        let old = match only {
            Some(_) => old.into_iter().filter(|r| r.run_id == run_id).collect(),
            None => old,
        };
        (old, compiled)
    };
    let at = Placement::of_project(&compiled.project);
    engines.check(&at).map_err(Error::Unavailable)?;
    engines.check_plan(&at, &compiled.plan).map_err(|e| super::invalid("tasks", e))?;
    let same_id: Vec<i64> = previous.iter().filter(|r| r.run_id == run_id).map(|r| r.id).collect();
    clear(db, engines, previous).await?;
    let mut conn = db.write().await?;
    let (pk, plan) = transaction!(&mut conn, |tx| {
        for pk in &same_id {
            rows::delete(tx, *pk).await?;
        }
        let origin = Origin {
            run_id: &run_id,
            pipeline: id,
            task: only,
            kind,
            runner_id: Some(caller.user_id.0),
            at: &at,
            execution_date: None,
        };
        insert_run(tx, &origin, compiled).await.map_err(started_twice)
    })?;
    drop(conn);
    // A run the cluster refused is recorded as failed, with the reason: it is answered as is.
    if let Err(e) = engines.submit(&at, pk, plan).await {
        tracing::info!(run_id, error = %e, "a run could not be submitted");
    }
    get(db, caller, &run_id).await.map(|d| d.run)
}

/// What a new run is: its id, pipeline (or one task of it), kind, runner and place.
pub(super) struct Origin<'a> {
    pub run_id: &'a str,
    pub pipeline: PipelineId,
    pub task: Option<TaskId>,
    pub kind: RunKind,
    pub runner_id: Option<i64>,
    pub at: &'a Placement,
    pub execution_date: Option<chrono::NaiveDateTime>,
}

/// Records a compiled run, pending, with its tasks; returns its key and plan.
pub(super) async fn insert_run(
    tx: &mut Tx<'_>,
    origin: &Origin<'_>,
    compiled: Compiled,
) -> std::result::Result<(i64, Plan), crate::db::DbError> {
    let Compiled { plan, layout, .. } = compiled;
    let text = serde_json::to_string(&plan).unwrap_or_default();
    let dag: app::model::Dag = plan.tasks.iter().map(|t| (t.name.clone(), t.upstream.clone())).collect();
    let dag = serde_json::to_string(&dag).unwrap_or_else(|_| "{}".into());
    let new = NewRun {
        run_id: origin.run_id,
        pipeline_id: origin.pipeline.0,
        task_id: origin.task.map(|t| t.0),
        kind: origin.kind.as_str(),
        status: RunStatus::Pending.as_str(),
        runner_id: origin.runner_id,
        plan: &text,
        dag: &dag,
        layout: &layout,
        created_at: db::now(),
        cluster: &origin.at.cluster,
        namespace: &origin.at.namespace,
        execution_date: origin.execution_date,
    };
    let tasks = plan
        .tasks
        .iter()
        .map(|t| NewRunTask {
            run_pk: 0,
            name: t.name.clone(),
            label: t.label.clone(),
            task_id: t.task_id,
            status: RunStatus::Pending.as_str().into(),
        })
        .collect();
    let pk = rows::insert(tx, &new, tasks).await?;
    Ok((pk, plan))
}

/// A run that lost a race: with another start of the same pipeline (one manual run, or one
/// run of a single task, at a time; the other one runs), or with the pipeline's deletion.
fn started_twice(e: crate::db::DbError) -> Error {
    if e.is_foreign_key_violation() {
        Error::NotFound("pipeline")
    } else if e.is_unique_violation() {
        Error::Conflict {
            field: "pipeline_id",
            message: "another run of this pipeline was started at the same moment; that one is running".into(),
        }
    } else {
        e.into()
    }
}

fn to_run((row, pipeline): RunWithPipeline, runner: Option<String>) -> Run {
    Run {
        pipeline: NamedRef { id: row.pipeline_id, name: pipeline },
        kind: RunKind::parse(&row.kind).unwrap_or(RunKind::Manual),
        task_id: row.task_id.map(TaskId),
        status: RunStatus::parse(&row.status).unwrap_or(RunStatus::Pending),
        runner,
        message: row.message,
        created_at: db::utc(row.created_at),
        started_at: row.started_at.map(db::utc),
        finished_at: row.finished_at.map(db::utc),
        execution_date: row.execution_date.map(db::utc),
        run_id: row.run_id,
    }
}

/// The run if the caller may see its pipeline.
async fn visible(tx: &mut Tx<'_>, caller: &Identity, run_id: &str) -> Result<RunWithPipeline> {
    let found = rows::by_run_id(tx, run_id).await?.ok_or(Error::NotFound("run"))?;
    reach(tx, caller, PipelineId(found.0.pipeline_id)).await.map_err(|_| Error::NotFound("run"))?;
    Ok(found)
}

pub async fn get(db: &Db, caller: &Identity, run_id: &str) -> Result<RunDetail> {
    let mut conn = db.read().await?;
    // One snapshot: the run's status agrees with its tasks'.
    let (found, task_rows, runner) = crate::snapshot!(&mut conn, |tx| {
        let found = visible(tx, caller, run_id).await?;
        let task_rows = rows::tasks_of(tx, found.0.id).await?;
        let runner_ids: Vec<i64> = found.0.runner_id.into_iter().collect();
        let runner = projects::usernames(tx, &runner_ids).await?.into_values().next();
        Ok::<_, Error>((found, task_rows, runner))
    })?;
    drop(conn);
    let dag = serde_json::from_str(&found.0.dag).unwrap_or_default();
    let layout = serde_json::from_str(&found.0.layout).unwrap_or_default();
    let tasks = task_rows
        .into_iter()
        .map(|t| RunTask {
            status: RunStatus::parse(&t.status).unwrap_or(RunStatus::Pending),
            task_id: TaskId(t.task_id),
            started_at: t.started_at.map(db::utc),
            finished_at: t.finished_at.map(db::utc),
            attempts: serde_json::from_str::<Vec<Attempt>>(&t.attempts).unwrap_or_default(),
            name: t.name,
            label: t.label,
            message: t.message,
        })
        .collect();
    Ok(RunDetail { run: to_run(found, runner), tasks, dag, layout })
}

pub async fn list(db: &Db, caller: &Identity, query: RunQuery) -> Result<app::model::Page<Run>> {
    let page = PageRequest::from_query(PageQuery { page: query.page, page_size: query.page_size })?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    if let Some(p) = query.pipeline_id {
        reach(&mut tx, caller, p).await?;
    }
    let visible_to = (!caller.is_admin()).then_some(caller.user_id.0);
    let status = query.status.map(RunStatus::as_str);
    let kind = query.kind.map(RunKind::as_str);
    let (found, total) = rows::page(&mut tx, page, query.pipeline_id.map(|p| p.0), status, kind, visible_to).await?;
    let ids: Vec<i64> = found.iter().filter_map(|(r, _)| r.runner_id).collect();
    let names: HashMap<i64, String> = projects::usernames(&mut tx, &ids).await?;
    let items = found
        .into_iter()
        .map(|run| {
            let runner = run.0.runner_id.and_then(|u| names.get(&u).cloned());
            to_run(run, runner)
        })
        .collect();
    Ok(app::model::Page { items, total, page: page.page, page_size: page.page_size })
}

/// Cancels a run the caller may run.
pub async fn cancel(db: &Db, engines: &Engines, caller: &Identity, run_id: &str) -> Result<RunDetail> {
    let at = {
        let mut conn = db.read().await?;
        let mut tx = conn.tx();
        let (row, _) = visible(&mut tx, caller, run_id).await?;
        reach_editable(&mut tx, caller, PipelineId(row.pipeline_id)).await?;
        placement(&row)
    };
    engines.cancel(&at, run_id).await.map_err(Error::Unavailable)?;
    get(db, caller, run_id).await
}

/// Deletes a finished run's record, scratch folder and logs.
pub async fn delete(db: &Db, engines: &Engines, caller: &Identity, run_id: &str) -> Result<()> {
    let mut conn = db.write().await?;
    let at = transaction!(&mut conn, |tx| {
        let (row, _) = visible(tx, caller, run_id).await?;
        reach_editable(tx, caller, PipelineId(row.pipeline_id)).await?;
        if RunStatus::parse(&row.status).is_some_and(RunStatus::is_active) {
            return Err(Error::Conflict { field: "status", message: "cancel the run before deleting it".into() });
        }
        rows::delete(tx, row.id).await?;
        Ok::<_, Error>(placement(&row))
    })?;
    drop(conn);
    if let Err(e) = engines.remove(&at, run_id).await {
        tracing::warn!(run_id, error = %e, "a deleted run left objects on its cluster");
    }
    Ok(())
}

/// The status and attempts of one task of a run the caller may see (one row, not the
/// whole run).
async fn visible_task(db: &Db, caller: &Identity, run_id: &str, task: &str) -> Result<(RunStatus, Vec<Attempt>)> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let (run, _) = visible(&mut tx, caller, run_id).await?;
    let row = rows::task_named(&mut tx, run.id, task).await?.ok_or(Error::NotFound("task"))?;
    let status = RunStatus::parse(&row.status).unwrap_or(RunStatus::Pending);
    Ok((status, serde_json::from_str(&row.attempts).unwrap_or_default()))
}

/// A task's log of one attempt (default: the last), whole or its last `tail` lines.
pub async fn logs(
    db: &Db,
    engines: &Engines,
    caller: &Identity,
    run_id: &str,
    task: &str,
    query: app::model::LogQuery,
) -> Result<String> {
    let (_, attempts) = visible_task(db, caller, run_id, task).await?;
    let attempt = query.attempt.or_else(|| attempts.last().map(|a| a.number)).unwrap_or(1);
    let path = engines.local.inner().attempt_log(run_id, task, attempt);
    let (bytes, _, omitted) = read_end(&path, if query.tail.is_some() { TAIL_BYTES } else { WHOLE_BYTES }).await?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Ok(match query.tail {
        Some(n) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n as usize)..].join("\n")
        }
        None if omitted > 0 => format!("[{omitted} earlier bytes left out]\n{text}"),
        None => text,
    })
}

/// Most of a log read for `?tail=` (the lines are taken from its end).
const TAIL_BYTES: u64 = 1 << 20;
/// Most of a log returned whole; earlier output is left out.
const WHOLE_BYTES: u64 = 16 << 20;

/// The last `max` bytes of a file, the file's length and how many bytes were left out; a
/// missing file is empty.
async fn read_end(path: &std::path::Path, max: u64) -> Result<(Vec<u8>, u64, u64)> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0, 0)),
        Err(e) => return Err(Error::Unavailable(format!("cannot read the log: {e}"))),
    };
    let read = async {
        let len = file.metadata().await?.len();
        let skip = len.saturating_sub(max);
        file.seek(std::io::SeekFrom::Start(skip)).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(len - skip).unwrap_or(0));
        file.read_to_end(&mut bytes).await?;
        // The file may have grown since its length was read: the end is what was read.
        let end = skip + bytes.len() as u64;
        Ok::<_, std::io::Error>((bytes, end, skip))
    };
    read.await.map_err(|e| Error::Unavailable(format!("cannot read the log: {e}")))
}

/// What a live log stream starts from: the output so far and the live subscription.
pub struct Follow {
    pub attempt: u32,
    /// The end of the output written so far (at most its last megabyte).
    pub so_far: Vec<u8>,
    /// The log's length when it was read: live chunks before it were already sent.
    pub end: u64,
    /// Where more output comes from; `None` when the task has ended (or never will run).
    pub next: Option<MoreOutput>,
}

/// Where a followed task's further output comes from.
pub enum MoreOutput {
    /// It runs: its live output.
    Live(tokio::sync::broadcast::Receiver<crate::engine::process::LogChunk>),
    /// It has not started: it is waited for.
    Waiting(WaitForStart),
}

/// A task that has not started yet, to be followed once it does.
pub struct WaitForStart {
    engines: Engines,
    run_id: String,
    task: String,
}

impl WaitForStart {
    /// Waits for the task to start, then returns its live output and what it wrote before
    /// the subscription (the first attempt's log so far); `None` if its run ended without it.
    pub async fn started(
        self,
    ) -> Option<(tokio::sync::broadcast::Receiver<crate::engine::process::LogChunk>, Vec<u8>, u64)> {
        let live = self.engines.await_stream(&self.run_id, &self.task).await?;
        let path = self.engines.local.inner().attempt_log(&self.run_id, &self.task, 1);
        let (so_far, end, _) = read_end(&path, TAIL_BYTES).await.ok()?;
        Some((live, so_far, end))
    }
}

/// Follows a task's output: what was written so far, then (while it runs) every new chunk.
pub async fn follow(db: &Db, engines: &Engines, caller: &Identity, run_id: &str, task: &str) -> Result<Follow> {
    let (status, attempts) = visible_task(db, caller, run_id, task).await?;
    let live = engines.local.inner().subscribe(run_id, task);
    let attempt = match (status, live.is_some()) {
        (RunStatus::Running, true) => u32::try_from(attempts.len()).unwrap_or(0) + 1,
        _ => attempts.last().map_or(1, |a| a.number),
    };
    let path = engines.local.inner().attempt_log(run_id, task, attempt);
    let (so_far, end, _) = read_end(&path, TAIL_BYTES).await?;
    let next = match live {
        Some(rx) => Some(MoreOutput::Live(rx)),
        None if status == RunStatus::Pending => Some(MoreOutput::Waiting(WaitForStart {
            engines: engines.clone(),
            run_id: run_id.to_owned(),
            task: task.to_owned(),
        })),
        None => None,
    };
    Ok(Follow { attempt, so_far, end, next })
}
