//! Debug shells of a task whose project runs on a Kubernetes cluster, on the real test
//! control plane: the shell opens in a debug pod running the task's container idle, with
//! the task's environment (kwok runs what is executed in it as a process here), takes
//! resizes, reports its exit, and clearing the task removes the pod.

#![allow(clippy::unwrap_used)]

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use common::Backend;
use common::terminal::{open, read_until, type_line};

on_both_databases!(a_debug_shell_opens_in_the_tasks_pod_on_its_cluster, debug_in_pod);

async fn debug_in_pod(backend: Backend) {
    let (app, kube, namespace) = cluster::setup(backend, "cluster-debug").await;
    let admin = app.admin().await;
    let pipeline = cluster::pipeline_on("testenv", &admin, &namespace, &["probe"]).await;
    let detail: Value = admin.get_as(&format!("/api/v1/pipelines/{pipeline}/graph")).await;
    let task = detail["tasks"][0]["id"].as_i64().unwrap();
    let info: Value = admin.get_as(&format!("/api/v1/tasks/{task}/debug")).await;
    let pod_name = format!("debug-run-{pipeline}-{task}");
    assert_eq!(info["location"], format!("pod {namespace}/{pod_name} on testenv"), "{info}");

    let mut socket = open(&admin, task).await;
    // kwok runs the shell here, without the container's environment: that is in the pod.
    type_line(&mut socket, "echo \"[$((6*7))|$(stty size)]\"").await;
    read_until(&mut socket, "[42|30 100]").await;
    socket.send(Message::Text(r#"{"type":"resize","cols":132,"rows":43}"#.into())).await.unwrap();
    type_line(&mut socket, "echo \"<$(stty size)>\"").await;
    read_until(&mut socket, "<43 132>").await;
    let pods: Api<Pod> = Api::namespaced(kube.clone(), &namespace);
    let pod = pods.get(&pod_name).await.unwrap();
    let labels = pod.metadata.labels.unwrap();
    assert_eq!((labels["pod-type"].as_str(), labels["run-id"].as_str()), ("debug", info["run_id"].as_str().unwrap()));
    assert_eq!(pod.status.unwrap().phase.as_deref(), Some("Running"));
    let container = &pod.spec.unwrap().containers[0];
    let env: Vec<(String, String)> =
        container.env.iter().flatten().map(|e| (e.name.clone(), e.value.clone().unwrap_or_default())).collect();
    assert!(env.contains(&("KFJ_TASK_NAME".into(), "probe".into())), "the task's environment: {env:?}");
    assert_eq!(container.command.as_ref().unwrap()[0], "sleep", "the container idles");

    type_line(&mut socket, "exit 7").await;
    let close = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.unwrap(),
                Some(Ok(_)) => {}
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    // A kubelet reports the exit code; kwok reports it only as text.
    assert_eq!(close.code, CloseCode::Library(4000));
    assert_eq!(close.reason.as_str(), "ended (the cluster reported no exit code)");

    let (status, body) = admin.post(&format!("/api/v1/tasks/{task}/clear"), &json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let gone = kube::runtime::wait::await_condition(pods, &pod_name, |p: Option<&Pod>| p.is_none());
    tokio::time::timeout(Duration::from_secs(30), gone).await.unwrap().unwrap();
}
