//! The Kubernetes engine: a run on a configured cluster is one Argo Workflow. Its state
//! comes from one watch per cluster ([`watch`]) and is mirrored into the run's records
//! through the engines' batched writer; the output of its pods is copied into the run's log
//! files while they run ([`pod_output`]), so logs stay readable after the pods are gone.

mod mirror;
mod pod_output;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use app::domain::plan::Plan;
use app::model::RunStatus;
use cubist_kube::clusters::Clusters;
use cubist_kube::run_state::RunState;
use cubist_kube::workflow::{self, GpuResources, Target};
use cubist_kube::workflows;
use tokio::sync::watch as signal;

use super::Inner;
use crate::db::runs::{self as rows, RunChanges, RunRow, TaskChanges};
use crate::db::{Db, DbError};

/// The service account pipeline pods run as unless their template names one.
pub const PIPELINE_SERVICE_ACCOUNT: &str = "pipeline-runner";

/// How long a clear waits for the run's objects to be gone, and how often it looks.
const CLEAR_WAIT: Duration = Duration::from_secs(30);
const CLEAR_CHECK: Duration = Duration::from_millis(100);

/// How long a cancel waits for the cluster to report the run stopped.
const CANCEL_WAIT: Duration = Duration::from_secs(60);

/// A run on a cluster that has not ended yet.
struct Tracked {
    pk: i64,
    cluster: String,
    namespace: String,
    /// The Workflow's name.
    workflow: String,
    /// The Workflow's uid (unknown for runs taken up after a restart: any Workflow carrying
    /// the run id is theirs).
    uid: Option<String>,
    tasks: Vec<String>,
    /// The state last mirrored into the records.
    last: Option<RunState>,
    /// Pod nodes whose output is being copied (or was), each with the switch that tells its
    /// copy the attempt has ended.
    copying: HashMap<String, signal::Sender<bool>>,
    /// The copies in progress.
    pending_copies: tokio::task::JoinSet<()>,
    /// Since when it is tracked: a relist that started earlier must have listed it.
    since: Instant,
    /// Turns true once its end is recorded.
    done: signal::Sender<bool>,
}

/// What the engine's tasks share.
pub struct ClusterInner {
    clusters: Arc<Clusters>,
    /// Log files and live output, shared with the local engine.
    files: Arc<Inner>,
    tracked: Mutex<HashMap<String, Tracked>>,
}

/// The handle the run use cases use.
#[derive(Clone)]
pub struct ClusterEngine {
    inner: Arc<ClusterInner>,
}

impl ClusterEngine {
    pub fn new(clusters: Arc<Clusters>, files: Arc<Inner>) -> Self {
        Self { inner: Arc::new(ClusterInner { clusters, files, tracked: Mutex::default() }) }
    }

    /// Where a run of this project goes on `cluster`, and what the cluster adds to it.
    pub fn target(cluster: &str, namespace: &str, retry_backoff: Duration) -> Target {
        Target {
            namespace: namespace.to_owned(),
            cluster: cluster.to_owned(),
            pull_secrets: Vec::new(),
            service_account: PIPELINE_SERVICE_ACCOUNT.to_owned(),
            gpu_resources: GpuResources::default(),
            retry_backoff_secs: u32::try_from(retry_backoff.as_secs().max(1)).unwrap_or(u32::MAX),
        }
    }

    /// Whether runs can go to `cluster` now (it is configured and has a client).
    pub fn check(&self, cluster: &str) -> Result<(), String> {
        match self.inner.clusters.client(cluster) {
            Some(_) => Ok(()),
            None => Err(format!(
                "the cluster '{cluster}' cannot be reached: it has no kubeconfig (CUBIST_KUBECONFIGS) or its \
                 kubeconfig could not be read"
            )),
        }
    }

    /// Whether a run is in flight on a cluster.
    pub fn is_running(&self, run_id: &str) -> bool {
        self.inner.tracked.lock().unwrap_or_else(PoisonError::into_inner).contains_key(run_id)
    }

    /// Submits a recorded run's Workflow; on failure the run is recorded as failed. The run
    /// is tracked by the uid of the Workflow created (so events of an earlier Workflow of the
    /// same run id, as single tasks rerun, are not taken for it), and its state read once
    /// after tracking so that nothing before is missed.
    pub async fn submit(&self, run_pk: i64, plan: &Plan, cluster: &str, namespace: &str) -> Result<(), String> {
        let rendered = workflow::render(plan, &Self::target(cluster, namespace, self.inner.files.retry_backoff));
        let Some(client) = self.inner.clusters.client(cluster) else {
            self.track(run_pk, plan, cluster, namespace, None, Instant::now());
            let message = self.check(cluster).err().unwrap_or_default();
            self.inner.fail(&plan.run_id, &message).await;
            return Err(message);
        };
        let created = match workflows::submit(client, &rendered).await {
            Ok(created) => created,
            Err(e) => {
                self.track(run_pk, plan, cluster, namespace, None, Instant::now());
                let message = format!("could not submit the run to '{cluster}': {e}");
                self.inner.fail(&plan.run_id, &message).await;
                return Err(message);
            }
        };
        self.track(run_pk, plan, cluster, namespace, created.metadata.uid.clone(), Instant::now());
        let name = created.metadata.name.clone().unwrap_or_default();
        match workflows::get(client, namespace, &name).await {
            Ok(Some(now)) => watch::mirror_one(&self.inner, client, &plan.run_id, &now),
            Ok(None) => {}
            Err(e) => tracing::warn!(run_id = %plan.run_id, error = %e, "cannot read a submitted Workflow back"),
        }
        Ok(())
    }

    fn track(&self, pk: i64, plan: &Plan, cluster: &str, namespace: &str, uid: Option<String>, since: Instant) {
        let tracked = Tracked {
            pk,
            cluster: cluster.to_owned(),
            namespace: namespace.to_owned(),
            workflow: workflow::workflow_name(plan),
            uid,
            tasks: plan.tasks.iter().map(|t| t.name.clone()).collect(),
            last: None,
            copying: HashMap::new(),
            pending_copies: tokio::task::JoinSet::new(),
            since,
            done: signal::channel(false).0,
        };
        self.inner.tracked.lock().unwrap_or_else(PoisonError::into_inner).insert(plan.run_id.clone(), tracked);
    }

    /// Stops a run on its cluster and waits (a while) until its end is recorded; `false` if
    /// it was not in flight.
    pub async fn cancel(&self, run_id: &str, cluster: &str, namespace: &str) -> bool {
        let done = {
            let tracked = self.inner.tracked.lock().unwrap_or_else(PoisonError::into_inner);
            match tracked.get(run_id) {
                Some(run) => run.done.subscribe(),
                None => return false,
            }
        };
        if let Some(client) = self.inner.clusters.client(cluster)
            && let Err(e) = workflows::terminate(client, namespace, run_id).await
        {
            tracing::warn!(run_id, cluster, error = %e, "could not stop a run's Workflow");
        }
        let mut done = done;
        if tokio::time::timeout(CANCEL_WAIT, done.wait_for(|d| *d)).await.is_err() {
            self.inner.fail(run_id, "stopped, but the cluster did not confirm it in time").await;
        }
        true
    }

    /// Deletes what the run made on its cluster, its Workflow and pods, and waits (a while)
    /// until they are gone.
    pub async fn clear(&self, run_id: &str, cluster: &str, namespace: &str) {
        let Some(client) = self.inner.clusters.client(cluster) else { return };
        if let Err(e) = workflows::clear(client, namespace, run_id).await {
            tracing::warn!(run_id, cluster, error = %e, "could not delete a run's Workflow and pods");
            return;
        }
        let gone = async {
            while !workflows::is_cleared(client, namespace, run_id).await.unwrap_or(true) {
                tokio::time::sleep(CLEAR_CHECK).await;
            }
        };
        if tokio::time::timeout(CLEAR_WAIT, gone).await.is_err() {
            tracing::warn!(run_id, cluster, "a run's Workflow and pods are still being deleted");
        }
    }

    /// Takes up the runs on clusters that a previous server process left in flight: each is
    /// followed again from its Workflow's state (which the first listing of every watch
    /// reports), and a run whose cluster is no longer configured fails.
    pub async fn resume(&self, db: &Db) -> Result<usize, DbError> {
        let stale: Vec<RunRow> = rows::active(&mut db.read().await?.tx(), rows::Engine::Clusters).await?;
        let long_ago = Instant::now().checked_sub(Duration::from_secs(1)).unwrap_or_else(Instant::now);
        for run in &stale {
            let plan: Option<Plan> = serde_json::from_str(&run.plan).ok();
            match plan {
                Some(plan) if self.check(&run.cluster).is_ok() => {
                    self.track(run.id, &plan, &run.cluster, &run.namespace, None, long_ago);
                }
                _ => {
                    let message = format!("the cluster '{}' is not configured any more", run.cluster);
                    self.inner.files.writer.run(run.id, ended_now(RunStatus::Failed, message));
                }
            }
        }
        self.inner.files.writer.flush().await;
        Ok(stale.len())
    }

    /// Starts following every configured cluster (one watch each).
    pub fn start_watches(&self) {
        for (name, client) in self.inner.clusters.clients() {
            tokio::spawn(watch::follow_cluster(self.inner.clone(), name.to_owned(), client.clone()));
        }
    }
}

fn ended_now(status: RunStatus, message: String) -> RunChanges {
    RunChanges {
        status: Some(status.as_str().into()),
        message: Some(message),
        started_at: None,
        finished_at: Some(Some(crate::db::now())),
    }
}

impl Tracked {
    /// Whether `workflow` is this run's.
    fn owns(&self, workflow: &cubist_kube::argo::Workflow) -> bool {
        workflow.metadata.namespace.as_deref() == Some(self.namespace.as_str())
            && (self.uid.is_none() || workflow.metadata.uid == self.uid)
    }
}

impl ClusterInner {
    /// Ends a tracked run as failed with `message`: its unfinished tasks are cancelled.
    async fn fail(&self, run_id: &str, message: &str) {
        self.fail_if(run_id, message, |_| true).await;
    }

    /// Ends a tracked run as [`ClusterInner::fail`] does, if `whose` holds for it.
    async fn fail_if(&self, run_id: &str, message: &str, whose: impl FnOnce(&Tracked) -> bool) {
        let taken = {
            let mut tracked = self.tracked.lock().unwrap_or_else(PoisonError::into_inner);
            match tracked.get(run_id) {
                Some(run) if whose(run) => tracked.remove(run_id),
                _ => None,
            }
        };
        let Some(run) = taken else { return };
        let writer = &self.files.writer;
        for name in &run.tasks {
            let finished = run.last.as_ref().and_then(|l| l.tasks.iter().find(|t| &t.name == name));
            if finished.is_some_and(|t| mirror::is_final(t.status)) {
                continue;
            }
            let changes = TaskChanges {
                status: Some(RunStatus::Cancelled.as_str().into()),
                message: Some(format!("not run: {message}")),
                finished_at: Some(Some(crate::db::now())),
                ..TaskChanges::default()
            };
            writer.task(run.pk, name, changes);
        }
        writer.run(run.pk, ended_now(RunStatus::Failed, message.to_owned()));
        writer.flush().await;
        let _ = run.done.send(true);
        self.files.opened.notify_waiters();
    }
}
