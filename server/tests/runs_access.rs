//! Who sees, starts and deletes runs; and what the local engine does beyond ordering: cancel
//! ends the whole process group, mounts are folders of the data dir, CPU time is measured,
//! retries back off; manual runs leave the schedule's runs alone.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;
use common::runs::{finished, pipeline, pipeline_in, shell_step, shell_template, start, task, wait_for_file};

on_both_backends!(runs_are_seen_started_and_deleted_only_by_those_allowed, async |app: TestApp| {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let (status, team) = ann.post("/api/v1/projects", &json!({"name": "team-a", "kind": "org"})).await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let shell = shell_template(&ann).await;
    let steps = vec![shell_step(&shell, ("hi", "echo hi", 0, 0, false))];
    let id = pipeline_in(&ann, &team["id"], "private", steps, json!({})).await;
    let run_id = start(&ann, id).await;
    assert_eq!(finished(&ann, &run_id).await["run"]["status"], "succeeded");
    let tasks: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/tasks")).await;
    let hi = tasks[0]["id"].as_i64().unwrap();

    let (status, _) = bob.get(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a non-member does not see the run");
    let (status, _) = bob.get(&format!("/api/v1/runs/{run_id}/tasks/hi/logs")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let all: Value = bob.get_as("/api/v1/runs").await;
    assert!(all["items"].as_array().unwrap().iter().all(|r| r["run_id"] != run_id.as_str()), "{all}");
    let (status, _) = bob.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = bob.post(&format!("/api/v1/tasks/{hi}/run"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let member = json!({"username": "bob", "role": "dev"});
    let (status, _) = ann.post(&format!("/api/v1/projects/{}/members", team["id"]), &member).await;
    assert_eq!(status, StatusCode::CREATED);
    let listed: Value = bob.get_as("/api/v1/runs").await;
    assert_eq!(listed["items"][0]["run_id"], run_id.as_str(), "members see the project's runs");
    let (status, _) = bob.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member who may not change the pipeline does not run it");
    let (status, _) = bob.post(&format!("/api/v1/tasks/{hi}/run"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bob.delete(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let run_dir = app.data_dir.join("runs").join(&run_id);
    assert!(run_dir.exists());
    let (status, _) = ann.delete(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = ann.get(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a deleted run is gone, record and all");
    assert!(!run_dir.exists(), "its folder with logs and scratch is removed");
    let listed: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/runs")).await;
    assert_eq!(listed["total"], 0);
});

on_both_backends!(cancel_ends_the_process_group, async |app: TestApp| {
    let ann = app.user("ann").await;
    let steps = [("sleeper", "sleep 60 & echo $! > bg.pid; sleep 60", 0, 0, false)];
    let id = pipeline(&ann, "cancelled", &steps, json!({}), 1).await;
    let run_id = start(&ann, id).await;
    let background = wait_for_file(&app.data_dir.join("runs").join(&run_id).join("work").join("bg.pid")).await;
    let background = common::host_pid(&run_id, &background).await;
    assert!(common::process_alive(&background));
    let (status, detail) = ann.post(&format!("/api/v1/runs/{run_id}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(task(&detail, "sleeper")["status"], "cancelled");
    common::process_gone(&background).await;
});

on_both_backends!(mounts_cpu_time_and_retry_backoff, async |app: TestApp| {
    let ann = app.user("ann").await;
    let shell = shell_template(&ann).await;
    let burn = "python3 -c 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass'";
    let mut busy = shell_step(&shell, ("busy", &format!("{burn}; pwd > where.txt"), 0, 0, false));
    busy["workdir"] = json!("/data/{{creator}}/project");
    busy["volume_mount"] = json!("ws(pvc):/data,common(pvc-share):/share");
    let mut shared = shell_step(&shell, ("shared", "echo shared > note.txt", 0, 0, false));
    shared["workdir"] = json!("/share/notes");
    shared["volume_mount"] = json!("common(pvc-share):/share");
    let flaky = shell_step(&shell, ("flaky", "date +%s%N >> tries.txt; exit 1", 2, 0, false));
    let public = common::runs::public_project(&ann).await;
    let id = pipeline_in(&ann, &public, "mounted", vec![busy, shared, flaky], json!({})).await;
    let run_id = start(&ann, id).await;
    let detail = finished(&ann, &run_id).await;
    assert_eq!(task(&detail, "busy")["status"], "succeeded", "{detail}");

    let volumes = app.data_dir.join("volumes");
    let home = volumes.join("users").join("ws").join("ann").join("ann").join("project");
    assert_eq!(
        std::fs::read_to_string(home.join("where.txt")).unwrap().trim(),
        "/data/ann/project",
        "the task works at its mount path, which is the creator's folder of the claim in the data dir"
    );
    assert_eq!(
        std::fs::read_to_string(volumes.join("shared").join("common").join("notes").join("note.txt")).unwrap(),
        "shared\n",
        "a pvc-share mount is the claim's folder, shared by all"
    );
    let attempt = &task(&detail, "busy")["attempts"][0];
    let cpu = attempt["cpu_ms"].as_u64().unwrap();
    assert!((350..5_000).contains(&cpu), "CPU time measured: {attempt}");
    assert!(attempt["wall_ms"].as_u64().unwrap() >= 400, "{attempt}");

    let flaky = task(&detail, "flaky");
    assert_eq!(flaky["status"], "failed");
    assert_eq!(flaky["attempts"].as_array().unwrap().len(), 3);
    let tries: Vec<u128> =
        common::runs::work_file(&app, &run_id, "tries.txt").lines().map(|l| l.parse().unwrap()).collect();
    let gaps: Vec<u128> = tries.windows(2).map(|w| (w[1] - w[0]) / 1_000_000).collect();
    assert!(gaps[0] >= 450, "the first retry waits the backoff: {gaps:?} ms");
    assert!(gaps[1] >= 950 && gaps[1] > gaps[0], "the wait doubles: {gaps:?} ms");
});

on_both_backends!(a_manual_run_leaves_scheduled_runs_alone, async |app: TestApp| {
    let ann = app.user("ann").await;
    let id = pipeline(&ann, "nightly", &[("tick", "echo tick", 0, 0, false)], json!({}), 1).await;
    // A run of the schedule, written as the scheduler writes its runs.
    let scheduled = server::db::runs::NewRun {
        run_id: "0123456789abcdef0123456789abcdef",
        pipeline_id: id,
        task_id: None,
        kind: "scheduled",
        status: "succeeded",
        runner_id: None,
        plan: "{}",
        dag: "{}",
        layout: "{}",
        created_at: server::db::now(),
        cluster: "local",
        namespace: "",
        execution_date: None,
    };
    let mut conn = app.state.db.write().await.unwrap();
    server::db::runs::insert(&mut conn.tx(), &scheduled, Vec::new()).await.unwrap();
    drop(conn);

    for _ in 0..2 {
        let run_id = start(&ann, id).await;
        finished(&ann, &run_id).await;
    }
    let listed: Value = ann.get_as(&format!("/api/v1/runs?pipeline_id={id}&kind=scheduled")).await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["items"][0]["status"], "succeeded", "manual runs never clear the schedule's runs");
    let manual: Value = ann.get_as(&format!("/api/v1/runs?pipeline_id={id}&kind=manual&status=deleted")).await;
    assert_eq!(manual["total"], 1, "the first manual run was cleared by the second: {manual}");
});
