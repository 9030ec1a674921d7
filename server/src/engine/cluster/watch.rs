//! One watch per cluster over every Workflow Cubist made: each change of a tracked run is
//! mirrored into its records, its pods' output is copied as they start, and its end is
//! recorded once that output is in. A run whose Workflow disappears (deleted by someone, or
//! gone while the server was down) fails saying so.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cubist_kube::Client;
use cubist_kube::argo::Workflow;
use cubist_kube::run_state::run_state;
use cubist_kube::workflow::RUN_LABEL;
use cubist_kube::workflows::{self, WorkflowEvent};
use futures_util::StreamExt;

use super::{ClusterInner, mirror, pod_output};

/// How long the end of a run waits for its pods' output to be copied.
const OUTPUT_WAIT: Duration = Duration::from_secs(30);

fn run_id(workflow: &Workflow) -> Option<&str> {
    workflow.metadata.labels.as_ref()?.get(RUN_LABEL).map(String::as_str)
}

/// Follows `cluster` until the server stops (the watch itself retries with backoff).
pub async fn follow_cluster(inner: Arc<ClusterInner>, cluster: String, client: Client) {
    let mut events = workflows::watch(&client);
    // Runs whose Workflow the current listing reported, and when that listing began.
    let mut listed: HashSet<String> = HashSet::new();
    let mut listing_since = Instant::now();
    while let Some(event) = events.next().await {
        match event {
            Ok(WorkflowEvent::Changed(workflow)) => {
                if let Some(id) = run_id(&workflow) {
                    listed.insert(id.to_owned());
                    mirror_one(&inner, &client, id, &workflow);
                }
            }
            Ok(WorkflowEvent::Deleted(workflow)) => {
                if let Some(id) = run_id(&workflow) {
                    inner.fail_if(id, "its Workflow was deleted from the cluster", |run| run.owns(&workflow)).await;
                }
            }
            Ok(WorkflowEvent::Listing) => {
                listed.clear();
                listing_since = Instant::now();
            }
            Ok(WorkflowEvent::Listed) => {
                let lost: Vec<String> = {
                    let tracked = inner.tracked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    tracked
                        .iter()
                        .filter(|(id, run)| {
                            run.cluster == cluster && run.since < listing_since && !listed.contains(*id)
                        })
                        .map(|(id, _)| id.clone())
                        .collect()
                };
                for id in lost {
                    inner.fail(&id, "its Workflow is gone from the cluster").await;
                }
            }
            Err(e) => tracing::warn!(cluster, error = %e, "the watch of Workflows broke; it starts again"),
        }
    }
}

/// Mirrors a tracked run's new state and starts copying the output of pods that started.
pub(super) fn mirror_one(inner: &Arc<ClusterInner>, client: &Client, run_id: &str, workflow: &Workflow) {
    let mut tracked = inner.tracked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(run) = tracked.get_mut(run_id) else { return };
    if !run.owns(workflow) {
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
        for (attempt, number) in task.attempts.iter().zip(1u32..) {
            let ended = mirror::is_final(attempt.status);
            if let Some(switch) = run.copying.get(&attempt.node_id) {
                switch.send_if_modified(|was| !std::mem::replace(was, ended) && ended);
            } else if attempt.started_at.is_some() && attempt.status != app::model::RunStatus::Pending {
                let (switch, ended_signal) = tokio::sync::watch::channel(ended);
                run.copying.insert(attempt.node_id.clone(), switch);
                started.push(pod_output::Copy {
                    run_pk: run.pk,
                    run_id: run_id.to_owned(),
                    task: task.name.clone(),
                    number,
                    node_id: attempt.node_id.clone(),
                    namespace: run.namespace.clone(),
                    workflow: run.workflow.clone(),
                    ended: ended_signal,
                });
            }
        }
    }
    pod_output::start_all(&mut run.pending_copies, inner.clone(), client.clone(), started);
    let finished = mirror::is_final(state.status);
    run.last = Some(state);
    if finished && let Some(run) = tracked.remove(run_id) {
        drop(tracked);
        tokio::spawn(record_end(inner.clone(), run));
    }
}

/// Records a run's end once the output of its pods is copied (or after a while).
async fn record_end(inner: Arc<ClusterInner>, mut run: super::Tracked) {
    let copies = &mut run.pending_copies;
    let all = async { while copies.join_next().await.is_some() {} };
    if tokio::time::timeout(OUTPUT_WAIT, all).await.is_err() {
        tracing::warn!(workflow = %run.workflow, "a finished run's output was not all copied in time");
    }
    if let Some(state) = &run.last {
        inner.files.writer.run(run.pk, mirror::ended(state));
    }
    inner.files.writer.flush().await;
    let _ = run.done.send(true);
    inner.files.opened.notify_waiters();
}
