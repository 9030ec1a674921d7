//! The seam between the run use cases and the engines: where a run goes follows its
//! project's cluster (`local`, the embedded default, is this server's own engine; any
//! configured cluster name is Kubernetes), and every act on a run (submit, cancel, clear,
//! remove, follow) goes to the engine the run was submitted to. Both engines keep a run's
//! logs in the same files under the data dir, so reading them is the same for both.

use app::domain::plan::Plan;
use tokio::sync::broadcast;

use super::cluster::ClusterEngine;
use super::{Engine, process};
use cubist_kube::clusters::LOCAL;

/// Every engine of the server.
#[derive(Clone)]
pub struct Engines {
    pub local: Engine,
    pub clusters: ClusterEngine,
}

/// Where a run runs: its cluster (`local` for this server) and, on a cluster, the namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub cluster: String,
    pub namespace: String,
}

impl Placement {
    /// The placement of a run of a project with these settings: its cluster (empty: the
    /// server's own engine), in the project's pipeline namespace.
    pub fn of_project(project: &app::domain::project_expand::OrgExpand) -> Self {
        let cluster = project.cluster.as_str();
        if cluster.is_empty() || cluster == LOCAL {
            Self { cluster: LOCAL.into(), namespace: String::new() }
        } else {
            Self { cluster: cluster.into(), namespace: project.pipeline_namespace().into() }
        }
    }

    pub fn is_local(&self) -> bool {
        self.cluster == LOCAL
    }
}

impl Engines {
    /// Whether a run can start there now; why not otherwise.
    pub fn check(&self, at: &Placement) -> Result<(), String> {
        if at.is_local() { self.local.inner().sandbox.check() } else { self.clusters.check(&at.cluster) }
    }

    /// Starts a recorded run; the run is recorded as failed when it cannot be submitted.
    pub async fn submit(&self, at: &Placement, run_pk: i64, plan: Plan) -> Result<(), String> {
        if at.is_local() {
            self.local.submit(run_pk, plan);
            Ok(())
        } else {
            self.clusters.submit(run_pk, &plan, &at.cluster, &at.namespace).await
        }
    }

    /// Cancels a run and waits until its end is recorded; `false` if it was not in flight;
    /// an error when its cluster refused the stop.
    pub async fn cancel(&self, at: &Placement, run_id: &str) -> Result<bool, String> {
        if at.is_local() {
            Ok(self.local.cancel(run_id).await)
        } else {
            self.clusters.cancel(run_id, &at.cluster, &at.namespace).await
        }
    }

    /// Whether the run's plan can be submitted there (a Workflow the cluster can store).
    pub fn check_plan(&self, at: &Placement, plan: &Plan) -> Result<(), String> {
        if at.is_local() { Ok(()) } else { self.clusters.check_plan(plan, &at.cluster, &at.namespace) }
    }

    /// Removes what an ended run left to run with: its scratch folder, or its Workflow and
    /// pods. Its logs stay.
    pub async fn clear(&self, at: &Placement, run_id: &str) -> Result<(), String> {
        if at.is_local() {
            super::local::remove_work(self.local.inner(), run_id).await;
            Ok(())
        } else {
            self.clusters.clear(run_id, &at.cluster, &at.namespace).await
        }
    }

    /// Removes everything of an ended run: what [`Engines::clear`] removes and its logs
    /// (which stay when its cluster could not be cleared, so it can be tried again).
    pub async fn remove(&self, at: &Placement, run_id: &str) -> Result<(), String> {
        if !at.is_local() {
            self.clusters.clear(run_id, &at.cluster, &at.namespace).await?;
        }
        self.local.remove_run(run_id).await;
        Ok(())
    }

    /// Whether a run is in flight on any engine.
    pub fn is_running(&self, run_id: &str) -> bool {
        self.local.inner().is_running(run_id) || self.clusters.is_running(run_id)
    }

    /// Follows a task that has not started yet: waits until its output opens (then follows
    /// it) or its run ends without running it (then `None`).
    pub async fn await_stream(&self, run_id: &str, task: &str) -> Option<broadcast::Receiver<process::LogChunk>> {
        let inner = self.local.inner();
        loop {
            let opened = inner.opened.notified();
            tokio::pin!(opened);
            opened.as_mut().enable();
            if let Some(live) = inner.subscribe(run_id, task) {
                return Some(live);
            }
            if !self.is_running(run_id) {
                return None;
            }
            opened.await;
        }
    }
}
