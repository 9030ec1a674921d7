//! The preview of what a run would submit: the Workflow of the pipeline as it is now, for
//! those who may run it, and one the real API server accepts.

#![allow(clippy::unwrap_used)]

mod common;

use cubist_kube::argo::Workflow;
use cubist_kube::testenv;
use kube::Api;
use kube::api::{Patch, PatchParams, ValidationDirective};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;
use common::runs::pipeline;

on_both_backends!(a_run_can_be_previewed_as_the_workflow_it_would_submit, async |app: TestApp| {
    let ann = app.user("ann").await;
    let steps = [("fetch", "echo fetch", 2, 60, false), ("train", "echo train", 0, 0, true)];
    let id = pipeline(&ann, "nightly-train", &steps, json!({"train": ["fetch"]}), 2).await;
    let (status, preview) = ann.get(&format!("/api/v1/pipelines/{id}/workflow")).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["kind"], "Workflow");
    assert_eq!(preview["metadata"]["namespace"], "pipeline");
    assert_eq!(preview["metadata"]["labels"]["pipeline-id"], id.to_string());
    let dag = &preview["spec"]["templates"][0]["dag"]["tasks"];
    assert_eq!(dag[1]["dependencies"], json!(["fetch"]));
    assert_eq!(dag[1]["when"], "false", "a skipped task is skipped there too");
    let fetch = preview["spec"]["templates"].as_array().unwrap().iter().find(|t| t["name"] == "task-fetch").unwrap();
    assert_eq!(fetch["retryStrategy"]["limit"], 2);
    assert_eq!(fetch["activeDeadlineSeconds"], 60);
    assert_eq!(fetch["container"]["args"], json!(["-c", "echo fetch"]));

    let (status, body) = app.user("eve").await.get(&format!("/api/v1/pipelines/{id}/workflow")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a fellow member who may not run it may not preview it: {body}");
    let runs: Value = ann.get_as(&format!("/api/v1/runs?pipeline_id={id}")).await;
    assert_eq!(runs["total"], 0, "a preview runs nothing");

    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "preview").await.unwrap();
    let mut workflow: Workflow = serde_json::from_value(preview).unwrap();
    workflow.metadata.namespace = Some(namespace.clone());
    let name = workflow.metadata.name.clone().unwrap();
    let strict = PatchParams {
        dry_run: true,
        field_validation: Some(ValidationDirective::Strict),
        ..PatchParams::apply("cubist")
    };
    let accepted =
        Api::<Workflow>::namespaced(client, &namespace).patch(&name, &strict, &Patch::Apply(&workflow)).await;
    assert!(accepted.is_ok(), "{accepted:?}");
});
