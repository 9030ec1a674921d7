//! The Cubist server: configuration, database, authentication, the REST API and the web UI
//! host, assembled by [`build`] and run by [`serve`].

pub mod alerts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cluster_config;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod embedding;
pub mod engine;
pub mod registry_sync;
pub mod scheduler;
pub mod state;
pub mod telemetry;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;

use crate::api::RouteInfo;
use crate::config::Config;
use crate::db::Db;
use crate::domain::seed::{self, Seeded};
use crate::state::AppState;

/// Path of the OpenAPI document.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("cannot prepare the database: {0}")]
    Setup(#[from] domain::Error),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// A ready-to-serve application.
pub struct Built {
    pub router: Router,
    pub openapi: OpenApi,
    pub routes: Vec<RouteInfo>,
    pub state: AppState,
    /// Set when the database was created just now with a generated admin password.
    pub generated_admin_password: Option<String>,
}

/// Opens the database (migrating and seeding it), syncs permissions, builds the router.
pub async fn build(config: Config) -> Result<Built, StartError> {
    telemetry::metrics_handle();
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| StartError::DataDir(config.data_dir.display().to_string(), e))?;
    let db = Db::connect(&config.database).await?;
    let web = web::WebAssets::load(config.static_dir.clone(), &config.embed);
    let oidc = match &config.auth.oidc {
        Some(oidc) => Some(Arc::new(
            auth::oidc::OidcProvider::discover(oidc.clone())
                .await
                .map_err(|e| config::ConfigError { variable: "CUBIST_OIDC_ISSUER".into(), problem: e.to_string() })?,
        )),
        None => None,
    };
    let secrets = match &config.secret_key {
        Some(key) => crypto::SecretBox::from_base64(key),
        None => crypto::SecretBox::from_data_dir(&config.data_dir),
    }
    .map_err(|problem| config::ConfigError { variable: "CUBIST_SECRET_KEY".into(), problem })?;
    let login_throttle = Arc::default();
    let engine =
        engine::Engine::start(db.clone(), config.data_dir.clone(), RETRY_BACKOFF, config.sandbox.clone()).await;
    let clusters = Arc::new(cubist_kube::clusters::Clusters::connect(&config.clusters, &config.cluster_settings).await);
    let on_clusters =
        engine::cluster::ClusterEngine::new(clusters.clone(), engine.shared(), config.cluster_create_rate);
    let engines = engine::executor::Engines { local: engine, clusters: on_clusters };
    let kubernetes = cluster_config::kubernetes(&config.clusters);
    let registry_sync = registry_sync::RegistrySync::start(db.clone(), secrets.clone(), clusters.clone(), kubernetes);
    let state = AppState {
        db,
        config: Arc::new(config),
        web,
        oidc,
        secrets,
        login_throttle,
        auth_cache: Arc::default(),
        engines,
        clusters,
        registry_sync,
    };
    let (api, mut openapi, mut routes) = api::routes(state.clone()).finish();
    routes.push(RouteInfo { method: "GET", path: OPENAPI_PATH.into(), permission: None });
    let catalog = domain::rbac::catalog(routes.iter().filter_map(|r| r.permission));
    domain::rbac::sync(&state.db, &catalog).await?;
    let interrupted = state.engines.local.reconcile(&state.db).await?;
    let resumed = state.engines.clusters.resume(&state.db).await?;
    state.engines.clusters.start_watches();
    if resumed > 0 {
        tracing::info!(runs = resumed, "following again the runs on clusters the previous server process left");
    }
    scheduler::Worker {
        db: state.db.clone(),
        engines: state.engines.clone(),
        settings: state.config.scheduler.clone(),
        senders: alerts::Senders::new(state.config.alerts.clone()),
        public_url: state.config.public_url.clone(),
    }
    .start();
    engine::cleanup::start(
        state.db.clone(),
        state.engines.local.clone(),
        chrono::Duration::hours(state.config.scratch_hours),
    );
    if interrupted > 0 {
        tracing::warn!(runs = interrupted, "ended runs the previous server process left unfinished");
    }
    let generated_admin_password =
        match seed::run(&state.db, state.config.admin_password.as_deref(), &state.config.clusters).await? {
            Seeded::Fresh { generated_admin_password } => generated_admin_password,
            Seeded::AlreadyDone => None,
        };
    openapi.paths.paths.retain(|_, item| {
        item.get.is_some() || item.post.is_some() || item.put.is_some() || item.patch.is_some() || item.delete.is_some()
    });
    let doc = serde_json::to_string(&openapi).unwrap_or_default();
    let router = api
        .route(
            OPENAPI_PATH,
            get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], doc) }),
        )
        .layer(from_fn_with_state(state.clone(), audit::record_writes))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .fallback(web::serve)
        .layer(from_fn(telemetry::track))
        .layer(from_fn_with_state(state.clone(), web::security_headers))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state.clone());
    Ok(Built { router, openapi, routes, state, generated_admin_password })
}

/// Wait before a task's second attempt (doubled for each further one).
const RETRY_BACKOFF: std::time::Duration = std::time::Duration::from_millis(500);

/// Largest request body: a graph save of the largest pipeline (5,000 tasks) fits.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Serves `built` on `listener` until Ctrl-C / SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, built: Built) -> std::io::Result<()> {
    tokio::spawn(housekeeping(built.state.clone()));
    let service = built.router.into_make_service_with_connect_info::<SocketAddr>();
    let engine = built.state.engines.local.clone();
    let stopping = async move {
        shutdown_signal().await;
        // Task processes and debug shells live in their own process groups and sessions:
        // stop them with the server.
        engine.end_shells();
        engine.cancel_all(SHUTDOWN_GRACE).await;
    };
    axum::serve(listener, service).with_graceful_shutdown(stopping).await
}

/// How long a shutdown waits for running tasks to be stopped and recorded.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Periodic clean-up: expired sessions are deleted every hour.
async fn housekeeping(state: AppState) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        let deleted = match state.db.write().await {
            Ok(mut conn) => {
                let now = db::now();
                db::sessions::delete_expired(&mut conn.tx(), now).await
            }
            Err(e) => Err(e),
        };
        match deleted {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "deleted expired sessions"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
