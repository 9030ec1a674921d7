//! Durability: the real `cubist` binary is killed while a run is in flight and started
//! again on the same data dir and database (SQLite and PostgreSQL); the run ends in a true
//! state and its orphaned process is gone.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use common::{Backend, Client};

const PASSWORD: &str = "restart-admin-password";

async fn serve(data: &Path, database: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cubist"))
        .arg("serve")
        .env("CUBIST_ADDR", "127.0.0.1:0")
        .env("CUBIST_DATA_DIR", data)
        .env("CUBIST_STATIC_DIR", data.join("dist"))
        .env("CUBIST_ADMIN_PASSWORD", PASSWORD)
        .env("DATABASE_URL", database)
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

on_both_databases!(a_run_interrupted_by_a_crash_ends_failed_and_its_process_is_killed, crashed_run);

async fn crashed_run(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (_pg, database) = common::database(backend).await;
    let (mut server, base) = serve(dir.path(), &database).await;
    let client = admin(&base).await;
    let steps = [("sleeper", "echo $$ > pid.txt; sleep 60", 0, 0, false), ("after", "echo never", 0, 0, false)];
    let id = common::runs::pipeline(&client, "crash", &steps, json!({"after": ["sleeper"]}), 1).await;
    let run_id = common::runs::start(&client, id).await;
    let pid = common::runs::wait_for_file(&dir.path().join("runs").join(&run_id).join("work").join("pid.txt")).await;

    server.kill().await.unwrap();
    assert!(common::process_alive(&pid), "the task outlives the crashed server (its own process group)");

    let (_server, base) = serve(dir.path(), &database).await;
    let client = admin(&base).await;
    let detail: Value = client.get_as(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(detail["run"]["status"], "failed", "{detail}");
    assert!(detail["run"]["message"].as_str().unwrap().contains("interrupted"));
    assert_eq!(common::runs::task(&detail, "sleeper")["status"], "failed");
    assert_eq!(common::runs::task(&detail, "after")["status"], "cancelled", "what had not started never will");
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

on_both_databases!(debug_shells_end_with_a_stopping_server_and_a_crashed_servers_at_the_next_start, leftover_shells);

async fn leftover_shells(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (_pg, database) = common::database(backend).await;
    let (mut server, base) = serve(dir.path(), &database).await;
    let job = detached_job(&admin(&base).await, "stopped").await;
    let pid = nix::unistd::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    tokio::time::timeout(Duration::from_secs(20), server.wait()).await.unwrap().unwrap();
    common::process_gone(&job).await;

    let (mut server, base) = serve(dir.path(), &database).await;
    let job = detached_job(&admin(&base).await, "crashed").await;
    server.kill().await.unwrap();
    assert!(common::process_alive(&job), "a crash leaves the job behind");
    let (_server, _) = serve(dir.path(), &database).await;
    common::process_gone(&job).await;
}
