//! Registry repositories (credentials write-only) and runtime images.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{Image, ImageInput, NewRepository, Page, PageQuery, Repository, RepositoryUpdate};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::audit::{self, AuditChanges};
use crate::auth::Identity;
use crate::domain::registry;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let repo = |action| PermissionKey::new(action, Resource::Repositories);
    let image = |action| PermissionKey::new(action, Resource::Images);
    r.guarded(repo(Action::List), routes!(list_repositories))
        .guarded(repo(Action::Add), routes!(create_repository))
        .guarded(repo(Action::Show), routes!(get_repository))
        .guarded(repo(Action::Edit), routes!(update_repository))
        .guarded(repo(Action::Delete), routes!(delete_repository))
        .guarded(image(Action::List), routes!(list_images))
        .guarded(image(Action::Add), routes!(create_image))
        .guarded(image(Action::Show), routes!(get_image))
        .guarded(image(Action::Edit), routes!(update_image))
        .guarded(image(Action::Delete), routes!(delete_image))
}

/// Your repositories (administrators: all), by name.
#[utoipa::path(get, path = "/api/v1/repositories", tag = "registry", params(PageQuery), responses((status = 200, body = Page<Repository>)))]
async fn list_repositories(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Repository>>> {
    Ok(Json(registry::list_repositories(&state.db, &caller, q).await?))
}

/// Registers a registry account; the password is stored sealed and never returned.
#[utoipa::path(post, path = "/api/v1/repositories", tag = "registry", request_body = NewRepository, responses((status = 201, body = Repository)))]
async fn create_repository(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<NewRepository>,
) -> ApiResult<(StatusCode, Extension<AuditChanges>, Json<Repository>)> {
    let made = registry::create_repository(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, AuditChanges::between(None, Some(&made)), Json(made)))
}

#[utoipa::path(get, path = "/api/v1/repositories/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = Repository)))]
async fn get_repository(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Repository>> {
    Ok(Json(registry::get_repository(&state.db, &caller, id).await?))
}

/// Changes a repository; an absent password keeps the stored one.
#[utoipa::path(patch, path = "/api/v1/repositories/{id}", tag = "registry", params(("id" = i64, Path)), request_body = RepositoryUpdate,
    responses((status = 200, body = Repository)))]
async fn update_repository(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RepositoryUpdate>,
) -> ApiResult<(Extension<AuditChanges>, Json<Repository>)> {
    let before = registry::get_repository(&state.db, &caller, id).await?;
    let new_password = body.password.is_some();
    let after = registry::update_repository(&state, &caller, id, body).await?;
    let changes = audit::with_secret(AuditChanges::between(Some(&before), Some(&after)), "password", new_password);
    Ok((changes, Json(after)))
}

#[utoipa::path(delete, path = "/api/v1/repositories/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 204)))]
async fn delete_repository(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<(Extension<AuditChanges>, StatusCode)> {
    let before = registry::get_repository(&state.db, &caller, id).await?;
    registry::delete_repository(&state, &caller, id).await?;
    Ok((AuditChanges::between(Some(&before), None), StatusCode::NO_CONTENT))
}

/// Your images (administrators: all), by name.
#[utoipa::path(get, path = "/api/v1/images", tag = "registry", params(PageQuery), responses((status = 200, body = Page<Image>)))]
async fn list_images(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Image>>> {
    Ok(Json(registry::list_images(&state.db, &caller, q).await?))
}

#[utoipa::path(post, path = "/api/v1/images", tag = "registry", request_body = ImageInput, responses((status = 201, body = Image)))]
async fn create_image(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    ApiJson(body): ApiJson<ImageInput>,
) -> ApiResult<(StatusCode, Extension<AuditChanges>, Json<Image>)> {
    let made = registry::save_image(&state.db, &caller, None, body).await?;
    Ok((StatusCode::CREATED, AuditChanges::between(None, Some(&made)), Json(made)))
}

#[utoipa::path(get, path = "/api/v1/images/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 200, body = Image)))]
async fn get_image(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Image>> {
    Ok(Json(registry::get_image(&state.db, &caller, id).await?))
}

#[utoipa::path(put, path = "/api/v1/images/{id}", tag = "registry", params(("id" = i64, Path)), request_body = ImageInput,
    responses((status = 200, body = Image)))]
async fn update_image(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ImageInput>,
) -> ApiResult<(Extension<AuditChanges>, Json<Image>)> {
    let before = registry::get_image(&state.db, &caller, id).await?;
    let after = registry::save_image(&state.db, &caller, Some(id), body).await?;
    Ok((AuditChanges::between(Some(&before), Some(&after)), Json(after)))
}

/// Deletes an image no template uses.
#[utoipa::path(delete, path = "/api/v1/images/{id}", tag = "registry", params(("id" = i64, Path)), responses((status = 204)))]
async fn delete_image(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<i64>,
) -> ApiResult<(Extension<AuditChanges>, StatusCode)> {
    let before = registry::get_image(&state.db, &caller, id).await?;
    registry::delete_image(&state.db, &caller, id).await?;
    Ok((AuditChanges::between(Some(&before), None), StatusCode::NO_CONTENT))
}
