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

/// Opens an interactive shell in the task's environment and working directory (on this
/// server, or in a debug pod running the task's container when its project is on a
/// Kubernetes cluster), as a WebSocket terminal (binary frames: bytes; text frames from the client:
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
        debug_shells::prepare(&state.db, &state.engines, state.config.host_shells, &caller, task).await?;
    let Ok(upgrade) = upgrade else {
        return Ok(Json(info).into_response());
    };
    let open = debug_shells::open(&state.engines, &caller, launch, size.cols, size.rows).await?;
    let upgrade = upgrade.max_message_size(terminal_socket::MAX_MESSAGE).max_frame_size(terminal_socket::MAX_MESSAGE);
    let mut response = upgrade.on_upgrade(move |socket| terminal_socket::serve(socket, open));
    response.extensions_mut().insert(AuditThis);
    Ok(response)
}

/// Refuses a request sent by a page of another site (cross-site WebSocket hijacking): the
/// `Origin` must name this server as the browser reached it, that is the `Host` header, or
/// the `X-Forwarded-Host` a reverse proxy sets (a page cannot set either on a handshake).
/// Ports are compared with the scheme's default filled in.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok());
    let Some((scheme, host, port)) =
        origin.as_ref().and_then(|u| Some((u.scheme(), u.host_str()?, u.port_or_known_default()?)))
    else {
        return Err(cross_site());
    };
    let names_this_server = ["x-forwarded-host", "host"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|authority| url::Url::parse(&format!("{scheme}://{}", authority.trim())).ok())
        .any(|seen| {
            seen.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host)) && seen.port_or_known_default() == Some(port)
        });
    if names_this_server { Ok(()) } else { Err(cross_site()) }
}

fn cross_site() -> ApiError {
    ApiError::new(ErrorCode::Forbidden, "the request comes from another site (Origin does not name this server)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn the_origin_must_name_this_server() {
        let ok = |pairs: &[(&'static str, &str)]| check_origin(&headers(pairs)).is_ok();
        assert!(ok(&[("host", "127.0.0.1:3000")]), "no Origin: not a browser page");
        assert!(ok(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]));
        assert!(ok(&[("origin", "https://cubist.example"), ("host", "cubist.example:443")]));
        assert!(ok(&[("origin", "https://Cubist.Example"), ("host", "cubist.example")]));
        assert!(ok(&[("origin", "http://[::1]:3000"), ("host", "[::1]:3000")]));
        assert!(ok(&[
            ("origin", "https://cubist.example"),
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-host", "cubist.example")
        ]));
        assert!(!ok(&[("origin", "https://evil.example"), ("host", "cubist.example")]));
        assert!(!ok(&[("origin", "https://cubist.example.evil"), ("host", "cubist.example")]));
        assert!(!ok(&[("origin", "http://127.0.0.1:4000"), ("host", "127.0.0.1:3000")]));
        assert!(!ok(&[("origin", "null"), ("host", "cubist.example")]));
        assert!(!ok(&[("origin", "https://cubist.example")]), "no Host to compare with");
    }
}
