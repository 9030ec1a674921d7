//! Workflows on a cluster by run id: submit one, stop it, clear everything a run made, and
//! follow every Workflow Cubist made through one watch (which relists after a break, so no
//! change is missed).

use futures_util::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};

use crate::argo::Phase;
use kube::{Api, Client};
use serde::Serialize;

use crate::argo::Workflow;
use crate::workflow::RUN_LABEL;

/// Creates the Workflow; returns it as created (with its uid).
pub async fn submit(client: &Client, workflow: &Workflow) -> Result<Workflow, kube::Error> {
    let namespace = workflow.metadata.namespace.as_deref().unwrap_or("default");
    Api::<Workflow>::namespaced(client.clone(), namespace).create(&PostParams::default(), workflow).await
}

/// Whether a create failed because the name is taken.
pub fn already_exists(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
}

/// Whether `workflow` carries the run id and is not being deleted.
pub fn is_live_run_of(workflow: &Workflow, run_id: &str) -> bool {
    workflow.metadata.deletion_timestamp.is_none()
        && workflow.metadata.labels.as_ref().and_then(|l| l.get(RUN_LABEL)).map(String::as_str) == Some(run_id)
}

/// The Workflow as it is now, if it exists.
pub async fn get(client: &Client, namespace: &str, name: &str) -> Result<Option<Workflow>, kube::Error> {
    Api::<Workflow>::namespaced(client.clone(), namespace).get_opt(name).await
}

fn of_run(run_id: &str) -> ListParams {
    ListParams::default().labels(&format!("{RUN_LABEL}={run_id}"))
}

/// The annotation saying when Cubist stopped a Workflow (what failed after it was stopped).
pub const STOPPED_AT: &str = "cubist.dev/stopped-at";

#[derive(Debug, Serialize)]
struct ShutdownPatch {
    metadata: StopMark,
    spec: Shutdown,
}

#[derive(Debug, Serialize)]
struct StopMark {
    annotations: std::collections::BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
struct Shutdown {
    shutdown: &'static str,
}

/// Stops the run's unfinished Workflows at once (running pods are killed, nothing more
/// starts), noting when; returns how many were stopped.
pub async fn terminate(client: &Client, namespace: &str, run_id: &str) -> Result<usize, kube::Error> {
    let api = Api::<Workflow>::namespaced(client.clone(), namespace);
    let found = api.list(&of_run(run_id)).await?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let patch = ShutdownPatch {
        metadata: StopMark { annotations: std::collections::BTreeMap::from([(STOPPED_AT, now)]) },
        spec: Shutdown { shutdown: "Terminate" },
    };
    let mut stopped = 0;
    for workflow in &found.items {
        let finished = workflow.status.as_ref().and_then(|s| s.phase).is_some_and(Phase::is_final);
        if let (Some(name), false) = (&workflow.metadata.name, finished) {
            api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
            stopped += 1;
        }
    }
    Ok(stopped)
}

/// Deletes everything carrying the run id in `namespace`: its Workflows and pods.
pub async fn clear(client: &Client, namespace: &str, run_id: &str) -> Result<(), kube::Error> {
    let remove = DeleteParams::background();
    Api::<Workflow>::namespaced(client.clone(), namespace).delete_collection(&remove, &of_run(run_id)).await?;
    Api::<Pod>::namespaced(client.clone(), namespace).delete_collection(&remove, &of_run(run_id)).await?;
    Ok(())
}

/// Whether nothing carrying the run id is left in `namespace` (a rerun under the same run
/// id, as single tasks have, must not meet the names of the previous run's objects).
pub async fn is_cleared(client: &Client, namespace: &str, run_id: &str) -> Result<bool, kube::Error> {
    let workflows = Api::<Workflow>::namespaced(client.clone(), namespace).list_metadata(&of_run(run_id)).await?;
    let pods = Api::<Pod>::namespaced(client.clone(), namespace).list_metadata(&of_run(run_id)).await?;
    Ok(workflows.items.is_empty() && pods.items.is_empty())
}

/// What happened to a Workflow.
#[derive(Debug, Clone)]
pub enum WorkflowEvent {
    /// Created or changed (also every Workflow listed when the watch starts again).
    Changed(Workflow),
    /// Removed, by Cubist or by anyone else.
    Deleted(Workflow),
    /// A listing of every Workflow begins (at the start, and after a break).
    Listing,
    /// Every Workflow that exists was reported (after a start or a relist): a run whose
    /// Workflow was not among them has lost it.
    Listed,
}

/// Every change to a Workflow Cubist made (all namespaces), as it happens, deletions too.
pub fn watch(client: &Client) -> impl Stream<Item = Result<WorkflowEvent, watcher::Error>> + Send + use<> {
    let api = Api::<Workflow>::all(client.clone());
    watcher(api, watcher::Config::default().labels(RUN_LABEL))
        .default_backoff()
        .filter_map(|event| async move {
            match event {
                Ok(watcher::Event::Apply(w) | watcher::Event::InitApply(w)) => Some(Ok(WorkflowEvent::Changed(w))),
                Ok(watcher::Event::Delete(w)) => Some(Ok(WorkflowEvent::Deleted(w))),
                Ok(watcher::Event::InitDone) => Some(Ok(WorkflowEvent::Listed)),
                Ok(watcher::Event::Init) => Some(Ok(WorkflowEvent::Listing)),
                Err(e) => Some(Err(e)),
            }
        })
        .boxed()
}
