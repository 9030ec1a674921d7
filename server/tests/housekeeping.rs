//! Housekeeping: runs (with their logs), audit rows and notifications older than their
//! retention go; recent ones stay.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Backend, TestApp};

on_both_databases!(rows_past_their_retention_are_removed_recent_ones_stay, retention);

async fn retention(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.scheduler.tick = Duration::from_millis(100);
        // Slower than the test's set-up: the old rows are all there when it first looks.
        c.scheduler.housekeeping = Duration::from_millis(300);
        c.scheduler.retain_runs_days = 30;
        c.scheduler.retain_audit_days = 30;
        c.scheduler.retain_notifications_days = 30;
    })
    .await;
    let ann = app.user("ann").await;
    let id = common::runs::pipeline(&ann, "kept", &[("step", "echo hi", 0, 0, false)], json!({}), 1).await;
    let recent = common::runs::start(&ann, id).await;
    common::runs::finished(&ann, &recent).await;

    let old_id = "00000000000000000000000000000001";
    let long_ago = server::db::now() - chrono::Duration::days(40);
    let old_run = server::db::runs::NewRun {
        run_id: old_id,
        pipeline_id: id,
        task_id: None,
        kind: "manual",
        status: "succeeded",
        runner_id: None,
        plan: "{}",
        dag: "{}",
        layout: "{}",
        created_at: long_ago,
        cluster: "local",
        namespace: "",
        execution_date: None,
    };
    let me: Value = ann.get_as("/api/v1/me").await;
    let ann_id = me["user"]["id"].as_i64().unwrap();
    let audit = server::db::audit::NewAuditRow {
        at: long_ago,
        user_id: None,
        username: Some("ann".into()),
        method: "POST".into(),
        path: "/api/v1/long-ago".into(),
        permission: None,
        status: 200,
        outcome: "ok".into(),
        duration_ms: 1,
        client_ip: None,
        changes: "[]".into(),
    };
    let old_message = server::db::notifications::NewNotification {
        user_id: ann_id,
        subject: "long ago",
        body: "",
        link: "",
        source: "test:old",
        created_at: long_ago,
    };
    let mut conn = app.state.db.write().await.unwrap();
    let old_pk = server::db::runs::insert(&mut conn.tx(), &old_run, Vec::new()).await.unwrap();
    let ended = server::db::runs::RunChanges { finished_at: Some(Some(long_ago)), ..Default::default() };
    server::db::runs::update_run(&mut conn.tx(), old_pk, &ended).await.unwrap();
    server::db::audit::insert(&mut conn.tx(), &audit).await.unwrap();
    server::db::notifications::notify(&mut conn.tx(), &old_message).await.unwrap();
    drop(conn);
    let old_logs = app.data_dir.join("runs").join(old_id).join("logs");
    std::fs::create_dir_all(&old_logs).unwrap();
    std::fs::write(old_logs.join("step.1.log"), "old output").unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = ann.get(&format!("/api/v1/runs/{old_id}")).await;
        let inbox: Value = ann.get_as("/api/v1/me/notifications").await;
        if status == StatusCode::NOT_FOUND && inbox["total"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "old rows stayed: run {status}, inbox {inbox}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!old_logs.exists(), "the old run's logs went with it");
    let (status, _) = ann.get(&format!("/api/v1/runs/{recent}")).await;
    assert_eq!(status, StatusCode::OK, "a recent run stays");
    let (status, _) = ann.get(&format!("/api/v1/runs/{recent}/tasks/step/logs")).await;
    assert_eq!(status, StatusCode::OK);
    let log: Value = app.admin().await.get_as("/api/v1/audit-log?page_size=200").await;
    let paths: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|r| r["path"].as_str()).collect();
    assert!(!paths.contains(&"/api/v1/long-ago"), "old audit rows go");
    assert!(!paths.is_empty(), "recent audit rows stay");
    let jobs: Value = app.admin().await.get_as("/api/v1/background-jobs").await;
    let job = jobs.as_array().unwrap().iter().find(|j| j["name"] == "housekeeping").unwrap().clone();
    assert_eq!(job["last_error"], "", "{job}");
}
