//! The audit trail: a middleware records every write request (who, what, when, outcome)
//! after it ran, whether it succeeded, was refused or failed, and what it changed where the
//! handler says so ([`AuditChanges`]).

use std::net::SocketAddr;
use std::time::Instant;

use app::domain::audit_diff;
use app::domain::permissions::PermissionKey;
use app::model::{AuditOutcome, FieldChange, UserId};
use axum::Extension;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

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

/// What a write changed; set on the response by the handlers of writes that know.
#[derive(Debug, Clone, Default)]
pub struct AuditChanges(pub Vec<FieldChange>);

impl AuditChanges {
    /// The fields that differ between two forms of a record (`None`: created or deleted).
    pub fn between<T: Serialize>(before: Option<&T>, after: Option<&T>) -> Extension<Self> {
        let json = |v: Option<&T>| v.and_then(|v| serde_json::to_value(v).ok());
        Extension(Self(audit_diff::diff(json(before).as_ref(), json(after).as_ref())))
    }
}

/// Adds the change of a secret whose values the log never sees (a new password).
pub fn with_secret(mut changes: Extension<AuditChanges>, field: &str, changed: bool) -> Extension<AuditChanges> {
    if changed {
        changes.0.0.push(audit_diff::secret_changed(field));
    }
    changes
}

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
        changes: response
            .extensions()
            .get::<AuditChanges>()
            .and_then(|c| serde_json::to_string(&c.0).ok())
            .unwrap_or_else(|| "[]".into()),
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
