//! Running pipelines on the local engine with real processes: order, parallelism, retries,
//! timeouts, cancel, skip, failure propagation, logs, usage, manual-run replacement,
//! single-task runs and visibility.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;
use common::runs::{Step, finished, pipeline, start, task, work_file};

on_both_backends!(order_logs_usage_skip_and_parallelism, async |app: TestApp| {
    let ann = app.user("ann").await;
    let steps: &[Step] = &[
        ("first", "echo first >> order.txt; echo 'hello from first'", 0, 0, false),
        ("skipped", "echo skipped >> order.txt", 0, 0, true),
        ("second", "echo second >> order.txt; python3 -c 'x = bytearray(30_000_000); print(len(x))'", 0, 0, false),
        ("third", "echo third >> order.txt; echo oops >&2", 0, 0, false),
    ];
    let id =
        pipeline(&ann, "chain", steps, json!({"skipped": ["first"], "second": ["skipped"], "third": ["second"]}), 1)
            .await;
    let run_id = start(&ann, id).await;
    assert_eq!(run_id.len(), 32);
    let detail = finished(&ann, &run_id).await;
    assert_eq!(detail["run"]["status"], "succeeded", "{detail}");
    assert_eq!(work_file(&app, &run_id, "order.txt"), "first\nsecond\nthird\n", "dependency order; skip not run");
    assert_eq!(task(&detail, "skipped")["status"], "skipped");
    let second = &task(&detail, "second")["attempts"][0];
    assert!(second["max_rss_kb"].as_u64().unwrap() > 30_000, "peak memory measured: {second}");
    assert!(second["wall_ms"].as_u64().unwrap() > 0);
    let (status, log) = ann.get(&format!("/api/v1/runs/{run_id}/tasks/first/logs")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(log, "hello from first\n");
    let (_, log) = ann.get(&format!("/api/v1/runs/{run_id}/tasks/third/logs?tail=1")).await;
    assert_eq!(log, "oops", "stderr is captured too");

    // Four one-second-ish tasks, two at a time: never more than two overlap.
    let script = "echo \"start $(date +%s%N)\" >> times.txt; sleep 0.3; echo \"end $(date +%s%N)\" >> times.txt";
    let wide: Vec<Step> = ["ta", "tb", "tc", "td"].iter().map(|n| (*n, script, 0, 0, false)).collect();
    let id = pipeline(&ann, "wide", &wide, json!({}), 2).await;
    let run_id = start(&ann, id).await;
    assert_eq!(finished(&ann, &run_id).await["run"]["status"], "succeeded");
    let mut events: Vec<(u128, i32)> = work_file(&app, &run_id, "times.txt")
        .lines()
        .map(|l| {
            let (kind, t) = l.split_once(' ').unwrap();
            (t.parse().unwrap(), if kind == "start" { 1 } else { -1 })
        })
        .collect();
    events.sort_by_key(|(t, d)| (*t, *d));
    let peak = events
        .iter()
        .scan(0, |n, (_, d)| {
            *n += d;
            Some(*n)
        })
        .max()
        .unwrap();
    assert_eq!(peak, 2, "parallelism 2 is used and not exceeded");

    // The clean-up removes finished runs' scratch folders, keeping records and logs.
    let work = app.data_dir.join("runs").join(&run_id).join("work");
    assert!(work.exists());
    let removed = server::engine::cleanup::sweep(&app.state.db, &app.state.engines.local, chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(removed, 2);
    assert!(!work.exists());
    let (status, log) = ann.get(&format!("/api/v1/runs/{run_id}/tasks/ta/logs")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(log, "", "the log (empty: output went to times.txt) is still served");
    let kept: Value = ann.get_as(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(kept["run"]["status"], "succeeded");
});

on_both_backends!(retries_timeouts_and_failure_propagation, async |app: TestApp| {
    let ann = app.user("ann").await;
    let steps: &[Step] = &[
        ("flaky", "if [ -f tried ]; then echo ok; else touch tried; exit 3; fi", 1, 0, false),
        ("slow", "sleep 30 & echo $! > orphan.pid; sleep 30", 0, 1, false),
        ("after-slow", "echo never", 0, 0, false),
        ("independent", "echo fine", 0, 0, false),
    ];
    let id = pipeline(&ann, "mixed", steps, json!({"after-slow": ["slow"]}), 4).await;
    let started = Instant::now();
    let run_id = start(&ann, id).await;
    let detail = finished(&ann, &run_id).await;
    assert!(started.elapsed() < Duration::from_secs(10), "the timeout stopped the slow task");
    assert_eq!(detail["run"]["status"], "failed");
    let flaky = task(&detail, "flaky");
    assert_eq!(flaky["status"], "succeeded", "{flaky}");
    assert_eq!(flaky["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(flaky["attempts"][0]["exit_code"], 3);
    let slow = task(&detail, "slow");
    assert_eq!(slow["status"], "failed");
    assert!(slow["message"].as_str().unwrap().contains("timed out"), "{slow}");
    let orphan = work_file(&app, &run_id, "orphan.pid");
    assert!(orphan.trim().parse::<u32>().is_ok(), "the background job started: {orphan}");
    let marker = format!("KFJ_RUN_ID={run_id}");
    let left = std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).any(|entry| {
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        common::process_alive(&entry.file_name().to_string_lossy())
            && environ.split(|b| *b == 0).any(|var| var == marker.as_bytes())
    });
    assert!(!left, "every process of the timed-out task was killed, its background job too");
    assert_eq!(task(&detail, "after-slow")["status"], "cancelled", "downstream of a failure does not run");
    assert_eq!(task(&detail, "independent")["status"], "succeeded", "independent branches go on");
});

on_both_backends!(cancel_and_manual_runs_replace_each_other, async |app: TestApp| {
    let ann = app.user("ann").await;
    let steps: &[Step] = &[("wait", "sleep 30", 0, 0, false), ("later", "echo later", 0, 0, false)];
    let id = pipeline(&ann, "long", steps, json!({"later": ["wait"]}), 1).await;
    let first = start(&ann, id).await;
    let (status, cancelled) = ann.post(&format!("/api/v1/runs/{first}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["run"]["status"], "cancelled");
    assert_eq!(task(&cancelled, "later")["status"], "cancelled");

    let second = start(&ann, id).await;
    let tasks: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/tasks")).await;
    let wait_id = tasks[0]["id"].as_i64().unwrap();
    let (status, single) = ann.post(&format!("/api/v1/tasks/{wait_id}/run"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{single}");
    assert_eq!(single["run_id"], format!("run-{id}-{wait_id}"));
    let third = start(&ann, id).await;
    let old: Value = ann.get_as(&format!("/api/v1/runs/{second}")).await;
    assert_eq!(old["run"]["status"], "deleted", "a manual run clears the previous manual run, keeping its record");
    let single: Value = ann.get_as(&format!("/api/v1/runs/run-{id}-{wait_id}")).await;
    assert_eq!(single["run"]["status"], "running", "single-task runs are not cleared by manual runs");
    let listed: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/runs")).await;
    assert_eq!(listed["total"], 4);
    let single_runs: Value = ann.get_as(&format!("/api/v1/runs?pipeline_id={id}&kind=task")).await;
    assert_eq!(single_runs["total"], 1, "{single_runs}");
    assert_eq!(single_runs["items"][0]["run_id"], format!("run-{id}-{wait_id}"));
    let scheduled: Value = ann.get_as(&format!("/api/v1/runs?pipeline_id={id}&kind=scheduled")).await;
    assert_eq!(scheduled["total"], 0);
    let (status, err) = ann.get("/api/v1/runs?kind=hourly").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(common::error_fields(&err), ["kind"]);

    // A pipeline that cannot be planned is refused without stopping the run in flight.
    let later = tasks[1].clone();
    let mut broken = later.clone();
    broken["args"] = json!({"script": "echo {{ oops"});
    let (status, _) = ann.put(&format!("/api/v1/pipelines/{id}/tasks/{}", later["id"]), &broken).await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = ann.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(common::error_fields(&err), ["tasks.later.args"]);
    let still: Value = ann.get_as(&format!("/api/v1/runs/{third}")).await;
    assert_eq!(still["run"]["status"], "running");

    let bob = app.user("bob").await;
    let (status, _) = bob.get(&format!("/api/v1/runs/{third}")).await;
    assert_eq!(status, StatusCode::OK, "public's members see its runs");
    let (status, _) = bob.post(&format!("/api/v1/runs/{third}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only who may change the pipeline cancels its runs");
    let (status, _) = ann.delete(&format!("/api/v1/runs/{third}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a running run is cancelled before it is deleted");
    let (status, _) = ann.post(&format!("/api/v1/runs/{third}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = bob.post(&format!("/api/v1/tasks/{wait_id}/clear"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = ann.post(&format!("/api/v1/tasks/{wait_id}/clear"), &json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let single: Value = ann.get_as(&format!("/api/v1/runs/run-{id}-{wait_id}")).await;
    assert_eq!(single["run"]["status"], "deleted", "clear stops the single-task run and keeps its record");
    assert!(!app.data_dir.join("runs").join(format!("run-{id}-{wait_id}")).join("work").exists());
    let (status, log) = ann.get(&format!("/api/v1/tasks/{wait_id}/logs")).await;
    assert_eq!((status, log), (StatusCode::OK, Value::String(String::new())), "the (empty) log stays readable");
});

on_both_backends!(live_logs_stream_while_the_task_runs, async |app: TestApp| {
    let ann = app.user("ann").await;
    let steps: &[Step] =
        &[("talker", "for i in 1 2 3 4; do echo line-$i; sleep 0.25; done; echo oops >&2; exit 1", 1, 0, false)];
    let id = pipeline(&ann, "talk", steps, json!({}), 1).await;
    let run_id = start(&ann, id).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let detail: Value = ann.get_as(&format!("/api/v1/runs/{run_id}")).await;
        if task(&detail, "talker")["status"] == "running" {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = ann.get(&format!("/api/v1/runs/{run_id}/tasks/talker/logs/stream")).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().unwrap();
    for line in ["line-1", "line-2", "line-3", "line-4", "oops"] {
        assert_eq!(text.matches(&format!("data: {line}")).count(), 2, "{line} once per attempt:\n{text}");
    }
    assert!(text.contains("event: attempt\ndata: 2"), "the retry is announced:\n{text}");
    let detail = finished(&ann, &run_id).await;
    assert_eq!(task(&detail, "talker")["attempts"].as_array().unwrap().len(), 2);
    let (_, after) = ann.get(&format!("/api/v1/runs/{run_id}/tasks/talker/logs/stream")).await;
    assert_eq!(after.as_str().unwrap().matches("data: line-").count(), 4, "a finished task's stream is its last log");

    // A task still waiting for its upstream is followed from its first byte once it starts.
    let steps: &[Step] = &[("first", "sleep 0.5", 0, 0, false), ("second", "echo from-second", 0, 0, false)];
    let chain = pipeline(&ann, "chain", steps, json!({"second": ["first"]}), 1).await;
    let chained = start(&ann, chain).await;
    let (status, body) = ann.get(&format!("/api/v1/runs/{chained}/tasks/second/logs/stream")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_str().unwrap().matches("data: from-second").count(), 1, "{body}");

    let tasks: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/tasks")).await;
    let talker = tasks[0]["id"].as_i64().unwrap();
    let (status, single) = ann.post(&format!("/api/v1/tasks/{talker}/run"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{single}");
    finished(&ann, single["run_id"].as_str().unwrap()).await;
    let (status, body) = ann.get(&format!("/api/v1/tasks/{talker}/logs/stream")).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(text.contains("data: line-1") && text.contains("data: oops"), "the single-task run's output:\n{text}");
});
