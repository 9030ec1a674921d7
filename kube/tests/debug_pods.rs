//! Debug shells on the real control plane: the task's pod idles on a matching fake node, a
//! shell opens in it through the API server's exec (kwok runs it as a process on this
//! machine, on a real terminal), answers, takes a resize, and reports its exit; the
//! pod is kept while it runs and leaves with the task's run id.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use cubist_kube::debug_pods::{self, debug_pod, debug_pod_name, ensure_running};
use cubist_kube::testenv;
use cubist_kube::workflows;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads the terminal until `wanted` shows; returns everything read.
async fn read_until(output: &mut (impl AsyncReadExt + Unpin), wanted: &str) -> String {
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while !seen.contains(wanted) {
            let n = output.read(&mut buf).await.unwrap();
            assert!(n > 0, "the terminal closed before showing {wanted:?}: {seen:?}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
    .await;
    assert!(found.is_ok(), "{wanted:?} did not show: {seen:?}");
    seen
}

#[tokio::test]
async fn a_debug_shell_runs_in_the_tasks_idle_pod_through_exec() {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "debug").await.unwrap();
    let (_, mut plan) = common::demo_plans("run-7-1").remove(0);
    plan.run_id = "run-7-1".into();
    let pod = debug_pod(&plan, &plan.tasks[0], &common::target(&namespace));
    let name = debug_pod_name("run-7-1");
    assert_eq!(pod.metadata.name.as_deref(), Some(name.as_str()));

    ensure_running(&client, &pod).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let first = pods.get(&name).await.unwrap().metadata.uid;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure_running(&client, &pod).await.unwrap();
    assert_eq!(pods.get(&name).await.unwrap().metadata.uid, first, "a running debug pod is kept, not completed");

    let mut shell = debug_pods::shell(&client, &namespace, &name, 100, 30).await.unwrap();
    shell.input.write_all(b"stty size; echo hello-$((6*7))\n").await.unwrap();
    let shown = read_until(&mut shell.output, "hello-42").await;
    assert!(shown.contains("30 100"), "the terminal has the size it opened with: {shown:?}");
    shell.size.resize(132, 43).await;
    shell.input.write_all(b"echo \"<$(stty size)>\"\n").await.unwrap();
    read_until(&mut shell.output, "<43 132>").await;
    shell.input.write_all(b"exit 3\n").await.unwrap();
    // The shell's end is reported (kwok gives the code only as text, which is not read).
    let ended = tokio::time::timeout(Duration::from_secs(20), shell.end.exited()).await;
    assert!(ended.is_ok(), "the shell's exit was not reported");

    workflows::clear(&client, &namespace, "run-7-1").await.unwrap();
    let gone = kube::runtime::wait::await_condition(pods, &name, |p: Option<&Pod>| p.is_none());
    tokio::time::timeout(Duration::from_secs(30), gone).await.unwrap().unwrap();
}

#[test]
fn a_debug_pod_is_the_same_for_every_opener_and_another_when_the_task_changes() {
    let (_, plan) = common::demo_plans("run-7-1").remove(0);
    let target = common::target("debug");
    let digest = |plan: &app::domain::plan::Plan| {
        let pod = debug_pod(plan, &plan.tasks[0], &target);
        pod.metadata.annotations.unwrap()["cubist.dev/spec-hash"].clone()
    };
    let mut opened_by_another = plan.clone();
    let runner = opened_by_another.tasks[0].env.iter_mut().find(|(name, _)| name == "KFJ_RUNNER");
    runner.expect("the plan names who runs it").1 = "someone-else".into();
    assert_eq!(digest(&plan), digest(&opened_by_another), "the pod another user opens is the same");
    let mut changed = plan.clone();
    changed.tasks[0].image = "python:3.13-slim".into();
    assert_ne!(digest(&plan), digest(&changed), "a changed task gets a new pod");
}
