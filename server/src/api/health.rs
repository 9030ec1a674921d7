//! Liveness, readiness and Prometheus metrics.

use app::domain::permissions::{Action, PermissionKey, Resource};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use utoipa_axum::routes;

use super::ApiRoutes;
use crate::state::AppState;
use crate::telemetry;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.public(routes!(healthz))
        .public(routes!(readyz))
        .guarded(PermissionKey::new(Action::List, Resource::Metrics), routes!(metrics))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, body = String), (status = 503, body = String)))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.db.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Prometheus text exposition of request counts and latencies.
#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, body = String)))]
async fn metrics() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], telemetry::metrics_handle().render())
}
