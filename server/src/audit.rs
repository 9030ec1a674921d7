//! The audit trail: a middleware records every write request (who, what, when, outcome)
//! after it ran, whether it succeeded, was refused or failed.

use std::net::SocketAddr;
use std::time::Instant;

use app::domain::permissions::PermissionKey;
use app::model::{AuditOutcome, UserId};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::db::audit::NewAuditRow;
use crate::db::{self, audit};
use crate::state::AppState;

/// Who made the request; set on the response by the guard or a login handler.
#[derive(Debug, Clone)]
pub struct AuditActor {
    pub user_id: Option<UserId>,
    pub username: String,
}

/// The permission the route required; set on the response by the guard.
#[derive(Debug, Clone, Copy)]
pub struct RoutePermission(pub PermissionKey);

/// Set on the response by the few GET handlers that write (sign-in callbacks).
#[derive(Debug, Clone, Copy)]
pub struct AuditThis;

/// Middleware: runs the request, then records it if it was a write.
pub async fn record_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let read_only = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let client_ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let response = next.run(req).await;
    if read_only && response.extensions().get::<AuditThis>().is_none() {
        return response;
    }
    let actor = response.extensions().get::<AuditActor>().cloned();
    let status = response.status().as_u16();
    let row = NewAuditRow {
        at: db::now(),
        user_id: actor.as_ref().and_then(|a| a.user_id).map(|u| u.0),
        username: actor.map(|a| a.username),
        method,
        path,
        permission: response.extensions().get::<RoutePermission>().map(|p| p.0.to_string()),
        status: i32::from(status),
        outcome: AuditOutcome::from_status(status).as_str().to_owned(),
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        client_ip,
    };
    let written = match state.db.write().await {
        Ok(mut conn) => audit::insert(&mut conn.tx(), &row).await,
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        tracing::error!(error = %e, path = %row.path, "could not write the audit entry");
    }
    response
}
