//! Durability: the real `cubist` binary is killed while a run is in flight and started
//! again on the same data dir and database (SQLite and PostgreSQL); the run ends in a true
//! state and its orphaned process is gone.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use serde_json::{Value, json};

use common::binary::{admin, serve};
use common::{Backend, Client};

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
    let pid = common::host_pid(&run_id, &pid).await;
    assert!(common::process_alive(&pid));

    server.kill().await.unwrap();
    common::process_gone(&pid).await;

    let (_server, base) = serve(dir.path(), &database).await;
    let client = admin(&base).await;
    let detail: Value = client.get_as(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(detail["run"]["status"], "failed", "{detail}");
    assert!(detail["run"]["message"].as_str().unwrap().contains("interrupted"));
    assert_eq!(common::runs::task(&detail, "sleeper")["status"], "failed");
    assert_eq!(common::runs::task(&detail, "after")["status"], "cancelled", "what had not started never will");
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
    let job = common::host_pid(&common::terminal::run_id_of(client, task).await, &job).await;
    assert!(common::process_alive(&job));
    std::mem::forget(socket);
    job
}

on_both_databases!(debug_shells_end_with_a_stopping_or_crashing_server, leftover_shells);

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
    // A sandbox dies with the server that started it: nothing is left for the next start.
    common::process_gone(&job).await;
}
