//! The Kubernetes clusters a server works with: one client per cluster, made once at start
//! from its kubeconfig (or the in-cluster service account), and whether each answers now.

use std::path::PathBuf;
use std::time::Duration;

use app::model::{ClusterState, ClusterStatus};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// How to reach a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A kubeconfig file, and the context to use (its current one if none).
    Kubeconfig { path: PathBuf, context: Option<String> },
    /// The service account of the pod the server runs in.
    InCluster,
}

/// One cluster as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSettings {
    pub name: String,
    pub source: Source,
}

/// A cluster and its client (or why none could be made).
struct Cluster {
    name: String,
    client: Result<Client, String>,
}

/// Every configured cluster, in configuration order; `names` also lists `local` and the
/// clusters without a way to reach them.
pub struct Clusters {
    names: Vec<String>,
    clusters: Vec<Cluster>,
}

/// How long a health check waits for an API server.
const HEALTH_LIMIT: Duration = Duration::from_secs(5);

async fn client_of(source: &Source) -> Result<Client, String> {
    let config = match source {
        Source::Kubeconfig { path, context } => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let options = KubeConfigOptions { context: context.clone(), ..KubeConfigOptions::default() };
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        Source::InCluster => Config::incluster().map_err(|e| format!("in-cluster configuration: {e}"))?,
    };
    Client::try_from(config).map_err(|e| e.to_string())
}

impl Clusters {
    /// Makes a client for each configured cluster; `names` are all the cluster names the
    /// server knows (the first is the console's own).
    pub async fn connect(names: &[String], settings: &[ClusterSettings]) -> Self {
        let mut clusters = Vec::new();
        for setting in settings {
            let client = client_of(&setting.source).await;
            if let Err(e) = &client {
                tracing::warn!(cluster = %setting.name, error = %e, "cannot make a client for the cluster");
            }
            clusters.push(Cluster { name: setting.name.clone(), client });
        }
        Self { names: names.to_vec(), clusters }
    }

    /// The client of a configured cluster.
    pub fn client(&self, name: &str) -> Option<&Client> {
        self.clusters.iter().find(|c| c.name == name).and_then(|c| c.client.as_ref().ok())
    }

    /// Whether the server knows a cluster of this name (configured, reachable or not).
    pub fn is_named(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// Every cluster that has a client, with it.
    pub fn clients(&self) -> impl Iterator<Item = (&str, &Client)> {
        self.clusters.iter().filter_map(|c| Some((c.name.as_str(), c.client.as_ref().ok()?)))
    }

    /// Every cluster and whether it answers, asked all at once.
    pub async fn health(&self) -> Vec<ClusterStatus> {
        let asked = self.names.iter().enumerate().map(|(i, name)| async move {
            let mut status = ClusterStatus {
                name: name.clone(),
                console: i == 0,
                state: ClusterState::NotConfigured,
                version: None,
                message: None,
            };
            match self.clusters.iter().find(|c| &c.name == name) {
                None if name == LOCAL => status.state = ClusterState::Local,
                None => {}
                Some(Cluster { client: Err(e), .. }) => {
                    status.state = ClusterState::Unreachable;
                    status.message = Some(e.clone());
                }
                Some(Cluster { client: Ok(client), .. }) => {
                    match tokio::time::timeout(HEALTH_LIMIT, client.apiserver_version()).await {
                        Ok(Ok(info)) => {
                            status.state = ClusterState::Reachable;
                            status.version = Some(info.git_version);
                        }
                        Ok(Err(e)) => {
                            status.state = ClusterState::Unreachable;
                            status.message = Some(e.to_string());
                        }
                        Err(_) => {
                            status.state = ClusterState::Unreachable;
                            status.message = Some(format!("no answer within {} s", HEALTH_LIMIT.as_secs()));
                        }
                    }
                }
            }
            status
        });
        futures_util::future::join_all(asked).await
    }
}

/// The name of the server's own engine.
pub const LOCAL: &str = "local";
