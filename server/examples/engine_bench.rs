//! Benchmark of the local engine. First the cost of isolation alone: starting `/bin/true`
//! bare and in the task sandbox (cgroup, privilege drop, bubblewrap). Then through the real
//! server (HTTP, database writes and all), with the sandbox and with it turned off: DAGs of
//! 1, 20 (chain), 100 (fan-out + join) and 1,000 trivial tasks, each timed from submit to
//! final state and compared with the bare cost of spawning the same processes. Prints
//! per-task overhead and the server's peak memory. Run with scripts/bench-engine.sh.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod bench_support;

use std::process::Command;
use std::time::{Duration, Instant};

use bench_support::{Api, peak_rss_mb, start_server};

use serde_json::{Value, json};

/// What every task runs (through the seeded `shell` template: `bash -c true`).
const TRIVIAL: &str = "true";

/// Bare cost: spawning `bash -c true` `n` times, `parallel` at a time.
fn bare(n: usize, parallel: usize) -> Duration {
    let started = Instant::now();
    let per_worker = n.div_ceil(parallel);
    let workers: Vec<_> = (0..parallel)
        .map(|w| {
            let count = per_worker.min(n.saturating_sub(w * per_worker));
            std::thread::spawn(move || {
                for _ in 0..count {
                    Command::new("bash").args(["-c", TRIVIAL]).status().unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    started.elapsed()
}

/// Milliseconds per start of `/bin/true`, bare and sandboxed, over `n` starts one at a time.
async fn spawn_cost(n: u32) -> (f64, f64) {
    use server::engine::sandbox::{Readiness, Sandbox, SandboxSettings, Spec, cgroup::Limits, thread_join};
    let data = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxSettings::default(), data.path()).await;
    assert_eq!(*sandbox.readiness(), Readiness::Isolated, "the sandbox must work here");
    let argv = ["/bin/true".to_owned()];
    let started = Instant::now();
    for _ in 0..n {
        Command::new("/bin/true").status().unwrap();
    }
    let bare = started.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
    let started = Instant::now();
    for _ in 0..n {
        let prepared = sandbox
            .prepare(Spec {
                argv: &argv,
                env: &[],
                entries: Vec::new(),
                cwd: "/".into(),
                host_cwd: "/".into(),
                terminal: false,
                limits: Limits { memory_bytes: Some(1 << 30), cpu_milli: Some(1000) },
                tags: Vec::new(),
            })
            .unwrap();
        let join = prepared.thread_join.as_ref();
        let mut child = thread_join::while_inside(join, || prepared.command().spawn()).unwrap().unwrap();
        assert!(child.wait().unwrap().success());
        if let Some(group) = prepared.group {
            group.release();
        }
    }
    let sandboxed = started.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
    (bare, sandboxed)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (bare, sandboxed) = spawn_cost(200).await;
    println!(
        "starting /bin/true: bare {bare:.2} ms, sandboxed {sandboxed:.2} ms, isolation {:.2} ms per task",
        sandboxed - bare
    );
    for (title, env) in [("isolated tasks (default)", vec![]), ("CUBIST_SANDBOX=off", vec![("CUBIST_SANDBOX", "off")])]
    {
        println!("\n{title}");
        let data = tempfile::tempdir().unwrap();
        let (mut server, base) = start_server(data.path(), &env);
        run_dags(base).await;
        println!("server peak memory (VmHWM): {:.1} MB", peak_rss_mb(server.id()));
        let _ = server.kill();
        let _ = server.wait();
    }
}

/// Runs the four DAGs through the server at `base` and prints a line for each.
async fn run_dags(base: String) {
    let api = Api::admin(base).await;
    let shell = api.shell_template().await;
    let projects = api.get("/api/v1/projects?kind=org").await;
    let public = projects["items"][0]["id"].clone();

    println!("{:<24} {:>6} {:>12} {:>12} {:>16}", "DAG", "tasks", "run (ms)", "bare (ms)", "overhead/task");
    for (label, n, fan_out, parallelism) in [
        ("single task", 1, false, 1),
        ("chain of 20", 20, false, 1),
        ("fan-out 100 + join", 101, true, 2),
        ("fan-out 1,000", 1000, true, 2),
    ] {
        let names: Vec<String> = (0..n).map(|i| format!("t{i:04}")).collect();
        let tasks: Vec<Value> =
            names.iter().map(|name| json!({"name": name, "template_id": shell, "args": {"script": TRIVIAL}})).collect();
        let mut dag = serde_json::Map::new();
        for (i, name) in names.iter().enumerate().skip(1) {
            let ups: Vec<&String> = match (fan_out, n == 101 && i == n - 1) {
                (true, true) => names[1..n - 1].iter().collect(),
                (true, false) if n == 101 => vec![&names[0]],
                (true, false) => vec![],
                (false, _) => vec![&names[i - 1]],
            };
            dag.insert(name.clone(), json!(ups));
        }
        let body = json!({"pipeline": {"project_id": public, "name": format!("bench-{n}"), "parallelism": parallelism, "dag": dag}, "tasks": tasks});
        let created = api.post("/api/v1/pipelines", &body).await;
        let id = created["pipeline"]["id"].as_i64().unwrap();
        let submitted = Instant::now();
        let run = api.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
        let run_id = run["run_id"].as_str().unwrap().to_owned();
        loop {
            let runs = api.get(&format!("/api/v1/pipelines/{id}/runs?page_size=1")).await;
            if !["pending", "running"].contains(&runs["items"][0]["status"].as_str().unwrap_or_default()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let detail = api.get(&format!("/api/v1/runs/{run_id}")).await;
        assert_eq!(detail["run"]["status"], "succeeded", "{label}");
        let parse = |key: &str| chrono::DateTime::parse_from_rfc3339(detail["run"][key].as_str().unwrap()).unwrap();
        let server_ms = (parse("finished_at") - parse("created_at")).num_microseconds().unwrap() as f64 / 1000.0;
        let client_ms = submitted.elapsed().as_secs_f64() * 1000.0;
        let bare_ms = bare(n, parallelism).as_secs_f64() * 1000.0;
        println!(
            "{label:<24} {n:>6} {server_ms:>12.1} {bare_ms:>12.1} {:>13.2} ms   (client saw {client_ms:.0} ms)",
            (server_ms - bare_ms) / n as f64
        );
    }
}
