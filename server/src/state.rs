//! What every handler can reach: the database, the configuration and the built UI.

use std::sync::Arc;

use cubist_kube::clusters::Clusters;

use crate::auth::oidc::OidcProvider;
use crate::auth::throttle::LoginThrottle;
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::db::Db;
use crate::engine::executor::Engines;
use crate::web::WebAssets;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub web: Arc<WebAssets>,
    /// The discovered OpenID Connect provider, when that login method is on.
    pub oidc: Option<Arc<OidcProvider>>,
    /// Seals stored credentials.
    pub secrets: SecretBox,
    /// Failed password sign-ins, to slow guessing.
    pub login_throttle: Arc<LoginThrottle>,
    /// The callers of recent requests, for a few seconds.
    pub auth_cache: Arc<crate::auth::cache::AuthCache>,
    /// Runs pipelines: the server's own engine and the Kubernetes one.
    pub engines: Engines,
    /// The Kubernetes clusters and their clients (made once).
    pub clusters: Arc<Clusters>,
    /// Writes registry pull Secrets into the clusters.
    pub registry_sync: crate::registry_sync::RegistrySync,
}
