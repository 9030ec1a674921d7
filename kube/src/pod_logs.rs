//! Pod output: which pod ran which node of a Workflow, and a pod's main container output as
//! it is written (the whole of it when the container has ended), so Cubist can keep it
//! after the pod is gone.

use std::collections::HashMap;

use futures_util::io::AsyncReadExt;
use futures_util::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, LogParams};
use kube::{Api, Client};

use crate::run_state::NODE_ID;

/// The label naming the Workflow a pod belongs to.
const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";
/// The container that runs a task's command in a Workflow's pod (and in a single-task pod).
pub const MAIN_CONTAINER: &str = "main";
/// How much output one read takes at most.
const CHUNK: usize = 64 * 1024;

/// The pods of a Workflow by the id of the node each runs.
pub async fn pods_by_node(
    client: &Client,
    namespace: &str,
    workflow: &str,
) -> Result<HashMap<String, String>, kube::Error> {
    // Names and annotations are all that is needed: a Workflow of 1,000 tasks lists 1,000
    // pods each time some start, so their specs and statuses are not fetched.
    let pods = Api::<Pod>::namespaced(client.clone(), namespace)
        .list_metadata(&ListParams::default().labels(&format!("{WORKFLOW_LABEL}={workflow}")))
        .await?;
    Ok(pods
        .items
        .into_iter()
        .filter_map(|pod| {
            let node = pod.metadata.annotations.as_ref()?.get(NODE_ID)?.clone();
            Some((node, pod.metadata.name?))
        })
        .collect())
}

/// The output of a pod's main container from its start; with `follow`, also what it writes
/// later, until the container has ended (a kubelet may keep such a stream open longer: the
/// caller decides when to stop reading).
pub async fn output(
    client: &Client,
    namespace: &str,
    pod: &str,
    follow: bool,
) -> Result<BoxStream<'static, std::io::Result<Vec<u8>>>, kube::Error> {
    let params = LogParams { container: Some(MAIN_CONTAINER.into()), follow, ..LogParams::default() };
    let reader = Api::<Pod>::namespaced(client.clone(), namespace).log_stream(pod, &params).await?;
    // After a failed read the stream yields the error and ends.
    Ok(stream::unfold(Some(Box::pin(reader)), |reader| async move {
        let mut reader = reader?;
        let mut chunk = vec![0u8; CHUNK];
        match reader.read(&mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(chunk), Some(reader)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed())
}
