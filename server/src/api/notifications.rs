//! Notifications: the signed-in user's inbox (messages, unread count, marking read) and the
//! deliveries of alerts over webhook and email (administrators).

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{Delivery, Notification, Page, PageQuery, UnreadCount};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::ApiQuery;
use crate::auth::Identity;
use crate::domain::notifications;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let account = |action| PermissionKey::new(action, Resource::Account);
    r.guarded(account(Action::Show), routes!(inbox))
        .guarded(account(Action::Show), routes!(unread))
        .guarded(account(Action::Edit), routes!(read_one))
        .guarded(account(Action::Edit), routes!(read_all))
        .guarded(PermissionKey::new(Action::List, Resource::BackgroundJobs), routes!(deliveries))
}

/// The caller's inbox, newest first: alerts on runs of the pipelines they created or are an
/// alert user of.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", params(PageQuery),
    responses((status = 200, body = Page<Notification>)))]
async fn inbox(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Notification>>> {
    Ok(Json(notifications::inbox(&state.db, &caller, query).await?))
}

/// How many of the caller's messages are unread.
#[utoipa::path(get, path = "/api/v1/me/notifications/unread", tag = "notifications",
    responses((status = 200, body = UnreadCount)))]
async fn unread(State(state): State<AppState>, Extension(caller): Extension<Identity>) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(notifications::unread(&state.db, &caller).await?))
}

/// Marks one of the caller's messages read; answers the unread count.
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path)), responses((status = 200, body = UnreadCount)))]
async fn read_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(notifications::read(&state.db, &caller, id).await?))
}

/// Marks all of the caller's messages read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read-all", tag = "notifications",
    responses((status = 200, body = UnreadCount)))]
async fn read_all(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(notifications::read_all(&state.db, &caller).await?))
}

/// Every delivery of an alert over webhook or email, newest first: its state, tries and
/// last error (a webhook shows only its host).
#[utoipa::path(get, path = "/api/v1/notification-deliveries", tag = "notifications", params(PageQuery),
    responses((status = 200, body = Page<Delivery>)))]
async fn deliveries(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    Ok(Json(notifications::deliveries(&state.db, query).await?))
}
