//! Plans rendered as Argo Workflows: snapshots of what users' pipelines become, and proof
//! that the real API server accepts every one of them under Argo's full CRD schema with
//! strict field validation, and that Argo runs a demo pipeline to its end.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use cubist_kube::argo::{Parameter, Phase, Template, Workflow};
use cubist_kube::testenv;
use cubist_kube::workflow::{self, RUN_LABEL};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams, ValidationDirective};
use kube::runtime::wait::await_condition;

const RUN_ID: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn demo_pipelines_and_seeded_templates_render_as_before() {
    for (name, plan) in common::demo_plans(RUN_ID).into_iter().chain(common::seeded_plans(RUN_ID)) {
        let rendered = workflow::render(&plan, &common::target("pipeline"));
        insta::assert_json_snapshot!(name, rendered);
    }
    insta::assert_json_snapshot!(
        "kitchen-sink",
        workflow::render(&common::kitchen_sink(RUN_ID), &common::target("pipeline"))
    );
}

#[test]
fn every_mount_placement_and_retry_setting_is_rendered() {
    let rendered =
        serde_json::to_value(workflow::render(&common::kitchen_sink(RUN_ID), &common::target("pipeline"))).unwrap();
    let train = rendered["spec"]["templates"].as_array().unwrap().iter().find(|t| t["name"] == "task-train").unwrap();
    assert_eq!(train["container"]["resources"]["limits"]["nvidia.com/gpu"], "2");
    assert_eq!(train["container"]["resources"]["requests"]["cpu"], "4");
    assert_eq!(train["container"]["resources"]["limits"]["cpu"], "8");
    assert_eq!(train["nodeSelector"]["gpu-type"], "V100");
    assert!(train["nodeSelector"].get("org").is_none(), "several groups are an affinity: {train}");
    let orgs = &train["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        [0]["matchExpressions"][0];
    assert_eq!(orgs["values"], serde_json::json!(["public", "research"]));
    assert_eq!(train["retryStrategy"]["limit"], 3);
    assert_eq!(train["activeDeadlineSeconds"], 3600);
    assert_eq!(train["container"]["securityContext"]["privileged"], true);
    assert_eq!(train["serviceAccountName"], "trainer");
    let scratch =
        train["container"]["volumeMounts"].as_array().unwrap().iter().find(|m| m["mountPath"] == "/scratch").unwrap();
    assert_eq!(scratch["subPath"], "ann", "a pvc mount is the user's own folder");
    let env = train["container"]["env"].as_array().unwrap();
    assert!(env.iter().any(|e| e["name"] == "TOKEN_URL" && e["value"] == "http://auth/?a=b"), "values keep their '='");
    let report = rendered["spec"]["templates"][0]["dag"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "report")
        .unwrap();
    assert_eq!(report["when"], "false");
    assert_eq!(
        rendered["spec"]["imagePullSecrets"],
        serde_json::json!([{"name": "hubsecret"}, {"name": "hubsecret-ann"}])
    );
    let kinds: Vec<&str> = rendered["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_object().unwrap().keys().find(|k| *k != "name").unwrap().as_str())
        .collect();
    for kind in ["persistentVolumeClaim", "hostPath", "nfs", "configMap", "secret", "emptyDir"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
}

/// Argo's substitution of a task's arguments into its template: each
/// `{{inputs.parameters.<name>}}` in the template's JSON text becomes the value, escaped.
fn substitute(template: &Template, arguments: &[Parameter]) -> Template {
    let mut text = serde_json::to_string(template).unwrap();
    for parameter in arguments {
        let escaped = serde_json::to_string(parameter.value.as_deref().unwrap()).unwrap();
        text = text.replace(&format!("{{{{inputs.parameters.{}}}}}", parameter.name), &escaped[1..escaped.len() - 1]);
    }
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_large_pipeline_runs_in_parts_whose_tasks_get_exactly_their_own_templates() {
    let plan = common::large(RUN_ID, 450);
    let rendered = workflow::render(&plan, &common::target("pipeline"));
    workflow::check_limits(&rendered, plan.tasks.len()).unwrap();
    let templates = &rendered.spec.templates;
    let by_name: HashMap<&str, &Template> = templates.iter().map(|t| (t.name.as_str(), t)).collect();
    let entry = by_name[workflow::ENTRYPOINT].dag.as_ref().unwrap();
    let parts: Vec<&str> = entry.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(parts, ["part-1", "part-2", "part-3", "part-4"], "the fan's root, then its 449 dependents");
    assert_eq!(by_name["part-1"].dag.as_ref().unwrap().tasks.len(), 1);
    assert!(entry.tasks[1..].iter().all(|t| t.dependencies == ["part-1"]), "each waits only for the root's part");
    assert!(templates.iter().filter_map(|t| t.dag.as_ref()).all(|d| d.fail_fast == Some(false)));
    let shared: Vec<&str> = templates.iter().filter(|t| t.container.is_some()).map(|t| t.name.as_str()).collect();
    assert_eq!(shared, ["tasks-1", "tasks-2", "tasks-3"], "two kinds of resources, and shard-0007's own");
    let literal = by_name["tasks-3"].metadata.as_ref().unwrap().annotations["cubist.dev/task-label"].clone();
    assert!(literal.starts_with('\u{1b}'), "a label Argo cannot substitute is written as it is: {literal:?}");

    // The same tasks rendered a template each (few enough for that), for comparison.
    let mut few = plan.clone();
    few.tasks.truncate(150);
    few.tasks.iter_mut().for_each(|t| t.upstream.retain(|u| u == "shard-0000"));
    let flat = workflow::render(&few, &common::target("pipeline"));
    let own: HashMap<&str, &Template> = flat.spec.templates.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut seen = Vec::new();
    for part in &parts {
        for task in &by_name[part].dag.as_ref().unwrap().tasks {
            seen.push(task.name.clone());
            assert!(task.dependencies.len() <= 1 && task.dependencies.iter().all(|d| d == "shard-0000"));
            assert_eq!(task.when.is_some(), task.name == "shard-0005", "only the skipped task has a condition");
            let Some(expected) = own.get(workflow::task_template(&task.name).as_str()) else { continue };
            let arguments = task.arguments.as_ref().map(|a| a.parameters.clone()).unwrap_or_default();
            // What Go's quoting (Argo's) escapes as JSON does: nothing else is passed.
            let go_quotes_as_json =
                |c: char| (c >= ' ' && c != '\u{7f}' && u32::from(c) <= 0xFFFF) || "\u{8}\u{c}\n\r\t".contains(c);
            for value in arguments.iter().filter_map(|a| a.value.as_deref()) {
                assert!(value.chars().all(go_quotes_as_json), "{value:?} cannot be a parameter");
            }
            let mut called = substitute(by_name[task.template.as_str()], &arguments);
            called.name = expected.name.clone();
            called.inputs = None;
            assert_eq!(&called, *expected, "{} gets exactly its own template", task.name);
        }
    }
    let mut planned: Vec<String> = plan.tasks.iter().map(|t| t.name.clone()).collect();
    seen.sort();
    planned.sort();
    assert_eq!(seen, planned, "every task is in exactly one part");
}

#[test]
fn a_pipeline_that_cannot_share_templates_is_refused_saying_why() {
    let mut plan = common::large(RUN_ID, 450);
    for (i, task) in plan.tasks.iter_mut().enumerate() {
        task.timeout_secs = 60 + i as u32;
    }
    let rendered = workflow::render(&plan, &common::target("pipeline"));
    let refusal = workflow::check_limits(&rendered, plan.tasks.len()).unwrap_err();
    assert!(refusal.contains("need 455 templates") && refusal.contains("allows 200"), "{refusal}");
}

#[tokio::test]
async fn the_api_server_accepts_every_rendered_workflow() {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "render").await.unwrap();
    let workflows: Api<Workflow> = Api::namespaced(client, &namespace);
    let strict = PatchParams {
        dry_run: true,
        field_validation: Some(ValidationDirective::Strict),
        ..PatchParams::apply("cubist")
    };
    let plans = common::demo_plans(RUN_ID).into_iter().chain(common::seeded_plans(RUN_ID));
    let more =
        [("kitchen sink".to_owned(), common::kitchen_sink(RUN_ID)), ("large".to_owned(), common::large(RUN_ID, 450))];
    for (name, plan) in plans.chain(more) {
        let rendered = workflow::render(&plan, &common::target(&namespace));
        let wf_name = rendered.metadata.name.clone().unwrap();
        let accepted = workflows.patch(&wf_name, &strict, &Patch::Apply(&rendered)).await;
        assert!(accepted.is_ok(), "{name}: {accepted:?}");
    }
}

#[tokio::test]
async fn argo_runs_a_demo_pipeline_to_its_end_on_the_matching_nodes() {
    let plane = testenv::shared().unwrap();
    let client = plane.client().await.unwrap();
    let namespace = plane.namespace(&client, "demo").await.unwrap();
    let run_id = "fedcba9876543210fedcba9876543210";
    let (_, plan) = common::demo_plans(run_id).remove(0);
    let rendered = workflow::render(&plan, &common::target(&namespace));
    let name = rendered.metadata.name.clone().unwrap();
    let workflows: Api<Workflow> = Api::namespaced(client.clone(), &namespace);
    workflows.create(&PostParams::default(), &rendered).await.unwrap();
    let finished = |w: Option<&Workflow>| w.and_then(|w| w.status.as_ref()?.phase).is_some_and(Phase::is_final);
    tokio::time::timeout(Duration::from_secs(120), await_condition(workflows.clone(), &name, finished))
        .await
        .expect("the demo workflow did not finish")
        .unwrap();
    let status = workflows.get(&name).await.unwrap().status.unwrap();
    assert_eq!(status.phase, Some(Phase::Succeeded), "{status:?}");

    let pods: Api<Pod> = Api::namespaced(client, &namespace);
    let ran = pods.list(&ListParams::default().labels(&format!("{RUN_LABEL}={run_id}"))).await.unwrap();
    assert_eq!(ran.items.len(), plan.tasks.len(), "one pod per task, each labelled with the run");
    for pod in ran.items {
        let node = pod.spec.unwrap().node_name.unwrap();
        assert_eq!(node, "cpu-public", "a CPU task of project public runs on a public CPU machine");
    }
}
