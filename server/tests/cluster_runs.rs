//! Pipelines of a project on a Kubernetes cluster run there, on the real test control
//! plane: the run becomes an Argo Workflow, its state comes back through the watch, its
//! pods' output is kept after they are gone, a stop cancels it, and a new manual run
//! replaces the previous one on the cluster.

#![allow(clippy::unwrap_used)]

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use std::time::{Duration, Instant};

use cubist_kube::argo::Workflow;
use cubist_kube::testenv;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, Client as KubeClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

use cluster::{pipeline_in, pipeline_on, plane_namespace, project_on, setup, setup_with};
use common::runs::{shell_step, shell_template, task};
use common::{Backend, Client, TestApp};

/// Waits (through the API) until the run's detail satisfies `done`.
async fn wait_for(client: &Client, run_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let detail: Value = client.get_as(&format!("/api/v1/runs/{run_id}")).await;
        if done(&detail) {
            return detail;
        }
        assert!(Instant::now() < deadline, "the run did not get there: {detail}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn ended(detail: &Value) -> bool {
    !["pending", "running"].contains(&detail["run"]["status"].as_str().unwrap())
}

async fn workflows_of(kube: &KubeClient, namespace: &str, run_id: &str) -> Vec<Workflow> {
    let api = Api::<Workflow>::namespaced(kube.clone(), namespace);
    api.list(&ListParams::default().labels(&format!("run-id={run_id}"))).await.unwrap().items
}

on_both_databases!(a_pipeline_runs_on_the_cluster_and_its_logs_outlive_its_pods, runs_to_the_end);

async fn runs_to_the_end(backend: Backend) {
    // The housekeeping removes a finished run's Workflow and pods at once.
    let (app, kube, namespace) = setup_with(backend, "cluster-run", |c| {
        c.scheduler.tick = Duration::from_millis(100);
        c.scheduler.housekeeping = Duration::from_millis(200);
        c.scheduler.cluster_keep = Duration::ZERO;
    })
    .await;
    let admin = app.admin().await;
    let id = pipeline_on("testenv", &admin, &namespace, &["fetch", "train"]).await;
    let run_id = common::runs::start(&admin, id).await;
    assert_eq!(workflows_of(&kube, &namespace, &run_id).await.len(), 1, "the run is one Workflow");
    assert!(!app.data_dir.join("runs").join(&run_id).join("work").exists(), "nothing runs on this machine");

    let detail = wait_for(&admin, &run_id, ended).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    for name in ["fetch", "train"] {
        let t = task(&detail, name);
        assert_eq!(t["status"], "succeeded", "{t}");
        assert_eq!(t["attempts"].as_array().unwrap().len(), 1, "{t}");
        assert!(t["started_at"].is_string() && t["finished_at"].is_string(), "{t}");
    }
    assert!(task(&detail, "fetch")["finished_at"].as_str() <= task(&detail, "train")["started_at"].as_str());

    // The housekeeping removes the Workflow and its pods; what they printed stays readable.
    let pods = Api::<Pod>::namespaced(kube.clone(), &namespace);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !workflows_of(&kube, &namespace, &run_id).await.is_empty()
        || !pods.list(&ListParams::default()).await.unwrap().items.is_empty()
    {
        assert!(Instant::now() < deadline, "the finished run's Workflow and pods were not removed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for name in ["fetch", "train"] {
        let (status, log) = admin.get(&format!("/api/v1/runs/{run_id}/tasks/{name}/logs")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(log.as_str().unwrap().lines().collect::<Vec<_>>(), testenv::POD_OUTPUT, "{name}");
    }
    // Its deletion reaches the server's watch within moments; the run stays as it ended.
    for _ in 0..20 {
        let detail: Value = admin.get_as(&format!("/api/v1/runs/{run_id}")).await;
        assert_eq!(detail["run"]["status"], "succeeded", "a finished run stays as it ended when its Workflow goes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_databases!(a_run_on_the_cluster_is_stopped_and_a_new_one_replaces_it, stop_and_replace);

async fn stop_and_replace(backend: Backend) {
    let (app, kube, namespace) = setup(backend, "cluster-stop").await;
    let admin = app.admin().await;
    let id = pipeline_on("testenv", &admin, &namespace, &[testenv::RUNS_UNTIL_STOPPED, "after"]).await;
    let first = common::runs::start(&admin, id).await;
    wait_for(&admin, &first, |d| task(d, testenv::RUNS_UNTIL_STOPPED)["status"] == "running").await;

    let (status, detail) = admin.post(&format!("/api/v1/runs/{first}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["run"]["status"], "cancelled", "the stop is recorded when the cancel returns: {detail}");
    assert_eq!(task(&detail, testenv::RUNS_UNTIL_STOPPED)["status"], "cancelled", "{detail}");
    assert_eq!(task(&detail, "after")["status"], "cancelled", "{detail}");
    assert!(detail["run"]["finished_at"].is_string());

    let second = common::runs::start(&admin, id).await;
    assert!(workflows_of(&kube, &namespace, &first).await.is_empty(), "the previous manual run's Workflow is gone");
    assert_eq!(workflows_of(&kube, &namespace, &second).await.len(), 1);
    let old: Value = admin.get_as(&format!("/api/v1/runs/{first}")).await;
    assert_eq!(old["run"]["status"], "deleted", "its record stays");
    let (status, detail) = admin.post(&format!("/api/v1/runs/{second}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["run"]["status"], "cancelled", "{detail}");
}

on_both_databases!(a_project_on_a_cluster_without_a_kubeconfig_cannot_run, unreachable_cluster);

async fn unreachable_cluster(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.clusters = ["local", "gpu-east"].map(String::from).to_vec()).await;
    let admin = app.admin().await;
    let id = pipeline_on("gpu-east", &admin, "nowhere", &["only"]).await;
    let (status, body) = admin.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.to_string().contains("gpu-east"), "{body}");
    let runs: Value = admin.get_as(&format!("/api/v1/runs?pipeline_id={id}")).await;
    assert_eq!(runs["total"], 0, "nothing is recorded");
}

on_both_databases!(a_restarted_server_takes_up_its_runs_on_the_cluster, restart_resumes);

/// The server is killed while two runs are in flight; meanwhile one run is stopped on the
/// cluster and the other's Workflow deleted. The new server records both as they ended.
async fn restart_resumes(backend: Backend) {
    let plane = testenv::shared().unwrap();
    let (kube, namespace) = plane_namespace("cluster-restart").await;
    let dir = tempfile::tempdir().unwrap();
    let (_pg, database) = common::database(backend).await;
    let kubeconfig = format!("testenv={}", plane.kubeconfig.display());
    let env = [("CUBIST_CLUSTERS", "local,testenv"), ("CUBIST_KUBECONFIGS", kubeconfig.as_str())];
    let (mut server, base) = common::binary::serve_with(dir.path(), &database, &env).await;
    let admin = common::binary::admin(&base).await;
    let expand = json!({"cluster": "testenv", "namespaces": {"pipeline": namespace}});
    let (_, project) =
        admin.post("/api/v1/projects", &json!({"name": "restart", "kind": "org", "expand": expand})).await;
    let slow = testenv::RUNS_UNTIL_STOPPED;
    let stopped = pipeline_in(&admin, &project, "stopped", &[slow, "after"]).await;
    let vanished = pipeline_in(&admin, &project, "vanished", &[slow]).await;
    let stopped = common::runs::start(&admin, stopped).await;
    let vanished = common::runs::start(&admin, vanished).await;
    for run_id in [&stopped, &vanished] {
        wait_for(&admin, run_id, |d| task(d, slow)["status"] == "running").await;
    }

    server.kill().await.unwrap();
    cubist_kube::workflows::terminate(&kube, &namespace, &stopped).await.unwrap();
    cubist_kube::workflows::clear(&kube, &namespace, &vanished).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !workflows_of(&kube, &namespace, &stopped).await[0]
        .status
        .as_ref()
        .and_then(|s| s.phase)
        .is_some_and(|p| p.is_final())
    {
        assert!(Instant::now() < deadline, "Argo did not stop the Workflow");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (_server, base) = common::binary::serve_with(dir.path(), &database, &env).await;
    let admin = common::binary::admin(&base).await;
    let detail = wait_for(&admin, &stopped, ended).await;
    assert_eq!(detail["run"]["status"], "cancelled", "{detail}");
    assert_eq!(task(&detail, "after")["status"], "cancelled", "{detail}");
    let detail = wait_for(&admin, &vanished, ended).await;
    assert_eq!(detail["run"]["status"], "failed", "{detail}");
    assert!(detail["run"]["message"].as_str().unwrap().contains("Workflow"), "{detail}");
}

on_both_databases!(a_single_task_runs_alone_on_the_cluster_and_is_cleared, single_task);

/// A task run alone (run id `run-<pipeline>-<task>`) runs on the cluster, its log is
/// readable, a second run replaces the first under the same id, and clearing removes it
/// from the cluster while the record and log stay.
async fn single_task(backend: Backend) {
    let (app, kube, namespace) = setup(backend, "cluster-task").await;
    let admin = app.admin().await;
    let id = pipeline_on("testenv", &admin, &namespace, &["fetch", "train"]).await;
    let detail: Value = admin.get_as(&format!("/api/v1/pipelines/{id}/graph")).await;
    let train = detail["tasks"].as_array().unwrap().iter().find(|t| t["name"] == "train").unwrap()["id"].clone();
    let run_id = format!("run-{id}-{train}");
    for _ in 0..2 {
        let (status, run) = admin.post(&format!("/api/v1/tasks/{train}/run"), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        assert_eq!(run["run_id"], run_id.as_str());
        let detail = wait_for(&admin, &run_id, ended).await;
        assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
        assert_eq!(detail["tasks"].as_array().unwrap().len(), 1, "only the task runs: {detail}");
        assert_eq!(workflows_of(&kube, &namespace, &run_id).await.len(), 1);
    }
    let (status, log) = admin.get(&format!("/api/v1/tasks/{train}/logs")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(log.as_str().unwrap().lines().collect::<Vec<_>>(), testenv::POD_OUTPUT);

    let (status, _) = admin.post(&format!("/api/v1/tasks/{train}/clear"), &json!({})).await;
    assert_eq!(status.as_u16() / 100, 2);
    assert!(workflows_of(&kube, &namespace, &run_id).await.is_empty(), "cleared from the cluster");
    let pods = Api::<Pod>::namespaced(kube.clone(), &namespace);
    assert!(pods.list(&ListParams::default().labels(&format!("run-id={run_id}"))).await.unwrap().items.is_empty());
    let (status, log) = admin.get(&format!("/api/v1/tasks/{train}/logs")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(log.as_str().unwrap().lines().collect::<Vec<_>>(), testenv::POD_OUTPUT, "the log stays");
}

on_both_databases!(a_pipeline_too_large_for_one_workflow_is_refused_before_it_is_recorded, too_large);

async fn too_large(backend: Backend) {
    let (app, _kube, namespace) = setup(backend, "cluster-large").await;
    let admin = app.admin().await;
    let project = project_on("testenv", &admin, &namespace).await;
    let shell = shell_template(&admin).await;
    // Each task has a timeout of its own, so no two share a template: 200 of them, a part
    // and the entry.
    let tasks: Vec<Value> =
        (0..200).map(|i| shell_step(&shell, (&format!("t{i:03}"), "echo", 0, 60 + i, false))).collect();
    let body = json!({"pipeline": {"project_id": project["id"], "name": "wide", "dag": {}}, "tasks": tasks});
    let (status, created) = admin.post("/api/v1/pipelines", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["pipeline"]["id"].as_i64().unwrap();
    let (status, body) = admin.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(common::error_fields(&body), ["tasks"], "{body}");
    assert!(body.to_string().contains("need 202 templates"), "{body}");
    let runs: Value = admin.get_as(&format!("/api/v1/runs?pipeline_id={id}")).await;
    assert_eq!(runs["total"], 0, "nothing is recorded");
}
