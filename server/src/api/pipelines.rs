//! Pipelines: settings, the editor's graph, copy, export and import.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{
    GraphInput, Page, Pipeline, PipelineCopy, PipelineExport, PipelineGraph, PipelineId, PipelineImport, PipelineInput,
    PipelineQuery, PipelineSummary,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::audit::AuditChanges;
use crate::auth::Identity;
use crate::domain::{pipeline_transfer, pipelines};
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let p = |action| PermissionKey::new(action, Resource::Pipelines);
    r.guarded(p(Action::List), routes!(list_pipelines))
        .guarded(p(Action::Add), routes!(create_pipeline))
        .guarded(p(Action::Add), routes!(import_pipeline))
        .guarded(p(Action::Show), routes!(get_pipeline))
        .guarded(p(Action::Edit), routes!(update_pipeline))
        .guarded(p(Action::Delete), routes!(delete_pipeline))
        .guarded(p(Action::Show), routes!(get_graph))
        .guarded(p(Action::Edit), routes!(save_graph))
        .guarded(p(Action::Copy), routes!(copy_pipeline))
        .guarded(p(Action::Show), routes!(export_pipeline))
}

/// Pipelines the caller may see, most recently changed first: `demo=true` for the gallery,
/// `mine=true` for the caller's own, `shared=true` for others' in the caller's projects.
#[utoipa::path(get, path = "/api/v1/pipelines", tag = "pipelines", params(PipelineQuery),
    responses((status = 200, body = Page<PipelineSummary>)))]
async fn list_pipelines(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiQuery(q): ApiQuery<PipelineQuery>,
) -> ApiResult<Json<Page<PipelineSummary>>> {
    Ok(Json(pipelines::list(&state.db, &caller, q).await?))
}

/// Creates a pipeline (optionally with tasks) in a project the caller belongs to.
#[utoipa::path(post, path = "/api/v1/pipelines", tag = "pipelines", request_body = GraphInput,
    responses((status = 201, body = PipelineGraph)))]
async fn create_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<GraphInput>,
) -> ApiResult<(StatusCode, Extension<AuditChanges>, Json<PipelineGraph>)> {
    let made = pipelines::create(&state.db, &caller, body).await?;
    Ok((StatusCode::CREATED, AuditChanges::between(None, Some(&made)), Json(made)))
}

/// Creates a pipeline from an exported document; templates are matched by name.
#[utoipa::path(post, path = "/api/v1/pipelines/import", tag = "pipelines", request_body = PipelineImport,
    responses((status = 201, body = PipelineGraph)))]
async fn import_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<PipelineImport>,
) -> ApiResult<(StatusCode, Json<PipelineGraph>)> {
    Ok((StatusCode::CREATED, Json(pipeline_transfer::import(&state.db, &caller, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path)),
    responses((status = 200, body = Pipeline)))]
async fn get_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
) -> ApiResult<Json<Pipeline>> {
    Ok(Json(pipelines::get(&state.db, &caller, id).await?))
}

/// Replaces the settings and DAG; tasks stay. Demo pipelines are read-only.
#[utoipa::path(put, path = "/api/v1/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path)),
    request_body = PipelineInput, responses((status = 200, body = Pipeline)))]
async fn update_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    ApiJson(body): ApiJson<PipelineInput>,
) -> ApiResult<(Extension<AuditChanges>, Json<Pipeline>)> {
    let before = pipelines::get(&state.db, &caller, id).await?;
    let after = pipelines::update(&state.db, &caller, id, body).await?;
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}

#[utoipa::path(delete, path = "/api/v1/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path)),
    responses((status = 204)))]
async fn delete_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
) -> ApiResult<(Extension<AuditChanges>, StatusCode)> {
    let before = pipelines::get(&state.db, &caller, id).await?;
    pipelines::delete(&state.db, &state.engines, &caller, id).await?;
    Ok((AuditChanges::between(Some(&before), None), StatusCode::NO_CONTENT))
}

/// The pipeline with all its tasks, as the editor opens it.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/graph", tag = "pipelines", params(("id" = i64, Path)),
    responses((status = 200, body = PipelineGraph)))]
async fn get_graph(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
) -> ApiResult<Json<PipelineGraph>> {
    Ok(Json(pipelines::graph(&state.db, &caller, id).await?))
}

/// The editor's save: settings, DAG and tasks in one transaction. Tasks without `id` are
/// created, tasks left out are deleted.
#[utoipa::path(put, path = "/api/v1/pipelines/{id}/graph", tag = "pipelines", params(("id" = i64, Path)),
    request_body = GraphInput, responses((status = 200, body = PipelineGraph)))]
async fn save_graph(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    ApiJson(body): ApiJson<GraphInput>,
) -> ApiResult<(Extension<AuditChanges>, Json<PipelineGraph>)> {
    let before = pipelines::graph(&state.db, &caller, id).await?;
    let after = pipelines::save_graph(&state.db, &caller, id, body).await?;
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}

/// Copies a pipeline and its tasks as `<name>-copy-<4 hex>`; a copied demo is an ordinary
/// pipeline of the caller.
#[utoipa::path(post, path = "/api/v1/pipelines/{id}/copy", tag = "pipelines", params(("id" = i64, Path)),
    request_body = PipelineCopy, responses((status = 201, body = PipelineGraph)))]
async fn copy_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    body: Option<ApiJson<PipelineCopy>>,
) -> ApiResult<(StatusCode, Json<PipelineGraph>)> {
    let body = body.map(|ApiJson(b)| b).unwrap_or_default();
    Ok((StatusCode::CREATED, Json(pipeline_transfer::copy(&state.db, &caller, id, body).await?)))
}

/// A portable JSON document of the pipeline (templates by name) for `import`.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/export", tag = "pipelines", params(("id" = i64, Path)),
    responses((status = 200, body = PipelineExport)))]
async fn export_pipeline(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
) -> ApiResult<Json<PipelineExport>> {
    Ok(Json(pipeline_transfer::export(&state.db, &caller, id).await?))
}
