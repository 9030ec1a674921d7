//! Workflows on a cluster by run id: submit one, stop it, clear everything a run made, and
//! follow every Workflow Cubist made through one watch (which relists after a break, so no
//! change is missed).

use futures_util::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde::Serialize;

use crate::argo::Workflow;
use crate::workflow::RUN_LABEL;

/// Creates the Workflow.
pub async fn submit(client: &Client, workflow: &Workflow) -> Result<(), kube::Error> {
    let namespace = workflow.metadata.namespace.as_deref().unwrap_or("default");
    Api::<Workflow>::namespaced(client.clone(), namespace).create(&PostParams::default(), workflow).await?;
    Ok(())
}

fn of_run(run_id: &str) -> ListParams {
    ListParams::default().labels(&format!("{RUN_LABEL}={run_id}"))
}

#[derive(Debug, Serialize)]
struct ShutdownPatch {
    spec: Shutdown,
}

#[derive(Debug, Serialize)]
struct Shutdown {
    shutdown: &'static str,
}

/// Stops the run's Workflows at once (running pods are killed, nothing more starts);
/// returns how many there were.
pub async fn terminate(client: &Client, namespace: &str, run_id: &str) -> Result<usize, kube::Error> {
    let api = Api::<Workflow>::namespaced(client.clone(), namespace);
    let found = api.list(&of_run(run_id)).await?;
    let patch = ShutdownPatch { spec: Shutdown { shutdown: "Terminate" } };
    for workflow in &found.items {
        if let Some(name) = &workflow.metadata.name {
            api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        }
    }
    Ok(found.items.len())
}

/// Deletes everything carrying the run id in `namespace`: its Workflows and pods.
pub async fn clear(client: &Client, namespace: &str, run_id: &str) -> Result<(), kube::Error> {
    let remove = DeleteParams::background();
    Api::<Workflow>::namespaced(client.clone(), namespace).delete_collection(&remove, &of_run(run_id)).await?;
    Api::<Pod>::namespaced(client.clone(), namespace).delete_collection(&remove, &of_run(run_id)).await?;
    Ok(())
}

/// Every change to a Workflow Cubist made (all namespaces), as it happens.
pub fn watch(client: &Client) -> impl Stream<Item = Result<Workflow, watcher::Error>> + Send + use<> {
    let api = Api::<Workflow>::all(client.clone());
    watcher(api, watcher::Config::default().labels(RUN_LABEL)).default_backoff().applied_objects().boxed()
}
