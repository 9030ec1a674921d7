//! A single task run on its own as a Pod (the editor's "run this task"): the same container
//! as in a pipeline's Workflow, named after its run id (`run-<pipeline>-<task>`, so a new
//! run of the task replaces the last), labelled with the run id so clearing finds it.

use std::collections::BTreeMap;

use app::domain::plan::{Plan, TaskPlan};
use k8s_openapi::api::core::v1::{LocalObjectReference, Pod, PodSpec};
use kube::api::ObjectMeta;

use crate::workflow::{RUN_LABEL, Target, label_value, slug, task_container, task_placement};

/// The Pod that runs `task` of `plan` alone in `target`.
pub fn single_task_pod(plan: &Plan, task: &TaskPlan, target: &Target) -> Pod {
    let (container, volumes) = task_container::container(task, target);
    let (node_selector, affinity) = task_placement(&task.node_selector, plan.pipeline_id);
    let mut labels: BTreeMap<String, String> = task.labels.iter().map(|(k, v)| (k.clone(), label_value(v))).collect();
    labels.insert(RUN_LABEL.to_owned(), label_value(&plan.run_id));
    labels.insert("pod-type".to_owned(), "task".to_owned());
    let mut secrets: Vec<String> = target.pull_secrets.iter().chain(&task.pull_secrets).cloned().collect();
    secrets.sort();
    secrets.dedup();
    Pod {
        metadata: ObjectMeta {
            name: Some(slug(&plan.run_id, 63)),
            namespace: Some(target.namespace.clone()),
            labels: Some(labels),
            annotations: Some(BTreeMap::from([("cubist.dev/task-label".to_owned(), task.label.clone())])),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers: vec![container],
            volumes: (!volumes.is_empty()).then_some(volumes),
            restart_policy: Some("Never".into()),
            node_selector: (!node_selector.is_empty()).then_some(node_selector),
            affinity: Some(affinity),
            image_pull_secrets: Some(secrets.into_iter().map(|name| LocalObjectReference { name }).collect()),
            service_account_name: Some(task.service_account.clone().unwrap_or_else(|| target.service_account.clone())),
            active_deadline_seconds: (task.timeout_secs > 0).then(|| i64::from(task.timeout_secs)),
            ..PodSpec::default()
        }),
        ..Pod::default()
    }
}
