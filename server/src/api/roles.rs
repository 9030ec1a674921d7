//! Role administration and the permission catalog.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{Page, PageQuery, Permission, Role, RoleId, RoleInput, RoleQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::audit::AuditChanges;
use crate::auth::Identity;
use crate::domain::roles;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.guarded(PermissionKey::new(Action::List, Resource::Roles), routes!(list_roles))
        .guarded(PermissionKey::new(Action::Add, Resource::Roles), routes!(create_role))
        .guarded(PermissionKey::new(Action::Show, Resource::Roles), routes!(get_role))
        .guarded(PermissionKey::new(Action::Edit, Resource::Roles), routes!(update_role))
        .guarded(PermissionKey::new(Action::Delete, Resource::Roles), routes!(delete_role))
        .guarded(PermissionKey::new(Action::List, Resource::Permissions), routes!(list_permissions))
}

/// Roles by name, paginated; `q` filters by name, `personal=false` hides personal roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", params(RoleQuery), responses((status = 200, body = Page<Role>)))]
async fn list_roles(State(state): State<AppState>, ApiQuery(q): ApiQuery<RoleQuery>) -> ApiResult<Json<Page<Role>>> {
    Ok(Json(roles::list(&state.db, q).await?))
}

#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = RoleInput, responses((status = 201, body = Role)))]
async fn create_role(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<RoleInput>,
) -> ApiResult<(StatusCode, Extension<AuditChanges>, Json<Role>)> {
    let made = roles::create(&state.db, &caller, body).await?;
    Ok((StatusCode::CREATED, AuditChanges::between(None, Some(&made)), Json(made)))
}

#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = i64, Path)), responses((status = 200, body = Role)))]
async fn get_role(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Role>> {
    Ok(Json(roles::get(&state.db, RoleId(id)).await?))
}

/// Renames a role and replaces its permissions (not for built-in roles).
#[utoipa::path(put, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = i64, Path)), request_body = RoleInput,
    responses((status = 200, body = Role)))]
async fn update_role(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RoleInput>,
) -> ApiResult<(Extension<AuditChanges>, Json<Role>)> {
    let before = roles::get(&state.db, RoleId(id)).await?;
    let after = roles::update(&state.db, &caller, RoleId(id), body).await?;
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}

#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = i64, Path)), responses((status = 204)))]
async fn delete_role(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<(Extension<AuditChanges>, StatusCode)> {
    let before = roles::get(&state.db, RoleId(id)).await?;
    roles::delete(&state.db, &caller, RoleId(id)).await?;
    Ok((AuditChanges::between(Some(&before), None), StatusCode::NO_CONTENT))
}

/// The permission catalog, paginated.
#[utoipa::path(get, path = "/api/v1/permissions", tag = "roles", params(PageQuery), responses((status = 200, body = Page<Permission>)))]
async fn list_permissions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Permission>>> {
    Ok(Json(roles::permissions(&state.db, q).await?))
}
