//! Project groups (org projects and template categories) and their members.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{
    Member, MemberUpdate, NewMember, NewProject, Page, Project, ProjectId, ProjectQuery, ProjectUpdate, UserId,
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
use crate::domain::projects;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let p = |action| PermissionKey::new(action, Resource::Projects);
    let m = |action| PermissionKey::new(action, Resource::ProjectMembers);
    r.guarded(p(Action::List), routes!(list_projects))
        .guarded(p(Action::Add), routes!(create_project))
        .guarded(p(Action::Show), routes!(get_project))
        .guarded(p(Action::Edit), routes!(update_project))
        .guarded(p(Action::Delete), routes!(delete_project))
        .guarded(m(Action::List), routes!(list_members))
        .guarded(m(Action::Add), routes!(add_member))
        .guarded(m(Action::Edit), routes!(update_member))
        .guarded(m(Action::Delete), routes!(remove_member))
}

/// Projects by kind, index and name; `kind` filters, `mine=true` keeps the caller's.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ProjectQuery), responses((status = 200, body = Page<Project>)))]
async fn list_projects(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> ApiResult<Json<Page<Project>>> {
    Ok(Json(projects::list(&state.db, &caller, q).await?))
}

/// Creates a project; for an org project the caller becomes its creator.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = NewProject, responses((status = 201, body = Project)))]
async fn create_project(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<NewProject>,
) -> ApiResult<(StatusCode, Extension<AuditChanges>, Json<Project>)> {
    let made = projects::create(&state.db, &caller, body, &state.config.clusters).await?;
    state.registry_sync.wake();
    Ok((StatusCode::CREATED, AuditChanges::between(None, Some(&made)), Json(made)))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)), responses((status = 200, body = Project)))]
async fn get_project(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Project>> {
    Ok(Json(projects::get(&state.db, &caller, ProjectId(id)).await?))
}

/// Edits a project (administrators and the project's creators).
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)), request_body = ProjectUpdate,
    responses((status = 200, body = Project)))]
async fn update_project(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ProjectUpdate>,
) -> ApiResult<(Extension<AuditChanges>, Json<Project>)> {
    let before = projects::get(&state.db, &caller, ProjectId(id)).await?;
    let after = projects::update(&state.db, &caller, ProjectId(id), body, &state.config.clusters).await?;
    state.registry_sync.wake();
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}

/// Deletes a project (administrators only; never `public`).
#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)), responses((status = 204)))]
async fn delete_project(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<(Extension<AuditChanges>, StatusCode)> {
    let before = projects::get(&state.db, &caller, ProjectId(id)).await?;
    projects::delete(&state.db, &caller, ProjectId(id)).await?;
    Ok((AuditChanges::between(Some(&before), None), StatusCode::NO_CONTENT))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/members", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Member>)))]
async fn list_members(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(projects::members(&state.db, ProjectId(id)).await?))
}

/// Adds a member by username (administrators and the project's creators).
#[utoipa::path(post, path = "/api/v1/projects/{id}/members", tag = "projects", params(("id" = i64, Path)), request_body = NewMember,
    responses((status = 201, body = Vec<Member>)))]
async fn add_member(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewMember>,
) -> ApiResult<(StatusCode, Json<Vec<Member>>)> {
    Ok((StatusCode::CREATED, Json(projects::add_member(&state.db, &caller, ProjectId(id), body).await?)))
}

/// Changes a member's role; a project keeps at least one creator.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/members/{user_id}", tag = "projects",
    params(("id" = i64, Path), ("user_id" = i64, Path)), request_body = MemberUpdate, responses((status = 200, body = Vec<Member>)))]
async fn update_member(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((id, user)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<MemberUpdate>,
) -> ApiResult<(Extension<AuditChanges>, Json<Vec<Member>>)> {
    let before = projects::members(&state.db, ProjectId(id)).await?;
    let after = projects::update_member(&state.db, &caller, ProjectId(id), UserId(user), body).await?;
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}/members/{user_id}", tag = "projects",
    params(("id" = i64, Path), ("user_id" = i64, Path)), responses((status = 200, body = Vec<Member>)))]
async fn remove_member(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((id, user)): Path<(i64, i64)>,
) -> ApiResult<(Extension<AuditChanges>, Json<Vec<Member>>)> {
    let before = projects::members(&state.db, ProjectId(id)).await?;
    let after = projects::remove_member(&state.db, &caller, ProjectId(id), UserId(user)).await?;
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}
