//! Runs on the real control plane, followed through one watch: a pipeline to its end, a
//! stopped one cancelled and cleared, a failing task retried with backoff.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use app::model::RunStatus;
use cubist_kube::argo::{Backoff, RetryStrategy, Workflow};
use cubist_kube::run_state::{RunState, run_state};
use cubist_kube::testenv;
use cubist_kube::workflow::{self, RUN_LABEL};
use cubist_kube::{pod_logs, workflows};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kube::api::ListParams;
use kube::{Api, Client};

/// Follows the watch until `done` holds for the run's state; returns that state.
async fn follow(client: &Client, workflow: &Workflow, tasks: &[String], done: impl Fn(&RunState) -> bool) -> RunState {
    let (name, namespace) = (workflow.metadata.name.clone(), workflow.metadata.namespace.clone());
    let mut events = workflows::watch(client);
    let wait = async {
        while let Some(event) = events.next().await {
            let Ok(workflows::WorkflowEvent::Changed(seen)) = event else { continue };
            if seen.metadata.name == name && seen.metadata.namespace == namespace {
                let state = run_state(&seen, tasks);
                if done(&state) {
                    return state;
                }
            }
        }
        panic!("the watch ended");
    };
    tokio::time::timeout(Duration::from_secs(120), wait).await.expect("the run did not get there in time")
}

fn finished(state: &RunState) -> bool {
    !matches!(state.status, RunStatus::Pending | RunStatus::Running)
}

async fn setup(prefix: &str, run_id: &str) -> (Client, String, Workflow, Vec<String>) {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, prefix).await.unwrap();
    let (_, plan) = common::demo_plans(run_id).remove(0);
    let tasks = plan.tasks.iter().map(|t| t.name.clone()).collect();
    let mut target = common::target(&namespace);
    target.retry_backoff_secs = 1;
    (client, namespace, workflow::render(&plan, &target), tasks)
}

#[tokio::test]
async fn a_run_is_followed_to_its_end_through_the_watch() {
    let (client, _, rendered, tasks) = setup("follow", "a0000000000000000000000000000001").await;
    let watching = follow(&client, &rendered, &tasks, finished);
    workflows::submit(&client, &rendered).await.unwrap();
    let state = watching.await;
    assert_eq!(state.status, RunStatus::Succeeded, "{state:?}");
    for task in &state.tasks {
        assert_eq!((task.status, task.attempts.len()), (RunStatus::Succeeded, 1), "{task:?}");
        assert!(task.started_at.is_some() && task.finished_at.is_some(), "{task:?}");
    }
    let order: Vec<_> = state.tasks.iter().map(|t| t.started_at.unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "a chain runs in order: {order:?}");

    // Each attempt's pod is found by its node, and its output read through the API server.
    let namespace = rendered.metadata.namespace.as_deref().unwrap();
    let pods = pod_logs::pods_by_node(&client, namespace, rendered.metadata.name.as_deref().unwrap()).await.unwrap();
    for attempt in state.tasks.iter().flat_map(|t| &t.attempts) {
        let pod = pods.get(&attempt.node_id).unwrap_or_else(|| panic!("no pod for {attempt:?} in {pods:?}"));
        let chunks: Vec<Vec<u8>> =
            pod_logs::output(&client, namespace, pod, false).await.unwrap().map(Result::unwrap).collect().await;
        let output = String::from_utf8(chunks.concat()).unwrap();
        assert_eq!(output.lines().collect::<Vec<_>>(), testenv::POD_OUTPUT, "{pod}");
    }
}

#[tokio::test]
async fn a_stopped_run_is_cancelled_and_cleared() {
    let run_id = "a0000000000000000000000000000002";
    let (client, namespace, mut rendered, tasks) = setup("stop", run_id).await;
    let first = rendered.spec.templates.iter_mut().find(|t| t.name == workflow::task_template(&tasks[0])).unwrap();
    let metadata = first.metadata.get_or_insert_with(Default::default);
    metadata.annotations.insert("pod-complete.stage.kwok.x-k8s.io/delay".into(), "300s".into());
    workflows::submit(&client, &rendered).await.unwrap();
    follow(&client, &rendered, &tasks, |s| s.tasks[0].status == RunStatus::Running).await;

    assert_eq!(workflows::terminate(&client, &namespace, run_id).await.unwrap(), 1);
    let state = follow(&client, &rendered, &tasks, finished).await;
    assert_eq!(state.status, RunStatus::Cancelled, "{state:?}");
    assert!(state.tasks.iter().all(|t| t.status == RunStatus::Cancelled), "{state:?}");

    workflows::clear(&client, &namespace, run_id).await.unwrap();
    let of_run = ListParams::default().labels(&format!("{RUN_LABEL}={run_id}"));
    for _ in 0..100 {
        let left = Api::<Workflow>::namespaced(client.clone(), &namespace).list(&of_run).await.unwrap().items.len()
            + Api::<Pod>::namespaced(client.clone(), &namespace).list(&of_run).await.unwrap().items.len();
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the run's workflow or pods are still there");
}

#[tokio::test]
async fn a_failing_task_is_retried_with_backoff_then_fails_the_run() {
    let (client, _, mut rendered, tasks) = setup("retry", "a0000000000000000000000000000003").await;
    let first = rendered.spec.templates.iter_mut().find(|t| t.name == workflow::task_template(&tasks[0])).unwrap();
    first.retry_strategy = Some(RetryStrategy {
        limit: 2,
        retry_policy: Some("Always".into()),
        backoff: Some(Backoff { duration: "1s".into(), factor: 2 }),
    });
    let metadata = first.metadata.get_or_insert_with(Default::default);
    metadata
        .labels
        .extend(BTreeMap::from([("pod-container-running-failed.stage.kwok.x-k8s.io".to_owned(), "true".to_owned())]));
    let watching = follow(&client, &rendered, &tasks, finished);
    workflows::submit(&client, &rendered).await.unwrap();
    let state = watching.await;
    assert_eq!(state.status, RunStatus::Failed, "{state:?}");
    assert_eq!((state.tasks[0].status, state.tasks[0].attempts.len()), (RunStatus::Failed, 3), "{state:?}");
    assert_eq!(state.tasks[1].status, RunStatus::Cancelled, "downstream never ran: {state:?}");
}

#[tokio::test]
async fn a_single_task_runs_as_a_pod_of_its_own_on_its_machines() {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "single").await.unwrap();
    let mut plan = common::kitchen_sink("run-42-1");
    plan.tasks.truncate(1);
    // The kitchen sink's mounts need claims, config maps and secrets this namespace lacks.
    plan.tasks[0].mounts.retain(|m| m.mount_path == "/mnt" || m.mount_path == "/dev/shm");
    let pod = cubist_kube::pods::single_task_pod(&plan, &plan.tasks[0], &common::target(&namespace));
    assert_eq!(pod.metadata.name.as_deref(), Some("run-42-1"));
    // The template's service account must exist: the API server checks.
    let account = ServiceAccount {
        metadata: kube::api::ObjectMeta { name: Some("trainer".into()), ..Default::default() },
        ..Default::default()
    };
    Api::<ServiceAccount>::namespaced(client.clone(), &namespace).create(&Default::default(), &account).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    pods.create(&Default::default(), &pod).await.unwrap();
    let ended = |p: Option<&Pod>| {
        p.and_then(|p| p.status.as_ref()?.phase.as_deref())
            .is_some_and(|phase| phase == "Succeeded" || phase == "Failed")
    };
    tokio::time::timeout(
        Duration::from_secs(60),
        kube::runtime::wait::await_condition(pods.clone(), "run-42-1", ended),
    )
    .await
    .expect("the pod did not end")
    .unwrap();
    let ran = pods.get("run-42-1").await.unwrap();
    assert_eq!(ran.status.unwrap().phase.as_deref(), Some("Succeeded"));
    assert_eq!(
        ran.spec.unwrap().node_name.as_deref(),
        Some("gpu-v100"),
        "two V100s, a train task of groups public or research"
    );
    assert_eq!(ran.metadata.labels.unwrap()[RUN_LABEL], "run-42-1");
    workflows::clear(&client, &namespace, "run-42-1").await.unwrap();
}

#[tokio::test]
async fn a_pipeline_of_250_tasks_runs_in_parts_each_task_after_its_upstream() {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "large").await.unwrap();
    let mut plan = common::large("a0000000000000000000000000000004", 250);
    // One of the root's dependents fails (kwok's failure stage): the others, in its part
    // and in the parts after, still run.
    plan.tasks[100].labels.insert("pod-container-running-failed.stage.kwok.x-k8s.io".into(), "true".into());
    let tasks: Vec<String> = plan.tasks.iter().map(|t| t.name.clone()).collect();
    let rendered = workflow::render(&plan, &common::target(&namespace));
    assert!(rendered.spec.templates.iter().any(|t| t.name == "part-3"), "rendered in parts");
    let watching = follow(&client, &rendered, &tasks, finished);
    workflows::submit(&client, &rendered).await.unwrap();
    let state = watching.await;
    assert_eq!(state.status, RunStatus::Failed, "{}", state.message);
    let root = state.tasks[0].finished_at.unwrap();
    for task in &state.tasks[1..] {
        let expected = match task.name.as_str() {
            "shard-0005" => RunStatus::Skipped,
            "shard-0100" => RunStatus::Failed,
            _ => RunStatus::Succeeded,
        };
        assert_eq!(task.status, expected, "{task:?}");
        if expected == RunStatus::Succeeded {
            let started = task.started_at.unwrap_or_else(|| panic!("{} has no start", task.name));
            assert!(started >= root, "{} started before the task it depends on ended", task.name);
        }
    }
    let pods = Api::<Pod>::namespaced(client.clone(), &namespace)
        .list(&ListParams::default().labels("task-name=shard-0249"))
        .await
        .unwrap();
    let labels = pods.items[0].metadata.labels.clone().unwrap();
    assert_eq!(labels["task-id"], "250", "a shared template's pod carries its own task's labels");
    workflows::clear(&client, &namespace, "a0000000000000000000000000000004").await.unwrap();
}
