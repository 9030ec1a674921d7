//! Templated task fields cannot exhaust the server: a template that would grow without
//! bound is refused with a 422 naming the field, on a run, a single-task run and a debug
//! shell alike, and the server answers as before.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;
use common::runs::{public_project, shell_step, shell_template};

fn refused_for_size(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(common::error_fields(body).iter().any(|f| f.contains("global_env")), "{body}");
    assert!(body["error"]["details"].to_string().contains("more than 256 KiB"), "{body}");
}

on_both_backends!(a_template_growing_without_bound_is_refused_everywhere_it_renders, async |app: TestApp| {
    let admin = app.admin().await;
    let doubling = format!("BIG={{% set s = 'xxxxxxxx' %}}{}{{{{ s }}}}", "{% set s = s ~ s %}".repeat(48));
    let shell = shell_template(&admin).await;
    let project = public_project(&admin).await;
    let body = json!({
        "pipeline": {"project_id": project, "name": "doubling", "global_env": doubling},
        "tasks": [shell_step(&shell, ("echo", "echo $BIG", 0, 0, false))],
    });
    let (status, created) = admin.post("/api/v1/pipelines", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["pipeline"]["id"].as_i64().unwrap();
    let task = created["tasks"][0]["id"].as_i64().unwrap();

    let started = std::time::Instant::now();
    let (status, body) = admin.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    refused_for_size(status, &body);
    let (status, body) = admin.post(&format!("/api/v1/tasks/{task}/run"), &json!({})).await;
    refused_for_size(status, &body);
    let (status, body) = admin.get(&format!("/api/v1/tasks/{task}/debug")).await;
    refused_for_size(status, &body);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused at once, not after growing");
    let (status, _) = admin.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
});
