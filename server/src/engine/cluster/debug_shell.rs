//! Debug shells on a cluster: the task's debug pod is made to run (kept when it already
//! runs), then a shell opens in it through the cluster's exec.

use app::domain::plan::{Plan, TaskPlan};
use cubist_kube::debug_pods::{self, Pod, PodShell};

use super::ClusterEngine;

impl ClusterEngine {
    /// The debug pod of `task` on `cluster`.
    pub fn debug_pod(&self, plan: &Plan, task: &TaskPlan, cluster: &str, namespace: &str) -> Pod {
        debug_pods::debug_pod(plan, task, &Self::target(cluster, namespace, self.inner.files.retry_backoff))
    }

    /// Opens a shell in `pod` on `cluster` (starting the pod first if it does not run).
    pub async fn open_shell(&self, cluster: &str, pod: &Pod, cols: u16, rows: u16) -> Result<PodShell, String> {
        let client =
            self.inner.clusters.client(cluster).ok_or_else(|| self.check(cluster).err().unwrap_or_default())?;
        self.inner.creations.wait_turn(cluster).await;
        debug_pods::ensure_running(client, pod).await.map_err(|e| format!("the debug pod on '{cluster}': {e}"))?;
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        debug_pods::shell(client, namespace, name, cols, rows)
            .await
            .map_err(|e| format!("the shell in the debug pod on '{cluster}' could not start: {e}"))
    }
}
