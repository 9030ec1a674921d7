//! Pipelines. Members of a pipeline's project see it, everyone sees demo pipelines; the
//! pipeline's creator, the project's creators and administrators change it. Demo pipelines
//! are read-only (administrators curate them) until copied.

use std::collections::HashMap;

use app::domain::pagination::PageRequest;
use app::model::{
    Alerts, GraphInput, NamedRef, PageQuery, Pipeline, PipelineExpand, PipelineFields, PipelineGraph, PipelineId,
    PipelineInput, PipelineQuery, PipelineSummary, RunStatus, Schedule, ScheduleKind, Task, TaskId, UserId,
};

use super::access::{self, Act, Row};
use super::pipeline_graph::{self, Existing};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::pipelines::{self as rows, PipelineFilter, PipelineRow, PipelineWithProject};
use crate::db::projects::{roles_of, usernames};
use crate::db::tasks::{self as task_rows, TaskWithTemplate};
use crate::db::{self, Db, Tx};
use crate::engine::executor::{Engines, Placement};
use crate::transaction;

/// A pipeline the caller can see, and whether they may change it.
pub struct Reached {
    pub row: PipelineRow,
    pub project: String,
    pub editable: bool,
}

/// The pipeline if the caller may do `act` to it (running and clearing runs are changes).
pub async fn reach_for(tx: &mut Tx<'_>, caller: &Identity, id: PipelineId, act: Act) -> Result<Reached> {
    let (row, project) = rows::by_id(tx, id.0).await?.ok_or(Error::NotFound("pipeline"))?;
    let role = roles_of(tx, caller.user_id, &[row.project_id]).await?.get(&row.project_id).copied();
    let facts = Row::Pipeline { created_by: row.created_by.map(UserId), demo: row.is_demo, role };
    access::decide(caller.into(), act, facts).check("pipeline")?;
    let editable = access::decide(caller.into(), Act::Change, facts).allowed();
    Ok(Reached { row, project, editable })
}

/// The pipeline if the caller may see it (else "not found", hiding its existence).
pub async fn reach(tx: &mut Tx<'_>, caller: &Identity, id: PipelineId) -> Result<Reached> {
    reach_for(tx, caller, id, Act::See).await
}

/// The pipeline if the caller may change it.
pub async fn reach_editable(tx: &mut Tx<'_>, caller: &Identity, id: PipelineId) -> Result<Reached> {
    reach_for(tx, caller, id, Act::Change).await
}

/// The stored settings of a pipeline.
pub fn fields_of(row: &PipelineRow) -> PipelineFields {
    let expand: PipelineExpand = serde_json::from_str(&row.expand).unwrap_or_default();
    PipelineFields {
        name: row.name.clone(),
        description: row.description.clone(),
        global_env: row.global_env.clone(),
        parallelism: u32::try_from(row.parallelism).unwrap_or(1),
        schedule: Schedule {
            kind: ScheduleKind::parse(&row.schedule_kind).unwrap_or_default(),
            cron: row.cron.clone(),
            catchup_start: row.catchup_start.map(db::utc),
            depends_on_past: row.depends_on_past,
            max_active_runs: u32::try_from(row.max_active_runs).unwrap_or(1),
            keep_newest: u32::try_from(row.keep_newest).unwrap_or(0),
            timezone: row.schedule_timezone.clone(),
            paused: row.schedule_paused,
        },
        alerts: Alerts {
            statuses: row.alert_statuses.split(',').filter_map(RunStatus::parse).collect(),
            users: row.alert_users.split(',').filter(|u| !u.is_empty()).map(str::to_owned).collect(),
        },
        dag: serde_json::from_str(&row.dag).unwrap_or_default(),
        expand,
    }
}

fn to_pipeline(reached: Reached, creator: Option<String>) -> Pipeline {
    Pipeline {
        id: PipelineId(reached.row.id),
        project: NamedRef { id: reached.row.project_id, name: reached.project },
        fields: fields_of(&reached.row),
        created_by: creator,
        created_at: db::utc(reached.row.created_at),
        updated_at: db::utc(reached.row.updated_at),
        editable: reached.editable,
    }
}

pub fn to_task((row, template): &TaskWithTemplate) -> Task {
    Task {
        id: TaskId(row.id),
        pipeline_id: PipelineId(row.pipeline_id),
        template_id: row.template_id,
        template_name: template.clone(),
        fields: pipeline_graph::task_fields(row),
        created_at: db::utc(row.created_at),
        updated_at: db::utc(row.updated_at),
    }
}

async fn creator_name(tx: &mut Tx<'_>, row: &PipelineRow) -> Result<Option<String>> {
    let ids: Vec<i64> = row.created_by.into_iter().collect();
    let names = usernames(tx, &ids).await?;
    Ok(row.created_by.and_then(|id| names.get(&id).cloned()))
}

pub async fn list(db: &Db, caller: &Identity, query: PipelineQuery) -> Result<app::model::Page<PipelineSummary>> {
    let page = PageRequest::from_query(PageQuery { page: query.page, page_size: query.page_size })?;
    let me = caller.user_id.0;
    let filter = PipelineFilter {
        demo_only: query.demo == Some(true),
        created_by: (query.mine == Some(true)).then_some(me),
        shared_with: (query.shared == Some(true)).then_some(me),
        visible_to: (!caller.is_admin()).then_some(me),
        project_id: query.project_id.map(|p| p.0),
        text: query.q.filter(|q| !q.trim().is_empty()),
    };
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let (found, total) = rows::page(&mut tx, page, &filter).await?;
    let project_ids: Vec<i64> = found.iter().map(|(r, _)| r.project_id).collect();
    let roles = roles_of(&mut tx, caller.user_id, &project_ids).await?;
    let creator_ids: Vec<i64> = found.iter().filter_map(|(r, _)| r.created_by).collect();
    let names: HashMap<i64, String> = usernames(&mut tx, &creator_ids).await?;
    let items = found
        .into_iter()
        .map(|(row, project): PipelineWithProject| {
            let role = roles.get(&row.project_id).copied();
            let facts = Row::Pipeline { created_by: row.created_by.map(UserId), demo: row.is_demo, role };
            let editable = access::decide(caller.into(), Act::Change, facts).allowed();
            let expand: PipelineExpand = serde_json::from_str(&row.expand).unwrap_or_default();
            PipelineSummary {
                id: PipelineId(row.id),
                project: NamedRef { id: row.project_id, name: project },
                created_by: row.created_by.and_then(|u| names.get(&u).cloned()),
                name: row.name,
                description: row.description,
                demo: row.is_demo,
                img: expand.img,
                schedule: ScheduleKind::parse(&row.schedule_kind).unwrap_or_default(),
                updated_at: db::utc(row.updated_at),
                editable,
            }
        })
        .collect();
    Ok(app::model::Page { items, total, page: page.page, page_size: page.page_size })
}

pub async fn get(db: &Db, caller: &Identity, id: PipelineId) -> Result<Pipeline> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let reached = reach(&mut tx, caller, id).await?;
    let creator = creator_name(&mut tx, &reached.row).await?;
    Ok(to_pipeline(reached, creator))
}

/// The pipeline with all its tasks: what the editor opens.
pub async fn graph(db: &Db, caller: &Identity, id: PipelineId) -> Result<PipelineGraph> {
    let mut conn = db.read().await?;
    // One snapshot: the version the editor saves against is the version of these tasks.
    crate::snapshot!(&mut conn, |tx| {
        let reached = reach(tx, caller, id).await?;
        let tasks = task_rows::of_pipeline(tx, id.0).await?;
        let creator = creator_name(tx, &reached.row).await?;
        Ok(PipelineGraph { pipeline: to_pipeline(reached, creator), tasks: tasks.iter().map(to_task).collect() })
    })
}

/// Creates a pipeline with its tasks (none for a blank one).
pub async fn create(db: &Db, caller: &Identity, input: GraphInput) -> Result<PipelineGraph> {
    let mut conn = db.write().await?;
    let id = transaction!(&mut conn, |tx| pipeline_graph::save(tx, caller, None, &input).await)?;
    drop(conn);
    graph(db, caller, PipelineId(id)).await
}

/// Replaces settings and tasks together (the editor's save).
pub async fn save_graph(db: &Db, caller: &Identity, id: PipelineId, input: GraphInput) -> Result<PipelineGraph> {
    edit(db, caller, id, |_| Ok(input)).await?;
    graph(db, caller, id).await
}

/// Replaces the settings only; the tasks stay.
pub async fn update(db: &Db, caller: &Identity, id: PipelineId, input: PipelineInput) -> Result<Pipeline> {
    edit(db, caller, id, |current| Ok(GraphInput { pipeline: input, tasks: current.tasks, base_updated_at: None }))
        .await?;
    get(db, caller, id).await
}

/// Applies `change` to the stored document of an editable pipeline and saves the result in
/// one transaction.
pub async fn edit(
    db: &Db,
    caller: &Identity,
    id: PipelineId,
    change: impl FnOnce(GraphInput) -> Result<GraphInput> + Send,
) -> Result<()> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        rows::lock(tx, id.0).await?;
        let reached = reach_editable(tx, caller, id).await?;
        let tasks = task_rows::of_pipeline(tx, id.0).await?;
        let input = change(pipeline_graph::current_input(&reached.row, &tasks))?;
        let existing = Existing { row: &reached.row, tasks: &tasks };
        pipeline_graph::save(tx, caller, Some(existing), &input).await?;
        Ok::<_, Error>(())
    })
}

/// Deletes a pipeline with its tasks and runs. Runs in flight are cancelled, its tasks'
/// debug shells end, and every run's processes, scratch folder and logs go with the record:
/// nothing outlives it.
pub async fn delete(db: &Db, engines: &Engines, caller: &Identity, id: PipelineId) -> Result<()> {
    let mut conn = db.write().await?;
    let (runs, tasks) = transaction!(&mut conn, |tx| {
        rows::lock(tx, id.0).await?;
        reach_for(tx, caller, id, Act::Delete).await?;
        let runs = crate::db::runs::places_of_pipeline(tx, id.0).await?;
        let tasks = task_rows::of_pipeline(tx, id.0).await?;
        rows::delete(tx, id.0).await?;
        Ok::<_, Error>((runs, tasks))
    })?;
    drop(conn);
    let runs: Vec<(String, Placement)> =
        runs.into_iter().map(|(run_id, cluster, namespace)| (run_id, Placement { cluster, namespace })).collect();
    let cancels = runs.iter().map(|(run_id, at)| async move {
        if let Err(e) = engines.cancel(at, run_id).await {
            tracing::warn!(run_id, error = %e, "a deleted pipeline's run could not be stopped");
        }
    });
    futures_util::future::join_all(cancels).await;
    // Single-task run ids are also what debug shells of the tasks carry.
    let shells: Vec<String> = tasks.iter().map(|t| super::single_tasks::run_id_of(id, TaskId(t.0.id))).collect();
    let all: Vec<String> = runs.iter().map(|(run_id, _)| run_id.clone()).chain(shells.iter().cloned()).collect();
    engines.local.kill_tagged(all).await;
    for (run_id, at) in &runs {
        if let Err(e) = engines.remove(at, run_id).await {
            tracing::warn!(run_id, error = %e, "a deleted pipeline's run left objects on its cluster");
        }
    }
    for run_id in &shells {
        engines.local.remove_run(run_id).await;
    }
    Ok(())
}
