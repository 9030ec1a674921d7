//! Tasks of a pipeline, one at a time (the editor saves whole graphs instead).

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{PipelineId, Task, TaskId, TaskInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::ApiJson;
use crate::auth::Identity;
use crate::domain::pipeline_tasks;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let t = |action| PermissionKey::new(action, Resource::Tasks);
    r.guarded(t(Action::List), routes!(list_tasks))
        .guarded(t(Action::Add), routes!(create_task))
        .guarded(t(Action::Show), routes!(get_task))
        .guarded(t(Action::Edit), routes!(update_task))
        .guarded(t(Action::Delete), routes!(delete_task))
}

/// Every task of the pipeline, in creation order.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/tasks", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Task>)))]
async fn list_tasks(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
) -> ApiResult<Json<Vec<Task>>> {
    Ok(Json(pipeline_tasks::list(&state.db, &caller, id).await?))
}

/// Adds a task; missing arguments take the template's defaults.
#[utoipa::path(post, path = "/api/v1/pipelines/{id}/tasks", tag = "tasks", params(("id" = i64, Path)),
    request_body = TaskInput, responses((status = 201, body = Task)))]
async fn create_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    ApiJson(body): ApiJson<TaskInput>,
) -> ApiResult<(StatusCode, Json<Task>)> {
    Ok((StatusCode::CREATED, Json(pipeline_tasks::create(&state.db, &caller, id, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/pipelines/{id}/tasks/{task_id}", tag = "tasks",
    params(("id" = i64, Path), ("task_id" = i64, Path)), responses((status = 200, body = Task)))]
async fn get_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((id, task)): Path<(PipelineId, TaskId)>,
) -> ApiResult<Json<Task>> {
    Ok(Json(pipeline_tasks::get(&state.db, &caller, id, task).await?))
}

/// Replaces a task; a rename is carried into the DAG and the canvas layout.
#[utoipa::path(put, path = "/api/v1/pipelines/{id}/tasks/{task_id}", tag = "tasks",
    params(("id" = i64, Path), ("task_id" = i64, Path)), request_body = TaskInput, responses((status = 200, body = Task)))]
async fn update_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((id, task)): Path<(PipelineId, TaskId)>,
    ApiJson(body): ApiJson<TaskInput>,
) -> ApiResult<Json<Task>> {
    Ok(Json(pipeline_tasks::update(&state.db, &caller, id, task, body).await?))
}

/// Deletes a task with its edges.
#[utoipa::path(delete, path = "/api/v1/pipelines/{id}/tasks/{task_id}", tag = "tasks",
    params(("id" = i64, Path), ("task_id" = i64, Path)), responses((status = 204)))]
async fn delete_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((id, task)): Path<(PipelineId, TaskId)>,
) -> ApiResult<StatusCode> {
    pipeline_tasks::delete(&state.db, &caller, id, task).await?;
    Ok(StatusCode::NO_CONTENT)
}
