//! Durability: the real `cubist` binary is killed while a run is in flight and started
//! again on the same data dir; the run ends in a true state and its orphaned process is gone.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use common::Client;

const PASSWORD: &str = "restart-admin-password";

async fn serve(data: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cubist"))
        .arg("serve")
        .env("CUBIST_ADDR", "127.0.0.1:0")
        .env("CUBIST_DATA_DIR", data)
        .env("CUBIST_STATIC_DIR", data.join("dist"))
        .env("CUBIST_ADMIN_PASSWORD", PASSWORD)
        .env("DATABASE_URL", "")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("listening on ").nth(1) {
                return rest.split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
            }
        }
        panic!("the server stopped before listening");
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

async fn admin(base: &str) -> Client {
    let client = Client::new(base);
    let (status, body) = client.post("/api/v1/auth/login", &json!({"username": "admin", "password": PASSWORD})).await;
    assert!(status.is_success(), "{body}");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_interrupted_by_a_crash_ends_failed_and_its_process_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve(dir.path()).await;
    let client = admin(&base).await;
    let templates: Value = client.get_as("/api/v1/job-templates").await;
    let shell = templates["items"].as_array().unwrap().iter().find(|t| t["name"] == "shell").unwrap()["id"].clone();
    let projects: Value = client.get_as("/api/v1/projects?kind=org").await;
    let public = projects["items"][0]["id"].clone();
    let body = json!({"pipeline": {"project_id": public, "name": "crash"},
        "tasks": [{"name": "sleeper", "template_id": shell, "args": {"script": "echo $$ > pid.txt; sleep 60"}}]});
    let (_, created) = client.post("/api/v1/pipelines", &body).await;
    let id = created["pipeline"]["id"].as_i64().unwrap();
    let (_, run) = client.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    let run_id = run["run_id"].as_str().unwrap().to_owned();
    let pid_file = dir.path().join("runs").join(&run_id).join("work").join("pid.txt");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&pid_file).unwrap_or_default().trim().is_empty() {
        assert!(Instant::now() < deadline, "the task never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();

    server.kill().await.unwrap();
    assert!(common::process_alive(&pid), "the task outlives the crashed server (its own process group)");

    let (_server, base) = serve(dir.path()).await;
    let client = admin(&base).await;
    let detail: Value = client.get_as(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(detail["run"]["status"], "failed", "{detail}");
    assert!(detail["run"]["message"].as_str().unwrap().contains("interrupted"));
    assert_eq!(detail["tasks"][0]["status"], "failed");
    common::process_gone(&pid).await;
}

/// A job started from a debug shell, immune to the hang-up its shell gets when the server
/// goes; returns its process id.
async fn detached_job(client: &Client, name: &str) -> String {
    let task = common::terminal::shell_task(client, name).await;
    let mut socket = common::terminal::open(client, task).await;
    // The quotes keep the marker out of the echoed command line.
    common::terminal::type_line(&mut socket, "nohup sleep 300 >/dev/null 2>&1 & echo \"jo\"\"b=$!=\"").await;
    let screen = common::terminal::read_until(&mut socket, "=\r\n").await;
    let job = screen.split("job=").nth(1).unwrap().split('=').next().unwrap().to_owned();
    assert!(common::process_alive(&job));
    std::mem::forget(socket);
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_shells_end_with_a_stopping_server_and_a_crashed_servers_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve(dir.path()).await;
    let job = detached_job(&admin(&base).await, "stopped").await;
    let pid = nix::unistd::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    tokio::time::timeout(Duration::from_secs(20), server.wait()).await.unwrap().unwrap();
    common::process_gone(&job).await;

    let (mut server, base) = serve(dir.path()).await;
    let job = detached_job(&admin(&base).await, "crashed").await;
    server.kill().await.unwrap();
    assert!(common::process_alive(&job), "a crash leaves the job behind");
    let (_server, _) = serve(dir.path()).await;
    common::process_gone(&job).await;
}
