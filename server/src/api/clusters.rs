//! The clusters the server knows and whether each answers (administrators).

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::ClusterStatus;
use axum::Json;
use axum::extract::State;
use utoipa_axum::routes;

use super::ApiRoutes;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.guarded(PermissionKey::new(Action::List, Resource::Clusters), routes!(list_clusters))
}

/// Every cluster in configuration order (the first is the console's own): `local`, or a
/// Kubernetes cluster asked for its version now (at most 5 s), or one without a kubeconfig.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "clusters", responses((status = 200, body = Vec<ClusterStatus>)))]
async fn list_clusters(State(state): State<AppState>) -> Json<Vec<ClusterStatus>> {
    Json(state.clusters.health().await)
}
