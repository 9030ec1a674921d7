//! Local tasks run isolated. As a Gamma user, a task cannot reach the server's data dir,
//! key, database, environment or processes, nor another user's folders, and the server goes
//! on serving; it sees only its plan's environment, runs without privileges, is limited and
//! measured by its own cgroup, and loses the network when the administrator turns it off.
//! Without a working sandbox, tasks and shells are refused with the reason.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::binary::{PASSWORD, new_user, serve};
use common::runs::{finished, pipeline_in, public_project, shell_step, shell_template, start, task};
use common::{Backend, Client, TestApp};

/// Runs one `shell` task with `script` (and extra task fields) for `client`; returns the
/// run's detail and the task's log.
async fn run_script(client: &Client, name: &str, script: &str, extra: Value) -> (Value, String) {
    let shell = shell_template(client).await;
    let mut step = shell_step(&shell, (name, script, 0, 0, false));
    if let (Some(step), Some(extra)) = (step.as_object_mut(), extra.as_object()) {
        step.extend(extra.clone());
    }
    let public = public_project(client).await;
    let id = pipeline_in(client, &public, name, vec![step], json!({})).await;
    let run_id = start(client, id).await;
    let detail = finished(client, &run_id).await;
    let (_, log) = client.get(&format!("/api/v1/runs/{run_id}/tasks/{name}/logs")).await;
    (detail, log.as_str().map(str::to_owned).unwrap_or_else(|| log.to_string()))
}

/// Each probe prints whether the task reached what it tried.
fn hostile_script(data: &str, server_pid: u32) -> String {
    format!(
        r#"probe() {{ if sh -c "$2" >/dev/null 2>&1; then echo "$1: reached"; else echo "$1: refused"; fi; }}
echo "root: $(ls ../../.. | tr '\n' ' ')"
probe data-dir 'ls {data}'
probe secret-key 'cat {data}/secret.key'
probe database 'test -e {data}/cubist.db'
probe relative-key 'cat ../../../secret.key'
probe server-process 'test -e /proc/{server_pid}/environ'
probe server-password 'grep -q {PASSWORD} /proc/1/environ /proc/$PPID/environ'
probe engine-dir 'grep -q {data} /proc/1/environ'
probe symlink 'ln -s {data} out && cat out/secret.key'
probe bob-folder 'echo planted > {data}/volumes/users/ws/bob/planted'
probe bob-by-share 'ls /share/bob || ls /share/users/ws/bob || ls /share/../users'
probe system-write 'touch /usr/bin/planted'
probe kill-server 'kill -9 {server_pid}'
probe kill-server-group 'kill -9 -{server_pid}'
probe own-mount 'echo mine > /data/own.txt'
grep -E '^(CapEff|NoNewPrivs):' /proc/self/status | tr -d '\t'
echo "uid=$(id -u)"
env | cut -d= -f1 | sort | tr '\n' ' '
"#
    )
}

on_both_databases!(a_gamma_users_task_reaches_nothing_of_the_server, hostile_task);

async fn hostile_task(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().canonicalize().unwrap();
    let (_pg, database) = common::database(backend).await;
    let (mut server, base) = serve(&data, &database).await;
    let server_pid = server.id().unwrap();
    let mount = json!({"volume_mount": "ws(pvc):/data,ws(pvc-share):/share"});

    let bob = new_user(&base, "bob").await;
    let (detail, _) = run_script(&bob, "bobs", "echo secret-of-bob > /data/mine.txt", mount.clone()).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    let ann = new_user(&base, "ann").await;
    let (detail, log) = run_script(&ann, "hostile", &hostile_script(data.to_str().unwrap(), server_pid), mount).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}\n{log}");

    for probe in [
        "data-dir",
        "secret-key",
        "database",
        "relative-key",
        "server-process",
        "server-password",
        "engine-dir",
        "symlink",
        "bob-folder",
        "bob-by-share",
        "system-write",
        "kill-server",
        "kill-server-group",
    ] {
        assert!(log.contains(&format!("{probe}: refused")), "{probe} must be refused:\n{log}");
    }
    assert!(log.contains("own-mount: reached"), "the task's own mount is writable:\n{log}");
    let key = std::fs::read_to_string(data.join("secret.key")).unwrap();
    assert!(!log.contains(key.trim()) && !log.contains(PASSWORD), "no secret in the output:\n{log}");
    let root = log.lines().find_map(|l| l.strip_prefix("root: ")).unwrap();
    assert!(!root.contains("secret.key") && !root.contains("cubist.db") && root.contains("work"), "{root}");
    assert!(log.contains("CapEff:0000000000000000") && log.contains("NoNewPrivs:1"), "no privileges:\n{log}");
    if nix::unistd::geteuid().is_root() {
        use std::os::unix::fs::MetadataExt;
        assert!(log.contains("uid=65534"), "a root server runs tasks as nobody:\n{log}");
        assert_eq!(std::fs::metadata(&data).unwrap().mode() & 0o777, 0o711, "the data dir is passable only");
        let files: &[&str] = if backend == Backend::Sqlite { &["secret.key", "cubist.db"] } else { &["secret.key"] };
        for file in files {
            assert_eq!(std::fs::metadata(data.join(file)).unwrap().mode() & 0o777, 0o600, "{file} is the server's");
        }
    }
    let names = log.lines().last().unwrap();
    assert!(!names.contains("CUBIST_") && !names.contains("DATABASE_URL"), "only the plan's environment: {names}");

    let volumes = data.join("volumes").join("users").join("ws");
    assert_eq!(std::fs::read_to_string(volumes.join("ann").join("own.txt")).unwrap(), "mine\n");
    assert!(!volumes.join("bob").join("planted").exists(), "bob's folder is untouched");
    assert_eq!(std::fs::read_to_string(volumes.join("bob").join("mine.txt")).unwrap(), "secret-of-bob\n");
    assert!(std::fs::metadata("/usr/bin/planted").is_err());
    assert!(server.try_wait().unwrap().is_none(), "the server survived");
    let (status, _) = ann.get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "and goes on serving");
}

on_both_backends!(a_task_sees_only_its_plan_and_a_minimal_environment, async |app: TestApp| {
    let ann = app.user("ann").await;
    let script = "env | sort; echo \"cwd=$(pwd)\"; echo \"shm=$(df -k /dev/shm | tail -n 1 | awk '{print $2}')\"";
    let (detail, log) = run_script(&ann, "env", script, json!({"volume_mount": "1G(memory):/dev/shm"})).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    let names: Vec<&str> = log.lines().filter_map(|l| l.split_once('=').map(|(k, _)| k)).collect();
    assert!(names.contains(&"KFJ_RUN_ID") && names.contains(&"KFJ_TASK_NAME"), "{log}");
    let leaked: Vec<&&str> =
        names.iter().filter(|n| n.starts_with("CARGO") || n.starts_with("CUBIST") || n.starts_with("RUST")).collect();
    assert!(leaked.is_empty(), "nothing of the server's environment: {leaked:?}\n{log}");
    assert!(log.contains("HOME=/tmp\n") && log.contains("LANG=C.UTF-8\n"), "{log}");
    assert!(log.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"), "{log}");
    assert!(log.contains("cwd=/work\n"), "the run's work folder is the default working directory: {log}");
    assert!(log.contains("shm=1048576\n"), "a memory mount is a tmpfs of its size: {log}");
});

on_both_backends!(memory_is_limited_and_measured_for_the_task_alone, async |app: TestApp| {
    let ann = app.user("ann").await;
    let limited = json!({"resources": {"cpu": "1", "memory": "100M", "gpu": "0"}});
    let (idle, _) = run_script(&ann, "idle", "true", json!({})).await;
    let (big, _) = run_script(&ann, "big", "python3 -c \"x = b'x' * 200_000_000; print(len(x))\"", json!({})).await;
    let (hog, log) = run_script(&ann, "hog", "python3 -c \"x = b'x' * 400_000_000\"", limited).await;
    let idle = &task(&idle, "idle")["attempts"][0];
    let big = &task(&big, "big")["attempts"][0];
    let hog = task(&hog, "hog");
    if !app.state.engines.local.inner().sandbox.has_cgroups() {
        assert!(idle["max_rss_kb"].is_null() && big["cpu_ms"].is_null(), "unmeasured, not made up: {idle} {big}");
        return;
    }
    let idle_kb = idle["max_rss_kb"].as_u64().unwrap();
    assert!(idle_kb < 16 * 1024, "`true` peaks at a few MB, not the server's size: {idle}");
    let big_kb = big["max_rss_kb"].as_u64().unwrap();
    eprintln!("peak memory: `true` {idle_kb} kB, a 200 MB allocation {big_kb} kB");
    assert!((190_000..320_000).contains(&big_kb), "200 MB allocated is about 200 MB measured: {big}");
    assert!(big["cpu_ms"].as_u64().unwrap() > 10, "CPU time measured in the sandbox: {big}");
    assert_eq!(hog["status"], "failed", "{hog}\n{log}");
    let message = hog["message"].as_str().unwrap();
    assert!(message.contains("out of memory") && message.contains("100M"), "{message}");
});

on_both_databases!(the_network_can_be_turned_off_for_tasks, network_off);

async fn network_off(backend: Backend) {
    let probe = |port: u16| {
        format!("python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 2)\" && echo reached")
    };
    let app = TestApp::spawn(backend).await;
    let (detail, log) = run_script(&app.admin().await, "online", &probe(app.addr.port()), json!({})).await;
    assert_eq!(detail["run"]["status"], "succeeded", "the network is on by default: {detail}\n{log}");
    assert!(log.contains("reached"));

    let app = TestApp::spawn_with(backend, |c| c.sandbox.network = false).await;
    let (detail, log) = run_script(&app.admin().await, "offline", &probe(app.addr.port()), json!({})).await;
    assert_eq!(detail["run"]["status"], "failed", "no network: {detail}\n{log}");
    // Its own network namespace has only a loopback of its own: the server's port is not there.
    assert!(!log.contains("reached") && log.contains("ConnectionRefusedError"), "{log}");
}

on_both_databases!(without_a_sandbox_tasks_and_shells_are_refused_unless_turned_off, fail_closed);

async fn fail_closed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox.bwrap = "/nonexistent/bwrap".into()).await;
    let admin = app.admin().await;
    let me: app::model::Me = admin.get_as("/api/v1/me").await;
    assert_eq!(me.task_isolation, app::model::TaskIsolation::Unavailable);
    let shell = shell_template(&admin).await;
    let public = public_project(&admin).await;
    let step = shell_step(&shell, ("refused", "echo ran", 0, 0, false));
    let id = pipeline_in(&admin, &public, "refused", vec![step], json!({})).await;
    let (status, body) = admin.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("bubblewrap") && message.contains("CUBIST_SANDBOX=off"), "{message}");
    let detail: Value = admin.get_as(&format!("/api/v1/pipelines/{id}/graph")).await;
    let task_id = detail["tasks"][0]["id"].as_i64().unwrap();
    let (status, body) = admin.post(&format!("/api/v1/tasks/{task_id}/run"), &json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a single task too: {body}");
    let (status, body) = admin.get(&format!("/api/v1/tasks/{task_id}/debug")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "and a debug shell: {body}");
    let (runs, _) = admin.get(&format!("/api/v1/runs?pipeline_id={id}")).await;
    assert_eq!(runs, StatusCode::OK);

    let app = TestApp::spawn_with(backend, |c| {
        c.sandbox.bwrap = "/nonexistent/bwrap".into();
        c.sandbox.isolation = server::engine::sandbox::Isolation::Off;
    })
    .await;
    let admin = app.admin().await;
    let me: app::model::Me = admin.get_as("/api/v1/me").await;
    assert_eq!(me.task_isolation, app::model::TaskIsolation::Off, "shown as a warning");
    let (detail, log) = run_script(&admin, "unisolated", "echo ran", json!({})).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    assert_eq!(log, "ran\n");
}

on_both_backends!(a_mount_under_etc_still_starts, async |app: TestApp| {
    let admin = app.admin().await;
    let script = "test -d /etc/creds && head -n 1 /etc/passwd";
    let (detail, log) = run_script(&admin, "creds", script, json!({"volume_mount": "creds(secret):/etc/creds"})).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}\n{log}");
    assert!(log.starts_with("root:"), "the system's /etc is still there: {log}");
});
