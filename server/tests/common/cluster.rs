//! Servers whose projects may run on the real test control plane (`testenv`), for the
//! tests of the Kubernetes engine: a namespace of the plane per test, projects on it.

#![allow(dead_code)]

use cubist_kube::clusters::{ClusterSettings, Source};
use cubist_kube::testenv;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::{Api, Client as KubeClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::common::runs::{shell_step, shell_template};
use super::common::{Backend, Client, TestApp};

/// A namespace of the test plane with the service account pipeline pods run as.
pub async fn plane_namespace(prefix: &str) -> (KubeClient, String) {
    let plane = testenv::shared().unwrap();
    let kube = plane.client().await.unwrap();
    let namespace = plane.namespace(&kube, prefix).await.unwrap();
    let account = ServiceAccount {
        metadata: kube::api::ObjectMeta { name: Some("pipeline-runner".into()), ..Default::default() },
        ..ServiceAccount::default()
    };
    Api::<ServiceAccount>::namespaced(kube.clone(), &namespace).create(&PostParams::default(), &account).await.unwrap();
    (kube, namespace)
}

/// A server whose clusters are `local` (the default) and `testenv`, the test plane; a
/// namespace of the plane for this test with the service account pipeline pods run as.
pub async fn setup(backend: Backend, prefix: &str) -> (TestApp, KubeClient, String) {
    setup_with(backend, prefix, |_| {}).await
}

/// [`setup`], with more settings of the server.
pub async fn setup_with(
    backend: Backend,
    prefix: &str,
    adjust: impl FnOnce(&mut server::config::Config),
) -> (TestApp, KubeClient, String) {
    let (kube, namespace) = plane_namespace(prefix).await;
    let plane = testenv::shared().unwrap();
    let kubeconfig = plane.kubeconfig.clone();
    let app = TestApp::spawn_with(backend, move |c| {
        c.clusters = ["local", "testenv"].map(String::from).to_vec();
        c.cluster_settings = vec![ClusterSettings {
            name: "testenv".into(),
            source: Source::Kubeconfig { path: kubeconfig, context: None },
        }];
        adjust(c);
    })
    .await;
    (app, kube, namespace)
}

/// A new project on `cluster` whose pipelines run in `namespace`.
pub async fn project_on(cluster: &str, admin: &Client, namespace: &str) -> Value {
    let expand = json!({"cluster": cluster, "namespaces": {"pipeline": namespace}});
    let (status, project) = admin
        .post("/api/v1/projects", &json!({"name": format!("p-{namespace}"), "kind": "org", "expand": expand}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    project
}

/// A pipeline of `shell` steps (a chain, in order) in a new project on `cluster`.
pub async fn pipeline_on(cluster: &str, admin: &Client, namespace: &str, steps: &[&str]) -> i64 {
    pipeline_in(admin, &project_on(cluster, admin, namespace).await, "on-cluster", steps).await
}

/// A pipeline of `shell` steps (a chain, in order) in `project`.
pub async fn pipeline_in(admin: &Client, project: &Value, name: &str, steps: &[&str]) -> i64 {
    let shell = shell_template(admin).await;
    let tasks: Vec<Value> = steps.iter().map(|s| shell_step(&shell, (s, &format!("echo {s}"), 0, 0, false))).collect();
    let dag: serde_json::Map<String, Value> = steps.windows(2).map(|w| (w[1].to_owned(), json!([w[0]]))).collect();
    let body =
        json!({"pipeline": {"project_id": project["id"], "name": name, "dag": dag, "parallelism": 1}, "tasks": tasks});
    let (status, created) = admin.post("/api/v1/pipelines", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["pipeline"]["id"].as_i64().unwrap()
}
