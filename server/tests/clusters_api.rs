//! Administrators see every cluster and whether it answers: the real test control plane,
//! the local engine, a cluster without a kubeconfig and one whose kubeconfig is missing.

#![allow(clippy::unwrap_used)]

mod common;

use cubist_kube::clusters::{ClusterSettings, Source};
use cubist_kube::testenv;
use reqwest::StatusCode;
use serde_json::Value;

use common::{Backend, TestApp};

async fn administrators_see_which_clusters_answer(backend: Backend) {
    let plane = testenv::shared().unwrap();
    let kubeconfig = plane.kubeconfig.clone();
    let app = TestApp::spawn_with(backend, move |c| {
        c.clusters = ["testenv", "local", "gpu-east", "offline"].map(String::from).to_vec();
        c.cluster_settings = vec![
            ClusterSettings { name: "testenv".into(), source: Source::Kubeconfig { path: kubeconfig, context: None } },
            ClusterSettings {
                name: "offline".into(),
                source: Source::Kubeconfig { path: "/nonexistent/kubeconfig".into(), context: None },
            },
        ];
    })
    .await;
    let clusters: Value = app.admin().await.get_as("/api/v1/clusters").await;
    let by_name = |name: &str| clusters.as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    let testenv = by_name("testenv");
    assert_eq!(testenv["state"], "reachable", "{clusters}");
    assert_eq!(testenv["console"], true);
    assert!(testenv["version"].as_str().unwrap().starts_with("v1.36"), "{testenv}");
    assert_eq!(by_name("local")["state"], "local");
    assert_eq!(by_name("gpu-east")["state"], "not_configured");
    let offline = by_name("offline");
    assert_eq!(offline["state"], "unreachable");
    assert!(offline["message"].as_str().unwrap().contains("/nonexistent/kubeconfig"), "{offline}");

    let (status, _) = app.user("gus").await.get("/api/v1/clusters").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_sqlite() {
    administrators_see_which_clusters_answer(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_postgres() {
    administrators_see_which_clusters_answer(Backend::Postgres).await;
}
