//! Runs: start a pipeline or a single task, list, detail, cancel, delete, logs.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{LogQuery, Page, PipelineId, Run, RunDetail, RunQuery, TaskId};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use axum::{Extension, Json};
use cubist_kube::argo::Workflow;
use futures_util::Stream;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::ApiQuery;
use super::{ApiRoutes, log_stream};
use crate::auth::Identity;
use crate::domain::{runs, single_tasks, workflow_preview};
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let p = |action| PermissionKey::new(action, Resource::Runs);
    r.guarded(p(Action::Add), routes!(run_pipeline))
        .guarded(p(Action::Add), routes!(preview_workflow))
        .guarded(p(Action::Add), routes!(run_task))
        .guarded(p(Action::Show), routes!(single_task_logs))
        .guarded(p(Action::Delete), routes!(clear_task))
        .guarded(p(Action::List), routes!(list_pipeline_runs))
        .guarded(p(Action::List), routes!(list_runs))
        .guarded(p(Action::Show), routes!(get_run))
        .guarded(p(Action::Edit), routes!(cancel_run))
        .guarded(p(Action::Delete), routes!(delete_run))
        .guarded(p(Action::Show), routes!(task_logs))
        .guarded(p(Action::Show), routes!(follow_logs))
        .guarded(p(Action::Show), routes!(follow_single_task_logs))
}

/// Runs the pipeline by hand; the previous manual run of it is stopped and cleared first.
#[utoipa::path(post, path = "/api/v1/pipelines/{id}/runs", tag = "runs", params(("id" = i64, Path)),
    responses((status = 201, body = Run)))]
async fn run_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    Ok((StatusCode::CREATED, Json(runs::start(&state.db, &state.engines, &caller, id, None).await?)))
}

/// The Argo Workflow a run of the pipeline would submit to its cluster, rendered from the
/// pipeline as it is now (with a fresh run id); nothing is submitted. Who may run the
/// pipeline may preview it.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/workflow", tag = "runs", params(("id" = i64, Path)),
    responses((status = 200, description = "an Argo Workflow (argoproj.io/v1alpha1)", body = Object)))]
async fn preview_workflow(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
) -> ApiResult<Json<Workflow>> {
    let backoff = state.engines.local.inner().retry_backoff;
    Ok(Json(workflow_preview::preview(&state.db, &caller, id, backoff).await?))
}

/// Runs one task alone as `run-<pipeline id>-<task id>` (replacing its previous such run).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/run", tag = "runs", params(("id" = i64, Path)),
    responses((status = 201, body = Run)))]
async fn run_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(task): Path<TaskId>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    Ok((StatusCode::CREATED, Json(single_tasks::run_task(&state.db, &state.engines, &caller, task).await?)))
}

/// The log of the task's last single-task run.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/logs", tag = "runs", params(("id" = i64, Path), LogQuery),
    responses((status = 200, body = String)))]
async fn single_task_logs(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(task): Path<TaskId>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<impl IntoResponse> {
    let text = single_tasks::task_logs(&state.db, &state.engines, &caller, task, q).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// Stops the task's single-task run and removes its scratch state (record and logs stay).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/clear", tag = "runs", params(("id" = i64, Path)),
    responses((status = 204)))]
async fn clear_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(task): Path<TaskId>,
) -> ApiResult<StatusCode> {
    single_tasks::clear_task(&state.db, &state.engines, &caller, task).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs of one pipeline, newest first.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/runs", tag = "runs", params(("id" = i64, Path), RunQuery),
    responses((status = 200, body = Page<Run>)))]
async fn list_pipeline_runs(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    ApiQuery(mut q): ApiQuery<RunQuery>,
) -> ApiResult<Json<Page<Run>>> {
    q.pipeline_id = Some(id);
    Ok(Json(runs::list(&state.db, &caller, q).await?))
}

/// Runs the caller may see, newest first; `?pipeline_id=`, `?status=`.
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs", params(RunQuery), responses((status = 200, body = Page<Run>)))]
async fn list_runs(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiQuery(q): ApiQuery<RunQuery>,
) -> ApiResult<Json<Page<Run>>> {
    Ok(Json(runs::list(&state.db, &caller, q).await?))
}

/// A run with each task's status, attempts, timings and usage.
#[utoipa::path(get, path = "/api/v1/runs/{run_id}", tag = "runs", params(("run_id" = String, Path)),
    responses((status = 200, body = RunDetail)))]
async fn get_run(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(run_id): Path<String>,
) -> ApiResult<Json<RunDetail>> {
    Ok(Json(runs::get(&state.db, &caller, &run_id).await?))
}

/// Cancels a run: its processes are killed, waiting tasks cancelled.
#[utoipa::path(post, path = "/api/v1/runs/{run_id}/cancel", tag = "runs", params(("run_id" = String, Path)),
    responses((status = 200, body = RunDetail)))]
async fn cancel_run(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(run_id): Path<String>,
) -> ApiResult<Json<RunDetail>> {
    Ok(Json(runs::cancel(&state.db, &state.engines, &caller, &run_id).await?))
}

/// Deletes a finished run with its logs.
#[utoipa::path(delete, path = "/api/v1/runs/{run_id}", tag = "runs", params(("run_id" = String, Path)),
    responses((status = 204)))]
async fn delete_run(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(run_id): Path<String>,
) -> ApiResult<StatusCode> {
    runs::delete(&state.db, &state.engines, &caller, &run_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A task's output (stdout and stderr) of one attempt, whole or its last lines.
#[utoipa::path(get, path = "/api/v1/runs/{run_id}/tasks/{task}/logs", tag = "runs",
    params(("run_id" = String, Path), ("task" = String, Path), LogQuery), responses((status = 200, body = String)))]
async fn task_logs(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((run_id, task)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<impl IntoResponse> {
    let text = runs::logs(&state.db, &state.engines, &caller, &run_id, &task, q).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// The task's output as Server-Sent Events: what was written so far, then every new chunk
/// while the task runs (an `attempt` event announces a retry); the stream ends with the task.
#[utoipa::path(get, path = "/api/v1/runs/{run_id}/tasks/{task}/logs/stream", tag = "runs",
    params(("run_id" = String, Path), ("task" = String, Path)), responses((status = 200, content_type = "text/event-stream")))]
async fn follow_logs(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((run_id, task)): Path<(String, String)>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>> {
    Ok(log_stream::events(runs::follow(&state.db, &state.engines, &caller, &run_id, &task).await?))
}

/// The output of the task's last single-task run as Server-Sent Events (as
/// `/api/v1/runs/{run_id}/tasks/{task}/logs/stream`).
#[utoipa::path(get, path = "/api/v1/tasks/{id}/logs/stream", tag = "runs", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/event-stream")))]
async fn follow_single_task_logs(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(task): Path<TaskId>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>> {
    Ok(log_stream::events(single_tasks::follow_task(&state.db, &state.engines, &caller, task).await?))
}
