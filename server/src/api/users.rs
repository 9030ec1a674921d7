//! User administration.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{NewUser, Page, PageQuery, User, UserId, UserUpdate};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::audit::{self, AuditChanges};
use crate::auth::Identity;
use crate::domain::accounts;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.guarded(PermissionKey::new(Action::List, Resource::Users), routes!(list_users))
        .guarded(PermissionKey::new(Action::Add, Resource::Users), routes!(create_user))
        .guarded(PermissionKey::new(Action::Show, Resource::Users), routes!(get_user))
        .guarded(PermissionKey::new(Action::Edit, Resource::Users), routes!(update_user))
}

/// Users by username, paginated.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery), responses((status = 200, body = Page<User>)))]
async fn list_users(State(state): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> ApiResult<Json<Page<User>>> {
    Ok(Json(accounts::list(&state.db, q).await?))
}

/// Creates a local user; they also get their personal role, Gamma and project `public`.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser, responses((status = 201, body = User)))]
async fn create_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Extension<AuditChanges>, Json<User>)> {
    let made = accounts::create(&state.db, body, &caller).await?;
    Ok((StatusCode::CREATED, AuditChanges::between(None, Some(&made)), Json(made)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), responses((status = 200, body = User)))]
async fn get_user(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<User>> {
    Ok(Json(accounts::get(&state.db, UserId(id)).await?))
}

/// Edits a user: profile, password, active flag, roles.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserUpdate,
    responses((status = 200, body = User)))]
async fn update_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<UserUpdate>,
) -> ApiResult<(Extension<AuditChanges>, Json<User>)> {
    let before = accounts::get(&state.db, UserId(id)).await?;
    let new_password = body.password.is_some();
    let after = accounts::update(&state.db, UserId(id), body, &caller).await?;
    let changes = audit::with_secret(AuditChanges::between(Some(&before), Some(&after)), "password", new_password);
    Ok((changes, Json(after)))
}
