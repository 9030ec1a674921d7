//! Queries on `runs` and `run_tasks`.

use app::domain::pagination::PageRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{pipelines, project_members, run_tasks, runs};
use super::{DbError, Tx};
use crate::with_tx;
use cubist_kube::clusters::LOCAL;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = runs)]
pub struct RunRow {
    pub id: i64,
    pub run_id: String,
    pub pipeline_id: i64,
    pub task_id: Option<i64>,
    pub kind: String,
    pub status: String,
    pub runner_id: Option<i64>,
    pub plan: String,
    pub dag: String,
    pub layout: String,
    pub message: String,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    /// `local`, or the cluster the run was submitted to.
    pub cluster: String,
    /// The namespace of its cluster it runs in (empty for `local`).
    pub namespace: String,
    /// The execution date of a scheduled run.
    pub execution_date: Option<NaiveDateTime>,
    /// When the objects of a finished run on a cluster were removed.
    pub cleared_at: Option<NaiveDateTime>,
    /// Its cluster did not answer the housekeeping: not tried again before this.
    pub cleanup_after: Option<NaiveDateTime>,
}

/// A run with its pipeline's name.
pub type RunWithPipeline = (RunRow, String);

#[derive(Debug, Insertable)]
#[diesel(table_name = runs)]
pub struct NewRun<'a> {
    pub run_id: &'a str,
    pub pipeline_id: i64,
    pub task_id: Option<i64>,
    pub kind: &'a str,
    pub status: &'a str,
    pub runner_id: Option<i64>,
    pub plan: &'a str,
    pub dag: &'a str,
    pub layout: &'a str,
    pub created_at: NaiveDateTime,
    pub cluster: &'a str,
    pub namespace: &'a str,
    pub execution_date: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = run_tasks)]
pub struct RunTaskRow {
    pub id: i64,
    pub run_pk: i64,
    pub name: String,
    pub label: String,
    pub task_id: i64,
    pub status: String,
    pub message: String,
    pub pid: Option<i64>,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub attempts: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = run_tasks)]
pub struct NewRunTask {
    pub run_pk: i64,
    pub name: String,
    pub label: String,
    pub task_id: i64,
    pub status: String,
}

/// What a state change of a run sets; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = runs)]
pub struct RunChanges {
    pub status: Option<String>,
    pub message: Option<String>,
    pub started_at: Option<Option<NaiveDateTime>>,
    pub finished_at: Option<Option<NaiveDateTime>>,
}

/// What a state change of a task sets; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = run_tasks)]
pub struct TaskChanges {
    pub status: Option<String>,
    pub message: Option<String>,
    pub pid: Option<Option<i64>>,
    pub started_at: Option<Option<NaiveDateTime>>,
    pub finished_at: Option<Option<NaiveDateTime>>,
    pub attempts: Option<String>,
}

pub async fn insert(tx: &mut Tx<'_>, run: &NewRun<'_>, tasks: Vec<NewRunTask>) -> Result<i64, DbError> {
    let pk: i64 =
        with_tx!(tx, |c| diesel::insert_into(runs::table).values(run).returning(runs::id).get_result(c).await)?;
    let tasks: Vec<NewRunTask> = tasks.into_iter().map(|t| NewRunTask { run_pk: pk, ..t }).collect();
    crate::insert_rows!(tx, run_tasks::table, tasks.as_slice());
    Ok(pk)
}

pub async fn by_run_id(tx: &mut Tx<'_>, run_id: &str) -> Result<Option<RunWithPipeline>, DbError> {
    Ok(with_tx!(tx, |c| runs::table
        .inner_join(pipelines::table)
        .filter(runs::run_id.eq(run_id))
        .select((RunRow::as_select(), pipelines::name))
        .first(c)
        .await
        .optional())?)
}

pub async fn tasks_of(tx: &mut Tx<'_>, run_pk: i64) -> Result<Vec<RunTaskRow>, DbError> {
    Ok(with_tx!(tx, |c| run_tasks::table
        .filter(run_tasks::run_pk.eq(run_pk))
        .order(run_tasks::id.asc())
        .select(RunTaskRow::as_select())
        .load(c)
        .await)?)
}

/// One page of runs, newest first; `visible_to` limits them to that user's projects.
pub async fn page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    pipeline: Option<i64>,
    status: Option<&str>,
    kind: Option<&str>,
    visible_to: Option<i64>,
) -> Result<(Vec<RunWithPipeline>, u64), DbError> {
    macro_rules! filtered {
        () => {{
            let mut q = runs::table.inner_join(pipelines::table).into_boxed();
            if let Some(p) = pipeline {
                q = q.filter(runs::pipeline_id.eq(p));
            }
            if let Some(s) = status {
                q = q.filter(runs::status.eq(s.to_owned()));
            }
            if let Some(k) = kind {
                q = q.filter(runs::kind.eq(k.to_owned()));
            }
            if let Some(user) = visible_to {
                let mine = project_members::table.filter(project_members::user_id.eq(user));
                q = q.filter(
                    pipelines::project_id
                        .eq_any(mine.select(project_members::project_id))
                        .or(pipelines::is_demo.eq(true)),
                );
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order((runs::created_at.desc(), runs::id.desc()))
        .offset(page.offset())
        .limit(page.limit())
        .select((RunRow::as_select(), pipelines::name))
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

/// Changes a run; a change of its status also leaves an event for the alerts (call it in a
/// transaction: no status change is missed, none is alerted that did not happen). A run
/// that is gone is left alone.
pub async fn update_run(tx: &mut Tx<'_>, pk: i64, changes: &RunChanges) -> Result<(), DbError> {
    let before: Option<String> = match &changes.status {
        Some(_) => with_tx!(tx, |c| runs::table.find(pk).select(runs::status).first(c).await.optional())?,
        None => None,
    };
    let changed = with_tx!(tx, |c| diesel::update(runs::table.find(pk)).set(changes).execute(c).await)?;
    if let (Some(status), Some(before), 1) = (&changes.status, before, changed)
        && *status != before
    {
        super::notifications::run_event(tx, pk, status, super::now()).await?;
    }
    Ok(())
}

pub async fn update_task(tx: &mut Tx<'_>, run_pk: i64, name: &str, changes: &TaskChanges) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(
        run_tasks::table.filter(run_tasks::run_pk.eq(run_pk)).filter(run_tasks::name.eq(name))
    )
    .set(changes)
    .execute(c)
    .await)?;
    Ok(())
}

/// Ends a run's tasks that are still pending or running as cancelled with `message`.
pub async fn end_open_tasks(tx: &mut Tx<'_>, run_pk: i64, message: &str, now: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(
        run_tasks::table.filter(run_tasks::run_pk.eq(run_pk)).filter(run_tasks::status.eq_any(["pending", "running"]))
    )
    .set((run_tasks::status.eq("cancelled"), run_tasks::message.eq(message), run_tasks::finished_at.eq(Some(now))))
    .execute(c)
    .await)?;
    Ok(())
}

/// Which engine's runs a query is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The server's own engine (cluster `local`).
    Local,
    /// Every configured cluster.
    Clusters,
}

/// Runs of one engine that are still pending or running.
pub async fn active(tx: &mut Tx<'_>, engine: Engine) -> Result<Vec<RunRow>, DbError> {
    Ok(with_tx!(tx, |c| {
        let q = runs::table.filter(runs::status.eq_any(["pending", "running"])).into_boxed();
        let q = match engine {
            Engine::Local => q.filter(runs::cluster.eq(LOCAL)),
            Engine::Clusters => q.filter(runs::cluster.ne(LOCAL)),
        };
        q.select(RunRow::as_select()).load(c).await
    })?)
}

/// Runs of a pipeline of one kind that are not cleared yet.
pub async fn of_kind(tx: &mut Tx<'_>, pipeline: i64, kind: &str) -> Result<Vec<RunRow>, DbError> {
    Ok(with_tx!(tx, |c| runs::table
        .filter(runs::pipeline_id.eq(pipeline))
        .filter(runs::kind.eq(kind.to_owned()))
        .filter(runs::status.ne("deleted"))
        .select(RunRow::as_select())
        .load(c)
        .await)?)
}

/// Every run of a pipeline: its run id, cluster and namespace.
pub async fn places_of_pipeline(tx: &mut Tx<'_>, pipeline: i64) -> Result<Vec<(String, String, String)>, DbError> {
    Ok(with_tx!(tx, |c| runs::table
        .filter(runs::pipeline_id.eq(pipeline))
        .select((runs::run_id, runs::cluster, runs::namespace))
        .load(c)
        .await)?)
}

/// The stored status of a run, if its record still exists.
pub async fn status_of(tx: &mut Tx<'_>, pk: i64) -> Result<Option<String>, DbError> {
    Ok(with_tx!(tx, |c| runs::table.find(pk).select(runs::status).first(c).await.optional())?)
}

pub async fn delete(tx: &mut Tx<'_>, pk: i64) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(run_tasks::table.filter(run_tasks::run_pk.eq(pk))).execute(c).await)?;
    with_tx!(tx, |c| diesel::delete(runs::table.find(pk)).execute(c).await)?;
    Ok(())
}

/// Of these run ids, those whose run ended before `cutoff`.
pub async fn finished_before(
    tx: &mut Tx<'_>,
    run_ids: &[String],
    cutoff: NaiveDateTime,
) -> Result<Vec<String>, DbError> {
    Ok(with_tx!(tx, |c| runs::table
        .filter(runs::run_id.eq_any(run_ids.to_vec()))
        .filter(runs::finished_at.lt(cutoff))
        .select(runs::run_id)
        .load(c)
        .await)?)
}

/// One task of a run, by name.
pub async fn task_named(tx: &mut Tx<'_>, run_pk: i64, name: &str) -> Result<Option<RunTaskRow>, DbError> {
    Ok(with_tx!(tx, |c| run_tasks::table
        .filter(run_tasks::run_pk.eq(run_pk))
        .filter(run_tasks::name.eq(name))
        .select(RunTaskRow::as_select())
        .first(c)
        .await
        .optional())?)
}
