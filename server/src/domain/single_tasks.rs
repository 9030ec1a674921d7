//! Single tasks run alone, as the editor's "run this task": each is its own run with the
//! stable run id `run-<pipeline id>-<task id>`, so a new run of the task replaces the last,
//! its log is found by the task, and clearing the task removes everything carrying that id
//! (its run's work, debug shells here, the debug pod on its cluster).

use app::domain::project_expand::OrgExpand;
use app::model::{PipelineId, ProjectId, Run, TaskId};

use super::pipelines::{reach, reach_editable};
use super::runs::{Follow, clear, follow, logs, placement, start};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::runs as rows;
use crate::db::{Db, projects, tasks};
use crate::engine::executor::{Engines, Placement};

/// The run id of a task run alone.
pub fn run_id_of(pipeline: PipelineId, task: TaskId) -> String {
    format!("run-{}-{}", pipeline.0, task.0)
}

/// The pipeline of a task the caller may see, and the task's name.
pub(super) async fn task_owner(db: &Db, caller: &Identity, task: TaskId) -> Result<(PipelineId, String)> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let (pipeline, name) = tasks::owner(&mut tx, task.0).await?.ok_or(Error::NotFound("task"))?;
    reach(&mut tx, caller, PipelineId(pipeline)).await.map_err(|_| Error::NotFound("task"))?;
    Ok((PipelineId(pipeline), name))
}

/// Runs one task alone as `run-<pipeline id>-<task id>`.
pub async fn run_task(db: &Db, engines: &Engines, caller: &Identity, task: TaskId) -> Result<Run> {
    let (pipeline, _) = task_owner(db, caller, task).await?;
    start(db, engines, caller, pipeline, Some(task)).await
}

/// The log of the task's last single-task run.
pub async fn task_logs(
    db: &Db,
    engines: &Engines,
    caller: &Identity,
    task: TaskId,
    query: app::model::LogQuery,
) -> Result<String> {
    let (pipeline, name) = task_owner(db, caller, task).await?;
    logs(db, engines, caller, &run_id_of(pipeline, task), &name, query).await
}

/// How long clearing a task waits for its cluster.
const CLUSTER_CLEAR_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Stops the task's single-task run and every debug shell of the task, and removes its
/// scratch state; the record stays as `deleted`, the logs stay readable.
pub async fn clear_task(db: &Db, engines: &Engines, caller: &Identity, task: TaskId) -> Result<()> {
    let (pipeline, _) = task_owner(db, caller, task).await?;
    let run_id = run_id_of(pipeline, task);
    let (found, project) = {
        let mut conn = db.read().await?;
        let mut tx = conn.tx();
        let reached = reach_editable(&mut tx, caller, pipeline).await?;
        let project = projects::by_id(&mut tx, ProjectId(reached.row.project_id)).await?;
        (rows::by_run_id(&mut tx, &run_id).await?, project)
    };
    let expand: OrgExpand = project.map(|p| serde_json::from_str(&p.expand).unwrap_or_default()).unwrap_or_default();
    let at = Placement::of_project(&expand);
    let cleared_there = found.as_ref().is_some_and(|(run, _)| placement(run) == at);
    // Whatever else carries the run id goes too: debug shells and their jobs here first,
    // then the run, then the debug pod on the project's cluster (best effort: the pod ends
    // by itself within a day).
    engines.local.kill_tagged(vec![run_id.clone()]).await;
    if let Some((run, _)) = found {
        clear(db, engines, vec![run]).await?;
    }
    if !at.is_local() && !cleared_there {
        match tokio::time::timeout(CLUSTER_CLEAR_WAIT, engines.clear(&at, &run_id)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(run_id, error = %e, "the task's objects on its cluster were not deleted"),
            Err(_) => tracing::warn!(run_id, "the task's cluster did not answer the clear in time"),
        }
    }
    Ok(())
}

/// Follows the output of the task's last single-task run.
pub async fn follow_task(db: &Db, engines: &Engines, caller: &Identity, task: TaskId) -> Result<Follow> {
    let (pipeline, name) = task_owner(db, caller, task).await?;
    follow(db, engines, caller, &run_id_of(pipeline, task), &name).await
}
