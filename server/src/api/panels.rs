//! External panels (dashboards) configured by the administrator, shown in Cubist's menu.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::Panel;
use axum::Json;
use axum::extract::State;
use utoipa_axum::routes;

use super::ApiRoutes;
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.guarded(PermissionKey::new(Action::List, Resource::Panels), routes!(list_panels))
}

/// The configured panels (`CUBIST_PANELS`), in menu order.
#[utoipa::path(get, path = "/api/v1/panels", tag = "panels", responses((status = 200, body = Vec<Panel>)))]
async fn list_panels(State(state): State<AppState>) -> Json<Vec<Panel>> {
    Json(state.config.embed.panels.clone())
}
