//! Job templates.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{JobTemplate, Page, TemplateInput, TemplateQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::audit::AuditChanges;
use crate::auth::Identity;
use crate::domain::job_templates;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let t = |action| PermissionKey::new(action, Resource::JobTemplates);
    r.guarded(t(Action::List), routes!(list_templates))
        .guarded(t(Action::Add), routes!(create_template))
        .guarded(t(Action::Show), routes!(get_template))
        .guarded(t(Action::Edit), routes!(update_template))
        .guarded(t(Action::Delete), routes!(delete_template))
        .guarded(t(Action::Copy), routes!(copy_template))
}

/// Templates by category index, template index and name. Others' test versions are hidden
/// from non-administrators.
#[utoipa::path(get, path = "/api/v1/job-templates", tag = "job-templates", params(TemplateQuery),
    responses((status = 200, body = Page<JobTemplate>)))]
async fn list_templates(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> ApiResult<Json<Page<JobTemplate>>> {
    Ok(Json(job_templates::list(&state.db, &caller, q).await?))
}

/// Creates a template; every field is checked, the demo arguments against the schema.
#[utoipa::path(post, path = "/api/v1/job-templates", tag = "job-templates", request_body = TemplateInput,
    responses((status = 201, body = JobTemplate)))]
async fn create_template(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Extension<AuditChanges>, Json<JobTemplate>)> {
    let made = job_templates::save(&state.db, &caller, None, body).await?;
    Ok((StatusCode::CREATED, AuditChanges::between(None, Some(&made)), Json(made)))
}

#[utoipa::path(get, path = "/api/v1/job-templates/{id}", tag = "job-templates", params(("id" = i64, Path)),
    responses((status = 200, body = JobTemplate)))]
async fn get_template(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<Json<JobTemplate>> {
    Ok(Json(job_templates::get(&state.db, &caller, id).await?))
}

/// Replaces a template (administrators and its creator).
#[utoipa::path(put, path = "/api/v1/job-templates/{id}", tag = "job-templates", params(("id" = i64, Path)), request_body = TemplateInput,
    responses((status = 200, body = JobTemplate)))]
async fn update_template(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TemplateInput>,
) -> ApiResult<(Extension<AuditChanges>, Json<JobTemplate>)> {
    let before = job_templates::get(&state.db, &caller, id).await?;
    let after = job_templates::save(&state.db, &caller, Some(id), body).await?;
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}

#[utoipa::path(delete, path = "/api/v1/job-templates/{id}", tag = "job-templates", params(("id" = i64, Path)), responses((status = 204)))]
async fn delete_template(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<(Extension<AuditChanges>, StatusCode)> {
    let before = job_templates::get(&state.db, &caller, id).await?;
    job_templates::delete(&state.db, &caller, id).await?;
    Ok((AuditChanges::between(Some(&before), None), StatusCode::NO_CONTENT))
}

/// Copies a template as `<name>-copy-<4 hex>`, owned by the caller.
#[utoipa::path(post, path = "/api/v1/job-templates/{id}/copy", tag = "job-templates", params(("id" = i64, Path)),
    responses((status = 201, body = JobTemplate)))]
async fn copy_template(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<JobTemplate>)> {
    Ok((StatusCode::CREATED, Json(job_templates::copy(&state.db, &caller, id).await?)))
}
