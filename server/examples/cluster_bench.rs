//! Benchmark of the Kubernetes engine on the test control plane (kube-apiserver, Argo,
//! kwok's fake nodes): pipelines of 1, 100, 199 and 1,000 independent tasks (the last is
//! refused: a Workflow holds at most 199 tasks today) run through the
//! real release server. For each it prints the time to submit (the run's POST, which
//! creates the Workflow), the time until Argo reports the Workflow finished, and the watch
//! lag from that moment until Cubist's API shows the run finished (logs copied, states
//! written), then the server's peak memory. Run with scripts/bench-cluster.sh.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cubist_kube::argo::Phase;
use cubist_kube::testenv;
use cubist_kube::workflows::{self, WorkflowEvent};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::PostParams;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};

const PASSWORD: &str = "bench-admin-password";

struct Client {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl Client {
    fn csrf(&self) -> String {
        let url = self.base.parse().unwrap();
        let cookies = self.jar.cookies(&url).map(|c| c.to_str().unwrap_or_default().to_owned()).unwrap_or_default();
        cookies.split("; ").find_map(|kv| kv.strip_prefix("cubist_csrf=")).unwrap_or_default().to_owned()
    }

    async fn get(&self, path: &str) -> Value {
        self.http.get(format!("{}{path}", self.base)).send().await.unwrap().json().await.unwrap()
    }

    async fn try_post(&self, path: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        let resp = self.http.post(format!("{}{path}", self.base)).header("X-CSRF-Token", self.csrf()).json(body);
        let resp = resp.send().await.unwrap();
        (resp.status(), resp.json().await.unwrap_or_default())
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let resp = self.http.post(format!("{}{path}", self.base)).header("X-CSRF-Token", self.csrf()).json(body);
        let resp = resp.send().await.unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap()
    }
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn start_server(bin: &str, data: &std::path::Path, kubeconfig: &str) -> (std::process::Child, String) {
    let mut server = Command::new(bin)
        .arg("serve")
        .env("CUBIST_ADDR", "127.0.0.1:0")
        .env("CUBIST_DATA_DIR", data)
        .env("CUBIST_ADMIN_PASSWORD", PASSWORD)
        .env("CUBIST_LOG", "warn")
        .env("DATABASE_URL", "")
        .env("CUBIST_CLUSTERS", "local,testenv")
        .env("CUBIST_KUBECONFIGS", format!("testenv={kubeconfig}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run scripts/bench-cluster.sh, which builds the release server first");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("the server stopped").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (server, base)
}

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
    let bin = std::env::var("CUBIST_BIN").unwrap_or_else(|_| "/var/tmp/cubist-target/release/cubist".into());
    let data = tempfile::tempdir().unwrap();
    let (mut server, base) = start_server(&bin, data.path(), &plane.kubeconfig.display().to_string());
    let jar = Arc::new(Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    let api = Client { http, jar, base };
    api.post("/api/v1/auth/login", &json!({"username": "admin", "password": PASSWORD})).await;
    let templates = api.get("/api/v1/job-templates").await;
    let shell = templates["items"].as_array().unwrap().iter().find(|t| t["name"] == "shell").unwrap()["id"].clone();
    let expand = json!({"cluster": "testenv", "namespaces": {"pipeline": namespace}});
    let project = api.post("/api/v1/projects", &json!({"name": "bench", "kind": "org", "expand": expand})).await;

    println!("{:>6} {:>12} {:>16} {:>16}", "tasks", "submit (ms)", "Argo run (s)", "watch lag (ms)");
    for n in [1usize, 100, 199, 1000] {
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
