//! The clusters a server knows, as administrators see them.

use serde::{Deserialize, Serialize};

/// How a cluster's work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClusterState {
    /// `local`: the server's own engine (sandboxed processes).
    Local,
    /// A Kubernetes cluster that answered.
    Reachable,
    /// A Kubernetes cluster that did not answer, or whose configuration is wrong.
    Unreachable,
    /// Named in `CUBIST_CLUSTERS` without a kubeconfig: its projects run on the local engine.
    NotConfigured,
}

/// One cluster and whether it works now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterStatus {
    pub name: String,
    /// The cluster the console itself runs in (the first configured).
    pub console: bool,
    pub state: ClusterState,
    /// The API server's version (`v1.36.3`) when it answered.
    pub version: Option<String>,
    /// Why it is unreachable.
    pub message: Option<String>,
}
