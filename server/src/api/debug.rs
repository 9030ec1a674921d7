//! Debug shells of single tasks over a WebSocket terminal. The route's permission is
//! `debug:tasks`; the shell also needs the right to run the task and a configuration that
//! allows shells on this machine. Browsers send cookies with WebSocket handshakes from any
//! site, so a handshake whose `Origin` is not this server's own is refused.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{DebugShell, ErrorCode, TaskId};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::{ApiError, ApiResult};
use super::extract::ApiQuery;
use super::terminal_socket;
use crate::audit::AuditThis;
use crate::auth::Identity;
use crate::domain::debug_shells;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.guarded(PermissionKey::new(Action::Debug, Resource::Tasks), routes!(debug_task))
}

/// The terminal's size when it opens.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct TerminalSize {
    #[serde(default = "default_cols")]
    cols: u16,
    #[serde(default = "default_rows")]
    rows: u16,
}

fn default_cols() -> u16 {
    80
}

fn default_rows() -> u16 {
    24
}

/// Opens an interactive shell in the task's environment and working directory, as a
/// WebSocket terminal (binary frames: bytes; text frames from the client:
/// `{"type":"resize","cols":C,"rows":R}`; the server closes with code 4000 and reason
/// `exit N` when the shell ends). Asked without a WebSocket upgrade, it answers with the
/// shell it would open.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/debug", tag = "runs",
    params(("id" = i64, Path), TerminalSize),
    responses((status = 101, description = "the terminal's WebSocket"), (status = 200, body = DebugShell)))]
async fn debug_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(task): Path<TaskId>,
    ApiQuery(size): ApiQuery<TerminalSize>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    check_origin(&headers)?;
    let (info, launch) =
        debug_shells::prepare(&state.db, &state.engine, state.config.host_shells, &caller, task).await?;
    let Ok(upgrade) = upgrade else {
        return Ok(Json(info).into_response());
    };
    let open = debug_shells::open(&state.engine, launch, size.cols, size.rows)?;
    let mut response = upgrade.on_upgrade(move |socket| terminal_socket::serve(socket, open));
    response.extensions_mut().insert(AuditThis);
    Ok(response)
}

/// Refuses a request sent by a page of another site (cross-site WebSocket hijacking).
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .and_then(|u| u.host_str().map(|h| u.port().map_or_else(|| h.to_owned(), |p| format!("{h}:{p}"))));
    match origin_host {
        Some(origin_host) if origin_host.eq_ignore_ascii_case(host) => Ok(()),
        _ => {
            Err(ApiError::new(ErrorCode::Forbidden, "the request comes from another site (Origin does not match Host)"))
        }
    }
}
