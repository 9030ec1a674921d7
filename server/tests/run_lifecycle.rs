//! Runs never outlive their pipeline, and two starts at one instant leave one run.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;
use common::runs::{pipeline, start, wait_for_file};

on_both_backends!(deleting_a_pipeline_stops_and_removes_its_runs, async |app: TestApp| {
    let ann = app.user("ann").await;
    let id = pipeline(&ann, "doomed", &[("long", "echo $$ > pid.txt; sleep 60", 0, 0, false)], json!({}), 1).await;
    let run_id = start(&ann, id).await;
    let run_dir = app.data_dir.join("runs").join(&run_id);
    let inner = wait_for_file(&run_dir.join("work").join("pid.txt")).await;
    let pid = common::host_pid(&run_id, &inner).await;

    let (status, body) = ann.delete(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    common::process_gone(&pid).await;
    assert!(!run_dir.exists(), "the run's folder and logs went with it");
    let (status, _) = ann.get(&format!("/api/v1/runs/{run_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

on_both_backends!(two_manual_runs_at_one_instant_leave_one_running, async |app: TestApp| {
    let ann = app.user("ann").await;
    let id = pipeline(&ann, "raced", &[("long", "sleep 30", 0, 0, false)], json!({}), 1).await;
    let path = format!("/api/v1/pipelines/{id}/runs");
    let nothing = json!({});
    for round in 0..4 {
        let (first, second) = tokio::join!(ann.post(&path, &nothing), ann.post(&path, &nothing));
        let statuses = [first.0, second.0];
        assert!(statuses.contains(&StatusCode::CREATED), "round {round}: {first:?} {second:?}");
        for (status, body) in [&first, &second] {
            if *status != StatusCode::CREATED {
                assert_eq!(*status, StatusCode::CONFLICT, "round {round}: {body}");
                assert_eq!(common::error_code(body), "conflict");
            }
        }
        let runs: Value = ann.get_as(&format!("/api/v1/runs?pipeline_id={id}&page_size=100")).await;
        let active: Vec<&Value> = runs["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "pending" || r["status"] == "running")
            .collect();
        assert_eq!(active.len(), 1, "round {round}: {runs}");
    }
    let (status, _) = ann.delete(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
});
