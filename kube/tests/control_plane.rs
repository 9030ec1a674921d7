//! The test control plane works as a cluster: the scheduler places pods on the fake node
//! whose labels match, kwok completes or fails them, and the Argo controller runs a DAG.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use cubist_kube::argo::{DagTask, DagTemplate, Phase, Template, Workflow, WorkflowSpec};
use cubist_kube::testenv;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use kube::runtime::wait::await_condition;

fn selector(terms: &[(&str, &str)]) -> BTreeMap<String, String> {
    terms.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn container(name: &str) -> Container {
    Container {
        name: name.into(),
        image: Some("busybox:1.36".into()),
        command: Some(vec!["true".into()]),
        ..Container::default()
    }
}

fn pod(name: &str, node_selector: &[(&str, &str)], labels: &[(&str, &str)], gpus: u32) -> Pod {
    let mut main = container("main");
    if gpus > 0 {
        let gpu = BTreeMap::from([("nvidia.com/gpu".to_owned(), Quantity(gpus.to_string()))]);
        main.resources = Some(ResourceRequirements { limits: Some(gpu), ..ResourceRequirements::default() });
    }
    Pod {
        metadata: ObjectMeta { name: Some(name.into()), labels: Some(selector(labels)), ..ObjectMeta::default() },
        spec: Some(PodSpec {
            containers: vec![main],
            node_selector: Some(selector(node_selector)),
            restart_policy: Some("Never".into()),
            ..PodSpec::default()
        }),
        ..Pod::default()
    }
}

/// Waits until the pod has ended; returns it.
async fn ended(pods: &Api<Pod>, name: &str) -> Pod {
    let done = |p: Option<&Pod>| {
        p.and_then(|p| p.status.as_ref()?.phase.as_deref())
            .is_some_and(|phase| phase == "Succeeded" || phase == "Failed")
    };
    tokio::time::timeout(Duration::from_secs(60), await_condition(pods.clone(), name, done))
        .await
        .unwrap_or_else(|_| panic!("pod {name} did not end"))
        .unwrap();
    pods.get(name).await.unwrap()
}

#[tokio::test]
async fn pods_land_on_matching_fake_nodes_and_complete_or_fail() {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "pods").await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client, &namespace);
    let post = PostParams::default();
    pods.create(&post, &pod("v100", &[("gpu", "true"), ("gpu-type", "V100")], &[], 1)).await.unwrap();
    pods.create(&post, &pod("research", &[("cpu", "true"), ("org", "research")], &[], 0)).await.unwrap();
    let failing = [("pod-container-running-failed.stage.kwok.x-k8s.io", "true")];
    pods.create(&post, &pod("doomed", &[("cpu", "true"), ("org", "public")], &failing, 0)).await.unwrap();

    for (name, node, phase) in [
        ("v100", "gpu-v100", "Succeeded"),
        ("research", "cpu-research", "Succeeded"),
        ("doomed", "cpu-public", "Failed"),
    ] {
        let ended = ended(&pods, name).await;
        let spec = ended.spec.unwrap();
        assert_eq!(spec.node_name.as_deref(), Some(node), "{name} was placed by its labels");
        assert_eq!(ended.status.unwrap().phase.as_deref(), Some(phase), "{name}");
    }
}

#[tokio::test]
async fn argo_runs_a_dag_to_its_end() {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "argo").await.unwrap();
    let step = |name: &str| Template {
        name: name.into(),
        container: Some(container("main")),
        node_selector: selector(&[("cpu", "true"), ("org", "public")]),
        ..Template::default()
    };
    let dag = Template {
        name: "main".into(),
        dag: Some(DagTemplate {
            tasks: vec![
                DagTask { name: "first".into(), template: "first".into(), dependencies: vec![], ..DagTask::default() },
                DagTask {
                    name: "second".into(),
                    template: "second".into(),
                    dependencies: vec!["first".into()],
                    ..DagTask::default()
                },
            ],
            ..DagTemplate::default()
        }),
        ..Template::default()
    };
    let spec = WorkflowSpec {
        entrypoint: "main".into(),
        templates: vec![dag, step("first"), step("second")],
        ..WorkflowSpec::default()
    };
    let workflows: Api<Workflow> = Api::namespaced(client, &namespace);
    workflows.create(&PostParams::default(), &Workflow::new("two-steps", spec)).await.unwrap();

    let finished = |w: Option<&Workflow>| w.and_then(|w| w.status.as_ref()?.phase).is_some_and(Phase::is_final);
    tokio::time::timeout(Duration::from_secs(90), await_condition(workflows.clone(), "two-steps", finished))
        .await
        .expect("the workflow did not finish")
        .unwrap();
    let status = workflows.get("two-steps").await.unwrap().status.unwrap();
    assert_eq!(status.phase, Some(Phase::Succeeded), "{status:?}");
    let succeeded: Vec<&str> = status
        .nodes
        .values()
        .filter(|n| n.kind == "Pod" && n.phase == Some(Phase::Succeeded))
        .map(|n| n.display_name.as_str())
        .collect();
    assert_eq!(succeeded.len(), 2, "{status:?}");
}
