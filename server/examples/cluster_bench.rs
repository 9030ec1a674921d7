//! Benchmark of the Kubernetes engine on the test control plane (kube-apiserver, Argo,
//! kwok's fake nodes): pipelines of 1, 100 and 1,000 independent tasks (the last in parts
//! with a shared template) run through the real release server. For each it prints the time to submit (the run's POST, which
//! creates the Workflow), the time until Argo reports the Workflow finished, and the watch
//! lag from that moment until Cubist's API shows the run finished (logs copied, states
//! written), then the server's peak memory. Run with scripts/bench-cluster.sh.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod bench_support;

use std::time::{Duration, Instant};

use bench_support::{Api as BenchApi, peak_rss_mb, start_server};

use cubist_kube::argo::Phase;
use cubist_kube::testenv;
use cubist_kube::workflows::{self, WorkflowEvent};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::PostParams;
use serde_json::{Value, json};

/// The moment the plane's watch first sees the run's Workflow finished.
async fn argo_finished(kube: kube::Client, run_id: String) -> Instant {
    let mut events = workflows::watch(&kube);
    while let Some(event) = events.next().await {
        if let Ok(WorkflowEvent::Changed(w)) = event {
            let ours = w.metadata.labels.as_ref().and_then(|l| l.get("run-id")) == Some(&run_id);
            if ours && w.status.as_ref().and_then(|s| s.phase).is_some_and(Phase::is_final) {
                return Instant::now();
            }
        }
    }
    panic!("the watch ended");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let plane = testenv::shared().expect("the test control plane (scripts/testenv-build.sh builds it)");
    let kube = plane.client().await.unwrap();
    let namespace = plane.namespace(&kube, "bench").await.unwrap();
    let account = ServiceAccount {
        metadata: kube::api::ObjectMeta { name: Some("pipeline-runner".into()), ..Default::default() },
        ..ServiceAccount::default()
    };
    Api::<ServiceAccount>::namespaced(kube.clone(), &namespace).create(&PostParams::default(), &account).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let kubeconfig = format!("testenv={}", plane.kubeconfig.display());
    let env = [("CUBIST_CLUSTERS", "local,testenv"), ("CUBIST_KUBECONFIGS", kubeconfig.as_str())];
    let (mut server, base) = start_server(data.path(), &env);
    let api = BenchApi::admin(base).await;
    let shell = api.shell_template().await;
    let expand = json!({"cluster": "testenv", "namespaces": {"pipeline": namespace}});
    let project = api.post("/api/v1/projects", &json!({"name": "bench", "kind": "org", "expand": expand})).await;

    println!("{:>6} {:>12} {:>16} {:>16}", "tasks", "submit (ms)", "Argo run (s)", "watch lag (ms)");
    for n in [1usize, 100, 1000] {
        let tasks: Vec<Value> = (0..n)
            .map(|i| json!({"name": format!("t{i:04}"), "template_id": shell, "args": {"script": "true"}}))
            .collect();
        let pipeline = json!({"project_id": project["id"], "name": format!("bench-{n}"), "parallelism": 200});
        let created = api.post("/api/v1/pipelines", &json!({"pipeline": pipeline, "tasks": tasks})).await;
        let id = created["pipeline"]["id"].as_i64().unwrap();
        let submitted = Instant::now();
        let (status, run) = api.try_post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
        if !status.is_success() {
            println!("{n:>6} refused ({status}): {}", run["error"]["message"]);
            continue;
        }
        let submit_ms = submitted.elapsed().as_secs_f64() * 1000.0;
        let run_id = run["run_id"].as_str().unwrap().to_owned();
        let argo = tokio::spawn(argo_finished(kube.clone(), run_id.clone()));
        let shown = loop {
            let detail = api.get(&format!("/api/v1/runs/{run_id}")).await;
            if !["pending", "running"].contains(&detail["run"]["status"].as_str().unwrap_or_default()) {
                if detail["run"]["status"] != "succeeded" {
                    println!("{n:>6} {}: {}", detail["run"]["status"], detail["run"]["message"]);
                    argo.abort();
                    break None;
                }
                break Some(Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let Some(shown) = shown else { continue };
        let argo_done = argo.await.unwrap();
        let lag_ms = shown.saturating_duration_since(argo_done).as_secs_f64() * 1000.0;
        let argo_s = argo_done.duration_since(submitted).as_secs_f64();
        println!("{n:>6} {submit_ms:>12.1} {argo_s:>16.1} {lag_ms:>16.1}");
    }
    println!("server peak memory (VmHWM): {:.1} MB", peak_rss_mb(server.id()));
    let _ = server.kill();
    let _ = server.wait();
}
