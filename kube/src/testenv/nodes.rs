//! Fake nodes and how their pods behave. kwok keeps nodes with the annotation
//! `kwok.x-k8s.io/node: fake` ready and moves their pods through stages read from kwok's own
//! module at test time: pods become ready at once and complete (after the delay in their
//! `pod-complete.stage.kwok.x-k8s.io/delay` annotation, if any), whoever owns them; a pod
//! labelled `pod-container-running-failed.stage.kwok.x-k8s.io: "true"` fails instead, and
//! the pod of a task named [`RUNS_UNTIL_STOPPED`] runs until it is stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Node, NodeStatus};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::Api;
use kube::api::{ObjectMeta, Patch, PatchParams};
use serde_yaml::Value;

use super::setup::MANAGER;
use super::{ControlPlane, StartError, programs};

/// A fake node: its name, its labels (`key=value;…`, the labels Cubist schedules on), and
/// its GPUs.
pub struct FakeNode {
    pub name: &'static str,
    pub labels: &'static str,
    pub gpus: u32,
}

/// The cluster's machines: CPU machines of two resource groups, and GPU machines of two
/// types. Tests check placement by where the scheduler put their pods.
pub const FAKE_NODES: [FakeNode; 4] = [
    FakeNode { name: "cpu-public", labels: "cpu=true;train=true;notebook=true;service=true;org=public", gpus: 0 },
    FakeNode { name: "cpu-research", labels: "cpu=true;train=true;org=research", gpus: 0 },
    FakeNode { name: "gpu-v100", labels: "gpu=true;train=true;org=public;gpu-type=V100", gpus: 8 },
    FakeNode { name: "gpu-t4", labels: "gpu=true;train=true;notebook=true;org=public;gpu-type=T4", gpus: 4 },
];

/// kwok's stage files the plane uses (relative to its module).
const STAGES: [&str; 6] = [
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat/node-heartbeat.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/general/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
    "kustomize/stage/pod/chaos/pod-container-running-failed.yaml",
];

/// What the main container of every pod on a fake node printed, as its logs read.
pub const POD_OUTPUT: [&str; 2] = ["fake node: the task ran", "fake node: done"];

/// The rule that makes kwok run what is executed in a pod's main container (a debug shell)
/// as a process of its own on this machine, in `dir`: the fake nodes have no containers.
fn exec_here(dir: &Path) -> Result<String, StartError> {
    let rule = serde_json::json!({
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterExec",
        "metadata": {"name": "every-pod"},
        "spec": {"execs": [{"containers": ["main"], "local": {"workDir": dir.display().to_string()}}]},
    });
    serde_yaml::to_string(&rule).map_err(|e| StartError(e.to_string()))
}

/// The output of main containers in the container runtime's log format, and the rule that
/// makes kwok serve it as the logs of every pod (through the node's kubelet endpoint).
fn write_pod_output(dir: &Path) -> Result<String, StartError> {
    let path = dir.join("pod-output.log");
    let lines: Vec<String> =
        POD_OUTPUT.iter().map(|line| format!("2026-12-02T03:00:00.000000000Z stdout F {line}\n")).collect();
    std::fs::write(&path, lines.concat()).map_err(|e| StartError(format!("pod-output.log: {e}")))?;
    let rule = serde_json::json!({
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": "every-pod"},
        "spec": {"logs": [{"containers": ["main"], "logsFile": path.display().to_string()}]},
    });
    serde_yaml::to_string(&rule).map_err(|e| StartError(e.to_string()))
}

/// Writes kwok's configuration: its stages, with `pod-complete` taking pods of any owner
/// (kwok's own takes only Jobs' pods) and no delay unless the pod asks for one, and the
/// output every pod's main container shows ([`POD_OUTPUT`]).
pub fn write_stages(dir: &Path) -> Result<PathBuf, StartError> {
    let module = programs::module_dir("kwok-module-dir")?;
    let mut docs = Vec::new();
    for file in STAGES {
        let mut stage: Value =
            serde_yaml::from_str(&programs::read(&module, file)?).map_err(|e| StartError(format!("{file}: {e}")))?;
        if file.ends_with("pod-complete.yaml") {
            any_owner_at_once(&mut stage);
        }
        docs.push(serde_yaml::to_string(&stage).map_err(|e| StartError(e.to_string()))?);
    }
    docs.push(write_pod_output(dir)?);
    docs.push(exec_here(dir)?);
    let path = dir.join("kwok.yaml");
    std::fs::write(&path, docs.join("---\n")).map_err(|e| StartError(format!("kwok.yaml: {e}")))?;
    Ok(path)
}

/// The task name whose pods never complete by themselves: they run until stopped.
pub const RUNS_UNTIL_STOPPED: &str = "slow";

fn any_owner_at_once(stage: &mut Value) {
    if let Some(expressions) = stage["spec"]["selector"]["matchExpressions"].as_sequence_mut() {
        expressions.retain(|e| e["key"].as_str() != Some(".metadata.ownerReferences.[].kind"));
        let not_slow = serde_json::json!({
            "key": ".metadata.labels[\"task-name\"]", "operator": "NotIn", "values": [RUNS_UNTIL_STOPPED],
        });
        // Debug pods idle until they are deleted, as on a real node.
        let not_debug = serde_json::json!({
            "key": ".metadata.labels[\"pod-type\"]", "operator": "NotIn", "values": [crate::debug_pods::DEBUG_POD_TYPE],
        });
        expressions.push(serde_yaml::to_value(not_slow).unwrap_or_default());
        expressions.push(serde_yaml::to_value(not_debug).unwrap_or_default());
    }
    if let Some(delay) = stage["spec"]["delay"].as_mapping_mut() {
        delay.insert("durationMilliseconds".into(), 0.into());
        // A jitter bound would cap the delay a pod asks for.
        delay.remove("jitterDurationMilliseconds");
    }
}

pub fn kwok_args(kubeconfig: &str, stages: &Path, port: u16) -> Vec<String> {
    vec![
        format!("--kubeconfig={kubeconfig}"),
        "--manage-all-nodes=false".into(),
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake".into(),
        format!("--config={}", stages.display()),
        format!("--server-address=127.0.0.1:{port}"),
        // The nodes' kubelet endpoint is kwok's server: the API server reads pod logs there.
        "--node-ip=127.0.0.1".into(),
        format!("--node-port={port}"),
    ]
}

fn node(fake: &FakeNode) -> Node {
    let labels: BTreeMap<String, String> = fake
        .labels
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .chain([("kubernetes.io/hostname".to_owned(), fake.name.to_owned()), ("type".to_owned(), "kwok".to_owned())])
        .collect();
    let annotations = BTreeMap::from([("kwok.x-k8s.io/node".to_owned(), "fake".to_owned())]);
    Node {
        metadata: ObjectMeta {
            name: Some(fake.name.into()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        ..Node::default()
    }
}

fn capacity(fake: &FakeNode) -> BTreeMap<String, Quantity> {
    let mut amounts = BTreeMap::from([
        ("cpu".to_owned(), Quantity("64".into())),
        ("memory".to_owned(), Quantity("512Gi".into())),
        ("pods".to_owned(), Quantity("1000".into())),
    ]);
    if fake.gpus > 0 {
        amounts.insert("nvidia.com/gpu".to_owned(), Quantity(fake.gpus.to_string()));
    }
    amounts
}

/// Creates the fake nodes with their capacity (GPUs included).
pub async fn create(plane: &ControlPlane) -> Result<(), StartError> {
    let fail = |e: kube::Error| StartError(format!("creating the fake nodes: {e}"));
    let nodes: Api<Node> = Api::all(plane.client().await?);
    for fake in &FAKE_NODES {
        nodes.patch(fake.name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&node(fake))).await.map_err(fail)?;
        let status = Node {
            status: Some(NodeStatus {
                capacity: Some(capacity(fake)),
                allocatable: Some(capacity(fake)),
                ..NodeStatus::default()
            }),
            ..node(fake)
        };
        nodes
            .patch_status(fake.name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&status))
            .await
            .map_err(fail)?;
    }
    Ok(())
}
