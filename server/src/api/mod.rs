//! The REST API under `/api/v1`. Routes are only added through [`ApiRoutes`], which makes
//! each one declare its permission (or be explicitly public), wraps it in the guard, writes
//! the permission into the OpenAPI operation (`x-permission`), and keeps the table that
//! seeds the permission catalog and that the tests enumerate.

pub mod audit_log;
pub mod auth;
pub mod clusters;
pub mod debug;
pub mod error;
pub mod extract;
pub mod health;
pub mod job_templates;
pub mod log_stream;
pub mod me;
pub mod notifications;
pub mod openapi;
pub mod panels;
pub mod pipelines;
pub mod projects;
pub mod registry;
pub mod roles;
pub mod runs;
pub mod schedules;
pub mod tasks;
pub mod terminal_socket;
pub mod users;

use app::domain::permissions::PermissionKey;
use axum::Router;
use axum::middleware::from_fn;
use utoipa::openapi::OpenApi;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::auth::guard;
use crate::state::AppState;

/// Name of the OpenAPI extension that carries a route's permission.
pub const PERMISSION_EXTENSION: &str = "x-permission";

/// One route and what it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: String,
    /// `None` only for the public routes (sign-in, health).
    pub permission: Option<PermissionKey>,
}

/// Builder of the API router that records every route.
pub struct ApiRoutes {
    state: AppState,
    router: OpenApiRouter<AppState>,
    table: Vec<RouteInfo>,
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("POST", item.post.as_mut()),
        ("PUT", item.put.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("HEAD", item.head.as_mut()),
        ("OPTIONS", item.options.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

impl ApiRoutes {
    pub fn new(state: AppState) -> Self {
        Self { state, router: OpenApiRouter::with_openapi(openapi::base()), table: Vec::new() }
    }

    /// Adds routes anyone may call.
    pub fn public(mut self, (schemas, mut paths, methods): UtoipaMethodRouter<AppState>) -> Self {
        for (path, item) in paths.paths.iter_mut() {
            for (method, _) in operations(item) {
                self.table.push(RouteInfo { method, path: path.clone(), permission: None });
            }
        }
        self.router = self.router.routes((schemas, paths, methods));
        self
    }

    /// Adds routes that require `permission`, enforced by the guard before the handler.
    pub fn guarded(
        mut self,
        permission: PermissionKey,
        (schemas, mut paths, methods): UtoipaMethodRouter<AppState>,
    ) -> Self {
        for (path, item) in paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                let extensions = ExtensionsBuilder::new().add(PERMISSION_EXTENSION, permission.to_string()).build();
                op.extensions.get_or_insert_with(Default::default).merge(extensions);
                self.table.push(RouteInfo { method, path: path.clone(), permission: Some(permission) });
            }
        }
        let state = self.state.clone();
        let methods =
            methods.route_layer(from_fn(move |req, next| guard::require(state.clone(), permission, req, next)));
        self.router = self.router.routes((schemas, paths, methods));
        self
    }

    /// The axum router, the OpenAPI document and the route table.
    pub fn finish(self) -> (Router<AppState>, OpenApi, Vec<RouteInfo>) {
        let (router, api) = self.router.split_for_parts();
        (router, api, self.table)
    }
}

/// Every API route of the product.
pub fn routes(state: AppState) -> ApiRoutes {
    let r = ApiRoutes::new(state);
    let r = auth::routes(r);
    let r = me::routes(r);
    let r = users::routes(r);
    let r = projects::routes(r);
    let r = registry::routes(r);
    let r = job_templates::routes(r);
    let r = pipelines::routes(r);
    let r = tasks::routes(r);
    let r = debug::routes(r);
    let r = panels::routes(r);
    let r = runs::routes(r);
    let r = schedules::routes(r);
    let r = notifications::routes(r);
    let r = roles::routes(r);
    let r = audit_log::routes(r);
    let r = clusters::routes(r);
    health::routes(r)
}
