//! The Kubernetes engine: a run on a configured cluster is one Argo Workflow. Its state
//! comes from one watch per cluster ([`watch`]) and is mirrored into the run's records
//! through the engines' batched writer; the output of its pods is copied into the run's log
//! files while they run ([`pod_output`]), so logs stay readable after the pods are gone.

pub mod create_rate;
mod debug_shell;
mod mirror;
mod pod_output;
mod tracked;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use app::domain::plan::Plan;
use app::model::RunStatus;
use cubist_kube::clusters::Clusters;
use cubist_kube::workflow::{self, GpuResources, Target};
use cubist_kube::workflows;
use tokio::sync::watch as signal;

use super::Inner;
use crate::db::runs::{self as rows, RunRow};
use crate::db::{Db, DbError};
use tracked::{Owner, Tracked};

/// The service account pipeline pods run as unless their template names one.
pub const PIPELINE_SERVICE_ACCOUNT: &str = "pipeline-runner";

/// How long a clear waits for the run's objects to be gone, and how often it looks.
const CLEAR_WAIT: Duration = Duration::from_secs(30);
const CLEAR_CHECK: Duration = Duration::from_millis(100);

/// Tries at reading a Workflow back after it was created.
const READ_BACK_TRIES: u32 = 12;

/// How long a cancel waits for the cluster to report the run stopped.
const CANCEL_WAIT: Duration = Duration::from_secs(60);

/// What the engine's tasks share.
pub struct ClusterInner {
    clusters: Arc<Clusters>,
    /// How fast objects are created on each cluster.
    creations: create_rate::CreateLimiter,
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
    pub fn new(clusters: Arc<Clusters>, files: Arc<Inner>, rate: create_rate::CreateRate) -> Self {
        let creations = create_rate::CreateLimiter::new(rate);
        Self { inner: Arc::new(ClusterInner { clusters, creations, files, tracked: Mutex::default() }) }
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

    /// The Workflow of `plan` on `cluster`.
    fn render(&self, plan: &Plan, cluster: &str, namespace: &str) -> cubist_kube::argo::Workflow {
        workflow::render(plan, &Self::target(cluster, namespace, self.inner.files.retry_backoff))
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

    /// Whether the Workflow of `plan` fits what a cluster takes (Argo's schema limits, the
    /// size etcd keeps).
    pub fn check_plan(&self, plan: &Plan, cluster: &str, namespace: &str) -> Result<(), String> {
        workflow::check_limits(&self.render(plan, cluster, namespace), plan.tasks.len())
    }

    /// Whether a run is in flight on a cluster.
    pub fn is_running(&self, run_id: &str) -> bool {
        self.inner.tracked.lock().unwrap_or_else(PoisonError::into_inner).contains_key(run_id)
    }

    /// Submits a recorded run's Workflow (to its end even if the caller goes away); on
    /// failure the run is recorded as failed. The run is tracked before its Workflow is
    /// created, so a stop asked for meanwhile is kept, and owns only the Workflow created
    /// (events of an earlier Workflow of the same run id, as single tasks rerun, are not
    /// its own); its state is read back once after, so nothing before is missed.
    pub async fn submit(&self, run_pk: i64, plan: &Plan, cluster: &str, namespace: &str) -> Result<(), String> {
        let (engine, owned, cluster, namespace) =
            (self.clone(), plan.clone(), cluster.to_owned(), namespace.to_owned());
        match tokio::spawn(async move { engine.submit_now(run_pk, &owned, &cluster, &namespace).await }).await {
            Ok(submitted) => submitted,
            Err(e) => {
                let message = format!("the engine failed while submitting the run: {e}");
                self.inner.fail_if(&plan.run_id, &message, |run| run.pk == run_pk).await;
                Err(message)
            }
        }
    }

    async fn submit_now(&self, run_pk: i64, plan: &Plan, cluster: &str, namespace: &str) -> Result<(), String> {
        let rendered = self.render(plan, cluster, namespace);
        let name = rendered.metadata.name.clone().unwrap_or_default();
        self.track(run_pk, plan, cluster, namespace, Owner::Submitting, Instant::now(), false);
        let this_run = |run: &Tracked| run.pk == run_pk;
        let Some(client) = self.inner.clusters.client(cluster) else {
            let message = self.check(cluster).err().unwrap_or_default();
            self.inner.fail_if(&plan.run_id, &message, this_run).await;
            return Err(message);
        };
        self.inner.creations.wait_turn(cluster).await;
        let uid = match workflows::submit(client, &rendered).await {
            Ok(created) => created.metadata.uid,
            // The answer may have been lost after the Workflow was made: it is ours if so.
            // (Not when the name is taken: that is an earlier Workflow, not this run's.)
            Err(e) => match workflows::get(client, namespace, &name).await {
                Ok(Some(found))
                    if !workflows::already_exists(&e) && workflows::is_live_run_of(&found, &plan.run_id) =>
                {
                    found.metadata.uid
                }
                _ => {
                    let message = format!("could not submit the run to '{cluster}': {e}");
                    self.inner.fail_if(&plan.run_id, &message, this_run).await;
                    return Err(message);
                }
            },
        };
        let stop = {
            let mut tracked = self.inner.tracked.lock().unwrap_or_else(PoisonError::into_inner);
            match tracked.get_mut(&plan.run_id).filter(|run| run.pk == run_pk) {
                Some(run) => {
                    run.owner = uid.map_or(Owner::Any, Owner::Uid);
                    // Only listings from now on are sure to include its Workflow.
                    run.since = Instant::now();
                    run.stop_requested
                }
                None => true,
            }
        };
        if stop && let Err(e) = workflows::terminate(client, namespace, &plan.run_id).await {
            tracing::warn!(run_id = %plan.run_id, error = %e, "could not stop a run asked to stop while it was submitted");
        }
        let (engine, client, run_id, namespace) =
            (self.clone(), client.clone(), plan.run_id.clone(), namespace.to_owned());
        tokio::spawn(async move { engine.read_back(&client, &run_id, run_pk, &namespace, &name).await });
        Ok(())
    }

    /// Mirrors the Workflow as it is now (what happened before the run owned it).
    async fn read_back(&self, client: &cubist_kube::Client, run_id: &str, run_pk: i64, namespace: &str, name: &str) {
        for attempt in 0..READ_BACK_TRIES {
            match workflows::get(client, namespace, name).await {
                Ok(Some(now)) => return watch::mirror_one(&self.inner, client, run_id, &now),
                Ok(None) => {
                    let message = "its Workflow vanished right after it was created";
                    return self.inner.fail_if(run_id, message, |run| run.pk == run_pk).await;
                }
                Err(e) if attempt + 1 == READ_BACK_TRIES => {
                    let message = format!("its Workflow could not be read back from the cluster: {e}");
                    return self.inner.fail_if(run_id, &message, |run| run.pk == run_pk).await;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200 << attempt.min(5))).await,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn track(&self, pk: i64, plan: &Plan, cluster: &str, namespace: &str, owner: Owner, since: Instant, resumed: bool) {
        let tracked = Tracked {
            pk,
            cluster: cluster.to_owned(),
            namespace: namespace.to_owned(),
            workflow: workflow::workflow_name(plan),
            owner,
            tasks: plan.tasks.iter().map(|t| t.name.clone()).collect(),
            last: None,
            version: None,
            copying: HashMap::new(),
            copies: tokio::task::JoinSet::new(),
            streams: HashMap::new(),
            resumed,
            since,
            finishing: false,
            stop_requested: false,
            done: signal::channel(false).0,
        };
        let replaced =
            self.inner.tracked.lock().unwrap_or_else(PoisonError::into_inner).insert(plan.run_id.clone(), tracked);
        // An earlier run of the same id still tracked (its end not recorded in time) lets
        // its waiters go.
        if let Some(mut old) = replaced {
            self.inner.close_streams(&plan.run_id, old.pk, &mut old.streams);
            let _ = old.done.send(true);
        }
    }

    /// Stops a run on its cluster and waits (a while) until its end is recorded; `false` if
    /// it was not in flight; an error when the cluster refused the stop.
    pub async fn cancel(&self, run_id: &str, cluster: &str, namespace: &str) -> Result<bool, String> {
        let (mut done, pk) = {
            let mut tracked = self.inner.tracked.lock().unwrap_or_else(PoisonError::into_inner);
            match tracked.get_mut(run_id) {
                Some(run) => {
                    run.stop_requested = true;
                    (run.done.subscribe(), run.pk)
                }
                None => return Ok(false),
            }
        };
        if let Some(client) = self.inner.clusters.client(cluster) {
            workflows::terminate(client, namespace, run_id)
                .await
                .map_err(|e| format!("the cluster '{cluster}' did not take the stop: {e}"))?;
        }
        if tokio::time::timeout(CANCEL_WAIT, done.wait_for(|d| *d)).await.is_err() {
            let message = "stopped, but the cluster did not confirm it in time";
            self.inner.fail_if(run_id, message, |run| run.pk == pk).await;
            // Its end may be being recorded (output being copied): that is bounded.
            let _ = done.wait_for(|d| *d).await;
        }
        Ok(true)
    }

    /// Deletes what the run made on its cluster, its Workflow and pods, and waits (a while)
    /// until they are gone. `Err` when the cluster refused or did not answer; a cluster no
    /// longer configured has nothing of the run to delete.
    pub async fn clear(&self, run_id: &str, cluster: &str, namespace: &str) -> Result<(), String> {
        let Some(client) = self.inner.clusters.client(cluster) else { return Ok(()) };
        workflows::clear(client, namespace, run_id)
            .await
            .map_err(|e| format!("could not delete the Workflow and pods of run {run_id} on {cluster}: {e}"))?;
        let gone = async {
            while !workflows::is_cleared(client, namespace, run_id).await.unwrap_or(true) {
                tokio::time::sleep(CLEAR_CHECK).await;
            }
        };
        if tokio::time::timeout(CLEAR_WAIT, gone).await.is_err() {
            // Deleted: the cluster's garbage collection finishes it.
            tracing::info!(run_id, cluster, "a run's Workflow and pods are still being deleted");
        }
        Ok(())
    }

    /// Takes up the runs on clusters that a previous server process left in flight: each is
    /// followed again from its Workflow's state (which the first listing of every watch
    /// reports). A run whose cluster is no longer configured, or whose plan cannot be read,
    /// fails; one on a configured cluster without a client now stays as it is (its Workflow
    /// may well be running) until a server that can reach the cluster takes it up.
    pub async fn resume(&self, db: &Db) -> Result<usize, DbError> {
        let stale: Vec<RunRow> = rows::active(&mut db.read().await?.tx(), rows::Engine::Clusters).await?;
        let long_ago = Instant::now().checked_sub(Duration::from_secs(1)).unwrap_or_else(Instant::now);
        let mut gave_up = Vec::new();
        for run in &stale {
            let plan: Option<Plan> = serde_json::from_str(&run.plan).ok();
            match plan {
                _ if !self.inner.clusters.is_named(&run.cluster) => {
                    gave_up.push((run.id, format!("the cluster '{}' is not configured any more", run.cluster)));
                }
                None => gave_up.push((run.id, "its plan cannot be read by this version".to_owned())),
                Some(_) if self.check(&run.cluster).is_err() => {
                    tracing::warn!(run_id = %run.run_id, cluster = %run.cluster, "a run's cluster cannot be reached; it is left as it is");
                }
                Some(plan) => self.track(run.id, &plan, &run.cluster, &run.namespace, Owner::Any, long_ago, true),
            }
        }
        if !gave_up.is_empty() {
            let mut conn = db.write().await?;
            crate::transaction!(&mut conn, |tx| {
                for (pk, message) in &gave_up {
                    rows::end_open_tasks(tx, *pk, &format!("not run: {message}"), crate::db::now()).await?;
                    rows::update_run(tx, *pk, &tracked::ended_now(RunStatus::Failed, message.clone())).await?;
                }
                Ok::<_, DbError>(())
            })?;
        }
        Ok(stale.len())
    }

    /// Starts following every configured cluster (one watch each).
    pub fn start_watches(&self) {
        for (name, client) in self.inner.clusters.clients() {
            tokio::spawn(watch::follow_cluster(self.inner.clone(), name.to_owned(), client.clone()));
        }
    }
}
