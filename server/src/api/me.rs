//! The signed-in user's own account and API tokens.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{ApiToken, CreatedToken, Me, MeUpdate, NewToken, TokenId};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::ApiJson;
use crate::auth::Identity;
use crate::domain::{accounts, tokens};
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.guarded(PermissionKey::new(Action::Show, Resource::Account), routes!(me))
        .guarded(PermissionKey::new(Action::Edit, Resource::Account), routes!(update_me))
        .guarded(PermissionKey::new(Action::List, Resource::ApiTokens), routes!(list_tokens))
        .guarded(PermissionKey::new(Action::Add, Resource::ApiTokens), routes!(create_token))
        .guarded(PermissionKey::new(Action::Delete, Resource::ApiTokens), routes!(revoke_token))
}

/// Who is signed in: user, roles, permissions and projects.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Me)))]
async fn me(State(state): State<AppState>, Extension(id): Extension<Identity>) -> ApiResult<Json<Me>> {
    Ok(Json(accounts::me(&state.db, &id, state.engines.local.task_isolation()).await?))
}

/// Changes the caller's display name or UI language.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = MeUpdate, responses((status = 200, body = Me)))]
async fn update_me(
    State(state): State<AppState>,
    Extension(id): Extension<Identity>,
    ApiJson(body): ApiJson<MeUpdate>,
) -> ApiResult<Json<Me>> {
    accounts::update_self(&state.db, id.user_id, body).await?;
    Ok(Json(accounts::me(&state.db, &id, state.engines.local.task_isolation()).await?))
}

/// The caller's live API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, body = Vec<ApiToken>)))]
async fn list_tokens(
    State(state): State<AppState>,
    Extension(id): Extension<Identity>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(tokens::list(&state.db, id.user_id).await?))
}

/// Creates an API token; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = NewToken, responses((status = 201, body = CreatedToken)))]
async fn create_token(
    State(state): State<AppState>,
    Extension(id): Extension<Identity>,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    Ok((StatusCode::CREATED, Json(tokens::create(&state.db, id.user_id, body).await?)))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me", params(("id" = i64, Path)), responses((status = 204)))]
async fn revoke_token(
    State(state): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(token): Path<i64>,
) -> ApiResult<StatusCode> {
    tokens::revoke(&state.db, id.user_id, TokenId(token)).await?;
    Ok(StatusCode::NO_CONTENT)
}
