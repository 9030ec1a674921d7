//! Objects are created on a cluster at most at the configured rate: runs beyond it wait
//! their turn (and are created, not refused), on the real test control plane.

#![allow(clippy::unwrap_used)]

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use std::num::NonZeroU32;
use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::engine::cluster::create_rate::CreateRate;

use common::Backend;

on_both_databases!(runs_beyond_the_clusters_create_rate_wait_their_turn, rated_runs);

async fn rated_runs(backend: Backend) {
    let two = NonZeroU32::new(2).unwrap();
    let (app, _kube, namespace) = cluster::setup_with(backend, "cluster-rate", |c| {
        c.cluster_create_rate = CreateRate { per_second: two, burst: two };
    })
    .await;
    let admin = app.admin().await;
    let project = cluster::project_on("testenv", &admin, &namespace).await;
    let mut pipelines = Vec::new();
    for i in 0..6 {
        pipelines.push(cluster::pipeline_in(&admin, &project, &format!("rated-{i}"), &["step"]).await);
    }
    let started = Instant::now();
    let mut runs: Vec<Value> = Vec::new();
    for id in &pipelines {
        let (status, run) = admin.post(&format!("/api/v1/pipelines/{id}/runs"), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        runs.push(run);
    }
    let took = started.elapsed();
    // Two at once, then one every half second: the sixth Workflow is made 2 s after the first.
    assert!(took.as_secs_f64() >= 1.9, "six runs were created in {took:?} at two per second");
    for run in &runs {
        let detail: Value = admin.get_as(&format!("/api/v1/runs/{}", run["run_id"].as_str().unwrap())).await;
        assert_ne!(detail["run"]["status"], "failed", "none is refused: {detail}");
    }
}
