//! Schedules: a pipeline's scheduled records (list, skip, run again, backfill), the preview
//! of a schedule before it is saved, and the server's periodic jobs (administrators).

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{
    Backfill, BackfillOutcome, BackgroundJob, Page, PageQuery, PipelineId, SchedulePreview, SchedulePreviewInput,
    ScheduleRecord,
};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::Identity;
use crate::domain::schedules;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    let runs = |action| PermissionKey::new(action, Resource::Runs);
    r.guarded(runs(Action::List), routes!(list_records))
        .guarded(runs(Action::Edit), routes!(skip_record))
        .guarded(runs(Action::Add), routes!(rerun_record))
        .guarded(runs(Action::Add), routes!(backfill))
        .guarded(PermissionKey::new(Action::Show, Resource::Pipelines), routes!(preview_schedule))
        .guarded(PermissionKey::new(Action::List, Resource::BackgroundJobs), routes!(list_jobs))
}

/// Every execution date of the pipeline's schedule, newest first: waiting (with what it
/// waits for), started (with its run and the run's status) or skipped (with the reason).
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/schedule/records", tag = "schedules",
    params(("id" = i64, Path), PageQuery), responses((status = 200, body = Page<ScheduleRecord>)))]
async fn list_records(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ScheduleRecord>>> {
    Ok(Json(schedules::list(&state.db, &caller, id, query).await?))
}

/// Skips an execution date: a waiting one never runs; a finished one no longer holds a
/// schedule that waits for the previous run. 409 while its run is in flight.
#[utoipa::path(post, path = "/api/v1/pipelines/{id}/schedule/records/{record}/skip", tag = "schedules",
    params(("id" = i64, Path), ("record" = i64, Path)), responses((status = 200, body = ScheduleRecord)))]
async fn skip_record(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((id, record)): Path<(PipelineId, i64)>,
) -> ApiResult<Json<ScheduleRecord>> {
    Ok(Json(schedules::skip(&state.db, &caller, id, record).await?))
}

/// Runs an execution date again: it waits for its turn under the schedule's settings, and
/// its earlier run stays listed. 409 while its run is in flight or it is waiting already.
#[utoipa::path(post, path = "/api/v1/pipelines/{id}/schedule/records/{record}/rerun", tag = "schedules",
    params(("id" = i64, Path), ("record" = i64, Path)), responses((status = 200, body = ScheduleRecord)))]
async fn rerun_record(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path((id, record)): Path<(PipelineId, i64)>,
) -> ApiResult<Json<ScheduleRecord>> {
    Ok(Json(schedules::rerun(&state.db, &caller, id, record).await?))
}

/// Records every execution date of the schedule from `from` to `to` that has no record yet;
/// they run under the schedule's settings like any other (at most 10,000 dates at once).
#[utoipa::path(post, path = "/api/v1/pipelines/{id}/schedule/backfill", tag = "schedules",
    params(("id" = i64, Path)), request_body = Backfill, responses((status = 200, body = BackfillOutcome)))]
async fn backfill(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    ApiJson(range): ApiJson<Backfill>,
) -> ApiResult<Json<BackfillOutcome>> {
    let settings = &state.config.scheduler;
    let added = schedules::backfill(&state.db, &caller, settings, id, range.from, range.to).await?;
    Ok(Json(BackfillOutcome { added }))
}

/// What a schedule would create if saved now over the stored one, before it is saved: how
/// many catch-up runs (from, to) and the next dates, in the schedule's time zone. Only a
/// new catch-up start (or one not acted on yet) catches up.
#[utoipa::path(post, path = "/api/v1/pipelines/{id}/schedule/preview", tag = "schedules",
    params(("id" = i64, Path)), request_body = SchedulePreviewInput, responses((status = 200, body = SchedulePreview)))]
async fn preview_schedule(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<PipelineId>,
    ApiJson(input): ApiJson<SchedulePreviewInput>,
) -> ApiResult<Json<SchedulePreview>> {
    Ok(Json(schedules::preview_for(&state.db, &caller, id, &input.schedule, &state.config.scheduler).await?))
}

/// The server's periodic jobs: which replica runs one now, the last and next pass, and the
/// last error.
#[utoipa::path(get, path = "/api/v1/background-jobs", tag = "schedules",
    responses((status = 200, body = Vec<BackgroundJob>)))]
async fn list_jobs(State(state): State<AppState>) -> ApiResult<Json<Vec<BackgroundJob>>> {
    Ok(Json(schedules::jobs(&state.db).await?))
}
