//! A compiled run plan as one Argo `Workflow`: a DAG template named `pipeline` whose tasks
//! are the plan's tasks, and one container template per task (`task-<name>`) with its image,
//! argv, working directory, environment (the plan's, with the pod's own names from the
//! downward API), resources, mounts, placement, retries with backoff, deadline and labels.
//! A pipeline of more tasks than that fits is rendered in parts ([`parts`]) with shared
//! templates ([`shared`]). The same plan runs on the local engine; only the rendering
//! differs.

mod limits;
mod names;
pub mod parts;
mod placement;
mod resources;
pub mod shared;
pub mod task_container;
mod volumes;

use std::collections::BTreeMap;

use app::domain::plan::{Plan, TaskPlan};
use k8s_openapi::api::core::v1::{LocalObjectReference, Volume};
use kube::api::ObjectMeta;

pub use limits::{MAX_TEMPLATES, MAX_WORKFLOW_BYTES, check_limits};
pub use names::{label_value, slug};
pub use placement::{PIPELINE_LABEL, placement as task_placement};
pub use resources::GpuResources;

use crate::argo::{Backoff, DagTask, DagTemplate, RetryStrategy, Template, TemplateMetadata, Workflow, WorkflowSpec};

/// The label naming the run every object of a run carries (found and cleared by it).
pub const RUN_LABEL: &str = "run-id";
/// The DAG template (task templates are `task-<name>`, so no task can clash with it).
pub const ENTRYPOINT: &str = "pipeline";

/// Where a run goes and what the cluster adds to every run.
#[derive(Debug, Clone)]
pub struct Target {
    pub namespace: String,
    /// The cluster's name (label `cluster`).
    pub cluster: String,
    /// Pull secrets every run gets, beside each task's own.
    pub pull_secrets: Vec<String>,
    /// The service account of pods whose template names none.
    pub service_account: String,
    pub gpu_resources: GpuResources,
    /// Wait before a failed task's second attempt; doubled for each further one.
    pub retry_backoff_secs: u32,
}

/// The template name of a task.
pub fn task_template(task: &str) -> String {
    format!("task-{task}")
}

/// The Workflow's name: the pipeline's name and the start of the run id.
pub fn workflow_name(plan: &Plan) -> String {
    // At most 53 characters: the name is also a label value (63) on the run's pods.
    let pipeline = slug(&plan.pipeline_name, 30);
    let run = slug(&plan.run_id, 22);
    if pipeline.is_empty() { format!("run-{run}") } else { format!("{pipeline}-{run}") }
}

/// The Workflow that runs `plan` in `target`.
pub fn render(plan: &Plan, target: &Target) -> Workflow {
    let mut volumes: BTreeMap<String, Volume> = BTreeMap::new();
    let mut secrets: Vec<String> = target.pull_secrets.clone();
    let mut per_task = Vec::with_capacity(plan.tasks.len());
    for task in &plan.tasks {
        secrets.extend(task.pull_secrets.iter().cloned());
        per_task.push(container_template(plan, task, target, &mut volumes));
    }
    let templates = if per_task.len() < MAX_TEMPLATES {
        std::iter::once(dag(plan)).chain(per_task).collect()
    } else {
        in_parts(plan, per_task)
    };
    secrets.sort();
    secrets.dedup();
    let mut labels = BTreeMap::from([
        (RUN_LABEL.to_owned(), label_value(&plan.run_id)),
        (PIPELINE_LABEL.to_owned(), plan.pipeline_id.to_string()),
        ("pipeline-name".to_owned(), label_value(&plan.pipeline_name)),
        ("cluster".to_owned(), label_value(&target.cluster)),
    ]);
    if let Some(first) = plan.tasks.first() {
        for key in ["run-username", "pipeline-username"] {
            if let Some(value) = first.labels.get(key) {
                labels.insert(key.to_owned(), label_value(value));
            }
        }
    }
    let spec = WorkflowSpec {
        entrypoint: ENTRYPOINT.into(),
        templates,
        parallelism: Some(i64::from(plan.parallelism.max(1))),
        service_account_name: Some(target.service_account.clone()),
        image_pull_secrets: secrets.into_iter().map(|name| LocalObjectReference { name }).collect(),
        volumes: volumes.into_values().collect(),
        ..WorkflowSpec::default()
    };
    let mut workflow = Workflow::new(&workflow_name(plan), spec);
    workflow.metadata = ObjectMeta {
        name: Some(workflow_name(plan)),
        namespace: Some(target.namespace.clone()),
        labels: Some(labels),
        annotations: Some(BTreeMap::from([("cubist.dev/pipeline-name".to_owned(), plan.pipeline_name.clone())])),
        ..ObjectMeta::default()
    };
    workflow
}

fn dag(plan: &Plan) -> Template {
    let tasks = plan
        .tasks
        .iter()
        .map(|t| DagTask {
            name: t.name.clone(),
            template: task_template(&t.name),
            dependencies: t.upstream.clone(),
            when: t.skip.then(|| "false".to_owned()),
            arguments: None,
        })
        .collect();
    Template {
        name: ENTRYPOINT.into(),
        dag: Some(DagTemplate { tasks, fail_fast: Some(false) }),
        ..Template::default()
    }
}

/// The name of the `index`th part.
fn part_name(index: usize) -> String {
    format!("{PART_PREFIX}{}", index + 1)
}

const PART_PREFIX: &str = "part-";

/// Whether `template` is the entry DAG or a part of one (not a task).
pub fn is_dag_template(template: &str) -> bool {
    template == ENTRYPOINT
        || template.strip_prefix(PART_PREFIX).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The templates of a pipeline too large for one template per task: the entry DAG runs the
/// parts, each part is a DAG of at most 200 tasks, and the tasks call shared templates.
fn in_parts(plan: &Plan, per_task: Vec<Template>) -> Vec<Template> {
    let (shared, calls) = shared::share(per_task);
    let index: std::collections::HashMap<&str, usize> =
        plan.tasks.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    let upstream: Vec<Vec<usize>> =
        plan.tasks.iter().map(|t| t.upstream.iter().filter_map(|u| index.get(u.as_str()).copied()).collect()).collect();
    let parts = parts::split(&upstream, parts::PART_SIZE);
    let mut part_of = vec![0; plan.tasks.len()];
    for (number, part) in parts.iter().enumerate() {
        for &task in &part.tasks {
            part_of[task] = number;
        }
    }
    let entry = parts
        .iter()
        .enumerate()
        .map(|(number, part)| DagTask {
            name: part_name(number),
            template: part_name(number),
            dependencies: part.after.iter().map(|&earlier| part_name(earlier)).collect(),
            ..DagTask::default()
        })
        .collect();
    let mut templates = vec![Template {
        name: ENTRYPOINT.into(),
        dag: Some(DagTemplate { tasks: entry, fail_fast: Some(false) }),
        ..Template::default()
    }];
    for (number, part) in parts.iter().enumerate() {
        let tasks = part
            .tasks
            .iter()
            .map(|&task| {
                let (plan_task, call) = (&plan.tasks[task], &calls[task]);
                DagTask {
                    name: plan_task.name.clone(),
                    template: call.template.clone(),
                    dependencies: upstream[task]
                        .iter()
                        .filter(|&&up| part_of[up] == number)
                        .map(|&up| plan.tasks[up].name.clone())
                        .collect(),
                    when: plan_task.skip.then(|| "false".to_owned()),
                    arguments: call.arguments.clone(),
                }
            })
            .collect();
        templates.push(Template {
            name: part_name(number),
            dag: Some(DagTemplate { tasks, fail_fast: Some(false) }),
            ..Template::default()
        });
    }
    templates.extend(shared);
    templates
}

fn container_template(
    plan: &Plan,
    task: &TaskPlan,
    target: &Target,
    volumes: &mut BTreeMap<String, Volume>,
) -> Template {
    let (container, task_volumes) = task_container::container(task, target);
    for volume in task_volumes {
        volumes.entry(volume.name.clone()).or_insert(volume);
    }
    let (node_selector, affinity) = placement::placement(&task.node_selector, plan.pipeline_id);
    let labels = task.labels.iter().map(|(k, v)| (k.clone(), label_value(v))).collect();
    let annotations = BTreeMap::from([("cubist.dev/task-label".to_owned(), task.label.clone())]);
    Template {
        name: task_template(&task.name),
        container: Some(container),
        node_selector,
        affinity: Some(affinity),
        metadata: Some(TemplateMetadata { labels, annotations }),
        service_account_name: task.service_account.clone(),
        retry_strategy: (task.retries > 0).then(|| RetryStrategy {
            limit: i64::from(task.retries),
            retry_policy: Some("Always".into()),
            backoff: Some(Backoff { duration: format!("{}s", target.retry_backoff_secs), factor: 2 }),
        }),
        active_deadline_seconds: (task.timeout_secs > 0).then(|| i64::from(task.timeout_secs)),
        ..Template::default()
    }
}
