//! One watch per cluster over every Workflow Cubist made: each change of a tracked run is
//! mirrored into its records, its tasks' live output opens as they start, their pods'
//! output is copied, and the run's end is recorded once that output is in. A run whose
//! Workflow disappears (deleted by someone, or gone while the server was down) fails saying
//! so.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::RunStatus;
use cubist_kube::Client;
use cubist_kube::argo::Workflow;
use cubist_kube::run_state::{RunState, run_state};
use cubist_kube::workflow::RUN_LABEL;
use cubist_kube::workflows::{self, WorkflowEvent};
use futures_util::StreamExt;
use tokio::task::JoinSet;

use super::tracked::Owner;
use super::{ClusterInner, mirror, pod_output};

/// How long the end of a run waits for its pods' output to be copied.
const OUTPUT_WAIT: Duration = Duration::from_secs(30);

fn run_id(workflow: &Workflow) -> Option<&str> {
    workflow.metadata.labels.as_ref()?.get(RUN_LABEL).map(String::as_str)
}

/// Follows `cluster` until the server stops (the watch itself retries with backoff).
pub async fn follow_cluster(inner: Arc<ClusterInner>, cluster: String, client: Client) {
    let mut events = workflows::watch(&client);
    // While a listing runs: the runs whose Workflow it reported, and when it began.
    let mut listing: Option<(Instant, HashSet<String>)> = None;
    while let Some(event) = events.next().await {
        match event {
            Ok(WorkflowEvent::Changed(workflow)) => {
                if let Some(id) = run_id(&workflow) {
                    if let Some((_, listed)) = &mut listing {
                        listed.insert(id.to_owned());
                    }
                    mirror_one(&inner, &client, id, &workflow);
                }
            }
            Ok(WorkflowEvent::Deleted(workflow)) => {
                if let Some(id) = run_id(&workflow) {
                    inner.fail_if(id, "its Workflow was deleted from the cluster", |run| run.owns(&workflow)).await;
                }
            }
            Ok(WorkflowEvent::Listing) => listing = Some((Instant::now(), HashSet::new())),
            Ok(WorkflowEvent::Listed) => {
                let Some((began, listed)) = listing.take() else { continue };
                let lost: Vec<(String, i64)> = {
                    let tracked = inner.tracked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    tracked
                        .iter()
                        .filter(|(id, run)| {
                            run.cluster == cluster
                                && run.owner != Owner::Submitting
                                && run.since < began
                                && !listed.contains(*id)
                        })
                        .map(|(id, run)| (id.clone(), run.pk))
                        .collect()
                };
                for (id, pk) in lost {
                    inner.fail_if(&id, "its Workflow is gone from the cluster", |run| run.pk == pk).await;
                }
            }
            Err(e) => tracing::warn!(cluster, error = %e, "the watch of Workflows broke; it starts again"),
        }
    }
}

/// Mirrors a tracked run's new state, opens and closes its tasks' live output, starts
/// copying the output of pods that started, and begins recording its end once it ended.
pub(super) fn mirror_one(inner: &Arc<ClusterInner>, client: &Client, run_id: &str, workflow: &Workflow) {
    let mut tracked = inner.tracked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(run) = tracked.get_mut(run_id) else { return };
    if run.finishing || !run.owns(workflow) || run.is_stale(workflow) {
        return;
    }
    let state = run_state(workflow, &run.tasks);
    let (whole, tasks) = mirror::changes(run.last.as_ref(), &state);
    let writer = &inner.files.writer;
    if let Some(whole) = whole {
        writer.run(run.pk, whole);
    }
    for (name, changes) in tasks {
        writer.task(run.pk, &name, changes);
    }
    let mut started = Vec::new();
    for task in &state.tasks {
        if task.status == RunStatus::Running && !run.streams.contains_key(&task.name) {
            let live = inner.files.open_stream(run.pk, run_id, &task.name);
            run.streams.insert(task.name.clone(), live);
        }
        for (attempt, number) in task.attempts.iter().zip(1u32..) {
            let ended = !attempt.status.is_active();
            if let Some(switch) = run.copying.get(&attempt.node_id) {
                switch.send_if_modified(|was| !std::mem::replace(was, ended) && ended);
            } else if attempt.started_at.is_some() && attempt.status != RunStatus::Pending {
                let (switch, ended_signal) = tokio::sync::watch::channel(ended);
                run.copying.insert(attempt.node_id.clone(), switch);
                let live = run.streams.get(&task.name).cloned().unwrap_or_else(|| tokio::sync::broadcast::channel(1).0);
                started.push(pod_output::Copy {
                    run_id: run_id.to_owned(),
                    task: task.name.clone(),
                    number,
                    node_id: attempt.node_id.clone(),
                    namespace: run.namespace.clone(),
                    workflow: run.workflow.clone(),
                    ended: ended_signal,
                    live,
                    keep_existing: run.resumed && ended,
                });
            }
        }
        // Followers of an ended task see its output end once its last copy is done.
        if !task.status.is_active() && run.streams.remove(&task.name).is_some() {
            inner.files.close_stream(run.pk, run_id, &task.name);
        }
    }
    pod_output::start_all(&mut run.copies, inner.clone(), client.clone(), started);
    run.version = workflow.metadata.resource_version.as_deref().and_then(|v| v.parse().ok()).or(run.version);
    let finished = !state.status.is_active();
    run.last = Some(state.clone());
    if finished {
        run.finishing = true;
        // Every copy reads its attempt's whole output now, also one the state left out.
        for switch in run.copying.values() {
            switch.send_if_modified(|ended| !std::mem::replace(ended, true));
        }
        let copies = std::mem::take(&mut run.copies);
        let pk = run.pk;
        drop(tracked);
        tokio::spawn(record_end(inner.clone(), run_id.to_owned(), pk, state, copies));
    }
}

/// Records a run's end once the output of its pods is copied (or after a while), then stops
/// tracking it.
async fn record_end(inner: Arc<ClusterInner>, run_id: String, pk: i64, state: RunState, mut copies: JoinSet<()>) {
    let all = async { while copies.join_next().await.is_some() {} };
    if tokio::time::timeout(OUTPUT_WAIT, all).await.is_err() {
        tracing::warn!(run_id, "a finished run's output was not all copied in time");
    }
    drop(copies);
    inner.files.writer.run(pk, mirror::ended(&state));
    inner.files.writer.flush().await;
    let ended = {
        let mut tracked = inner.tracked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match tracked.get(&run_id) {
            Some(run) if run.pk == pk && run.finishing => tracked.remove(&run_id),
            _ => None,
        }
    };
    if let Some(mut run) = ended {
        inner.close_streams(&run_id, pk, &mut run.streams);
        let _ = run.done.send(true);
    }
    inner.files.opened.notify_waiters();
}
