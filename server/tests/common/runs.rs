//! Pipelines of the seeded `shell` template for run tests: creating, starting and waiting.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Client, TestApp};

/// A task of the seeded `shell` template: (name, script, retries, timeout, skip).
pub type Step<'a> = (&'a str, &'a str, u32, u32, bool);

/// The id of the seeded `shell` template.
pub async fn shell_template(client: &Client) -> Value {
    let templates: Value = client.get_as("/api/v1/job-templates?page_size=200").await;
    templates["items"].as_array().unwrap().iter().find(|t| t["name"] == "shell").unwrap()["id"].clone()
}

/// The id of project `public`.
pub async fn public_project(client: &Client) -> Value {
    let projects: Value = client.get_as("/api/v1/projects?kind=org").await;
    projects["items"].as_array().unwrap().iter().find(|p| p["name"] == "public").unwrap()["id"].clone()
}

/// A task body of the `shell` template.
pub fn shell_step(template: &Value, (name, script, retries, timeout, skip): Step<'_>) -> Value {
    json!({"name": name, "template_id": template, "args": {"script": script}, "retries": retries, "timeout": timeout, "skip": skip})
}

/// Creates a pipeline of `tasks` in `project`; returns its id.
pub async fn pipeline_in(client: &Client, project: &Value, name: &str, tasks: Vec<Value>, dag: Value) -> i64 {
    create(client, json!({"project_id": project, "name": name, "dag": dag, "parallelism": 1}), tasks).await
}

pub async fn create(client: &Client, pipeline: Value, tasks: Vec<Value>) -> i64 {
    let body = json!({"pipeline": pipeline, "tasks": tasks});
    let (status, created) = client.post("/api/v1/pipelines", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["pipeline"]["id"].as_i64().unwrap()
}

/// Creates a pipeline of `shell` steps in project `public`; returns its id.
pub async fn pipeline(client: &Client, name: &str, steps: &[Step<'_>], dag: Value, parallelism: u32) -> i64 {
    let shell = shell_template(client).await;
    let tasks: Vec<Value> = steps.iter().map(|step| shell_step(&shell, *step)).collect();
    let project = public_project(client).await;
    create(client, json!({"project_id": project, "name": name, "dag": dag, "parallelism": parallelism}), tasks).await
}

/// Starts a manual run; returns its run id.
pub async fn start(client: &Client, id: i64) -> String {
    let (status, run) = client.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    run["run_id"].as_str().unwrap().to_owned()
}

/// Polls the run until it ends (tests only; the engine itself never polls).
pub async fn finished(client: &Client, run_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let detail: Value = client.get_as(&format!("/api/v1/runs/{run_id}")).await;
        let status = detail["run"]["status"].as_str().unwrap().to_owned();
        if !["pending", "running"].contains(&status.as_str()) {
            return detail;
        }
        assert!(Instant::now() < deadline, "run did not finish: {detail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The task `name` of a run's detail.
pub fn task<'a>(detail: &'a Value, name: &str) -> &'a Value {
    detail["tasks"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()
}

/// A file of the run's shared work folder ("" when missing).
pub fn work_file(app: &TestApp, run_id: &str, file: &str) -> String {
    std::fs::read_to_string(app.data_dir.join("runs").join(run_id).join("work").join(file)).unwrap_or_default()
}

/// Waits until `path` holds some text, and returns it trimmed.
pub async fn wait_for_file(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if !text.trim().is_empty() {
            return text.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
