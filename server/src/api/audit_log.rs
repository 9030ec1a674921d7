//! Reading the audit log.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{AuditEntry, AuditQuery, Page};
use axum::Json;
use axum::extract::State;
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::ApiResult;
use super::extract::ApiQuery;
use crate::domain::audit_log;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.guarded(PermissionKey::new(Action::List, Resource::AuditLog), routes!(list_audit_log))
}

/// Recorded writes, newest first; filter by `username` and `outcome`.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditQuery), responses((status = 200, body = Page<AuditEntry>)))]
async fn list_audit_log(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(audit_log::list(&state.db, q).await?))
}
