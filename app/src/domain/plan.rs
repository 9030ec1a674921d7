//! The execution plan: a pipeline (or one of its tasks) compiled into everything an engine
//! needs to run it: for each task the image, argv, working directory, environment, resources,
//! mounts, node selector, pull secrets, retries, timeout, skip, labels and upstream tasks.
//! Pure and engine-independent: the local engine runs it as processes, the Kubernetes engine
//! renders it to an Argo Workflow.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::arg_schema::ArgSchema;
use super::container_path::check_container_path;
use super::dag::topological_order;
use super::env_lines::{TASK_RESOURCE_CPU, TASK_RESOURCE_GPU, TASK_RESOURCE_MEMORY, env_value, parse_env};
use super::mounts::{Mount, parse_mounts};
use super::node_selector::{NodeSelector, Workload, placement};
use super::pipeline_rules::{dag_edges, effective_mounts};
use super::plan_args::{command_line, flatten_args};
use super::plan_render::{DATE_TIME, Renderer};
use super::project_expand::OrgExpand;
use super::resources::parse_gpu;
use crate::model::{PipelineFields, TaskFields, TaskResources};

/// Who runs what, when: the variables every task field may use.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub run_id: String,
    pub creator: String,
    pub runner: String,
    pub cluster: String,
    pub execution_date: NaiveDateTime,
}

/// What a task needs from its job template.
#[derive(Debug, Clone)]
pub struct TemplateSpec {
    pub name: String,
    pub image: String,
    /// The image's own entrypoint, used when the template has no command.
    pub image_entrypoint: String,
    pub workdir: String,
    pub command: String,
    pub env: String,
    pub volume_mount: String,
    pub privileged: bool,
    pub service_account: String,
    pub args: ArgSchema,
    /// Pull secret of the image's registry account.
    pub pull_secret: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub id: i64,
    pub fields: TaskFields,
    pub template: TemplateSpec,
}

/// The pipeline and its project as the plan needs them.
#[derive(Debug, Clone)]
pub struct PipelineSpec {
    pub id: i64,
    pub fields: PipelineFields,
    pub project: String,
    pub project_expand: OrgExpand,
}

/// One task, ready to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPlan {
    pub task_id: i64,
    pub name: String,
    pub label: String,
    pub image: String,
    /// Program and its arguments.
    pub argv: Vec<String>,
    pub workdir: Option<String>,
    pub env: Vec<(String, String)>,
    pub resources: TaskResources,
    pub mounts: Vec<Mount>,
    /// Whose sub-directory `pvc` mounts use.
    pub mount_user: String,
    pub node_selector: String,
    pub pull_secrets: Vec<String>,
    pub privileged: bool,
    pub service_account: Option<String>,
    pub retries: u32,
    pub timeout_secs: u32,
    pub skip: bool,
    pub upstream: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

/// A compiled run: tasks in dependency order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub run_id: String,
    pub pipeline_id: i64,
    pub pipeline_name: String,
    pub parallelism: u32,
    pub tasks: Vec<TaskPlan>,
}

/// Why a pipeline cannot be planned; `field` names the task field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub field: String,
    pub message: String,
}

fn fail(field: impl Into<String>, message: impl Into<String>) -> PlanError {
    PlanError { field: field.into(), message: message.into() }
}

/// The variables of a run (the pipeline's global environment keys included).
fn variables(ctx: &RunContext, pipeline: &PipelineSpec, global: &[(String, String)]) -> BTreeMap<String, String> {
    let mut vars: BTreeMap<String, String> = global.iter().cloned().collect();
    for (k, v) in [
        ("creator", ctx.creator.clone()),
        ("runner", ctx.runner.clone()),
        ("run_id", ctx.run_id.clone()),
        ("pipeline_id", pipeline.id.to_string()),
        ("pipeline_name", pipeline.fields.name.clone()),
        ("cluster_name", ctx.cluster.clone()),
        ("execution_date", ctx.execution_date.format(DATE_TIME).to_string()),
    ] {
        vars.insert(k.to_owned(), v);
    }
    vars
}

/// Sets `key` in an ordered environment, replacing an earlier value.
fn set(env: &mut Vec<(String, String)>, key: &str, value: String) {
    match env.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => env.push((key.to_owned(), value)),
    }
}

/// Compiles the pipeline, or only the task `only` (a single-task run, without upstream).
pub fn compile(
    ctx: &RunContext,
    pipeline: &PipelineSpec,
    tasks: &[TaskSpec],
    only: Option<i64>,
) -> Result<Plan, PlanError> {
    let global = parse_env(&pipeline.fields.global_env).map_err(|e| fail("global_env", e))?;
    let renderer = Renderer::new(variables(ctx, pipeline, &global));
    let names: Vec<String> = tasks.iter().map(|t| t.fields.name.clone()).collect();
    let edges = dag_edges(&pipeline.fields.dag);
    let order = topological_order(&names, &edges).map_err(|e| fail("dag", e.to_string()))?;
    let mut planned = Vec::with_capacity(tasks.len());
    for name in &order {
        let Some(task) = tasks.iter().find(|t| &t.fields.name == name) else { continue };
        if only.is_some_and(|id| id != task.id) {
            continue;
        }
        let upstream = if only.is_some() {
            Vec::new()
        } else {
            edges.iter().filter(|e| &e.to == name).map(|e| e.from.clone()).collect()
        };
        planned.push(task_plan(ctx, pipeline, &global, &renderer, task, upstream)?);
    }
    if only.is_some() && planned.is_empty() {
        return Err(fail("task", "no such task in this pipeline"));
    }
    Ok(Plan {
        run_id: ctx.run_id.clone(),
        pipeline_id: pipeline.id,
        pipeline_name: pipeline.fields.name.clone(),
        parallelism: pipeline.fields.parallelism.max(1),
        tasks: planned,
    })
}

fn task_plan(
    ctx: &RunContext,
    pipeline: &PipelineSpec,
    global: &[(String, String)],
    renderer: &Renderer,
    task: &TaskSpec,
    upstream: Vec<String>,
) -> Result<TaskPlan, PlanError> {
    let at = |field: &str| format!("tasks.{}.{field}", task.fields.name);
    let render = |field: &str, text: &str| renderer.render(text).map_err(|e| fail(at(field), e));
    let template = &task.template;
    let template_env = parse_env(&template.env).map_err(|e| fail(at("template.env"), e))?;
    let args = &template.args.with_fixed(&task.fields.args);
    let arg_text = |key: &str| args.get(key).and_then(|v| v.as_str()).filter(|s| !s.trim().is_empty());
    let image = render("image", arg_text("images").unwrap_or(&template.image))?;
    let workdir = [arg_text("workdir"), Some(task.fields.workdir.as_str()), Some(template.workdir.as_str())]
        .into_iter()
        .flatten()
        .find(|w| !w.trim().is_empty())
        .map(|w| render("workdir", w))
        .transpose()?;
    if let Some(w) = &workdir {
        check_container_path(w).map_err(|e| fail(at("workdir"), format!("'{w}' {e}")))?;
    }
    let flat =
        flatten_args(&template.args, args).into_iter().map(|a| render("args", &a)).collect::<Result<Vec<_>, _>>()?;
    let command = command_line(&task.fields.command, &template.command, &template.image_entrypoint)
        .map_err(|e| fail(at("command"), e))?
        .into_iter()
        .map(|c| render("command", &c))
        .collect::<Result<Vec<_>, _>>()?;
    if command.is_empty() {
        return Err(fail(at("command"), "neither the task, its template nor the image has a command"));
    }
    let resources = TaskResources {
        cpu: env_value(&template_env, TASK_RESOURCE_CPU).unwrap_or(&task.fields.resources.cpu).to_owned(),
        memory: env_value(&template_env, TASK_RESOURCE_MEMORY).unwrap_or(&task.fields.resources.memory).to_owned(),
        gpu: env_value(&template_env, TASK_RESOURCE_GPU).unwrap_or(&task.fields.resources.gpu).to_owned(),
    };
    let gpu = parse_gpu(&resources.gpu).map_err(|e| fail(at("resources.gpu"), e))?;
    let expand = &pipeline.project_expand;
    let mut project_selector = NodeSelector::parse(&expand.node_selector).unwrap_or_default();
    if !expand.org.is_empty() {
        project_selector.set("org", &expand.org);
    }
    let node_selector = placement(&project_selector, &gpu, Workload::Train).to_string();
    let project_mounts = parse_mounts(&expand.volume_mount).map_err(|e| fail("project.volume_mount", e.to_string()))?;
    let merged = effective_mounts(&project_mounts, &template.volume_mount, &task.fields.volume_mount);
    let mounts = parse_mounts(&merged).map_err(|e| fail(at("volume_mount"), e.to_string()))?;

    let mut env = Vec::new();
    for (k, v) in &template_env {
        set(&mut env, k, render("template.env", v)?);
    }
    for (k, v) in [
        ("KFJ_PIPELINE_ID", pipeline.id.to_string()),
        ("KFJ_RUN_ID", ctx.run_id.clone()),
        ("KFJ_CREATOR", ctx.creator.clone()),
        ("KFJ_RUNNER", ctx.runner.clone()),
        ("KFJ_PIPELINE_NAME", pipeline.fields.name.clone()),
        ("KFJ_NAMESPACE", expand.pipeline_namespace().to_owned()),
        ("KFJ_ENVIRONMENT", ctx.cluster.clone()),
    ] {
        set(&mut env, k, v);
    }
    for (k, v) in global {
        set(&mut env, k, render("global_env", v)?);
    }
    for (k, v) in [
        ("KFJ_TASK_ID", task.id.to_string()),
        ("KFJ_TASK_NAME", task.fields.name.clone()),
        ("KFJ_TASK_NODE_SELECTOR", node_selector.clone()),
        ("KFJ_TASK_VOLUME_MOUNT", merged.clone()),
        ("KFJ_TASK_IMAGES", template.image.clone()),
        ("KFJ_TASK_RESOURCE_CPU", task.fields.resources.cpu.clone()),
        ("KFJ_TASK_RESOURCE_MEMORY", task.fields.resources.memory.clone()),
        ("KFJ_TASK_RESOURCE_GPU", task.fields.resources.gpu.clone()),
        ("KFJ_TASK_PROJECT_NAME", pipeline.project.clone()),
        ("USERNAME", ctx.creator.clone()),
        // Last, so no global env can hide which run a process belongs to.
        ("KFJ_RUN_ID", ctx.run_id.clone()),
    ] {
        set(&mut env, k, v);
    }
    let labels: BTreeMap<String, String> = [
        ("run-id", ctx.run_id.clone()),
        ("pipeline-id", pipeline.id.to_string()),
        ("pipeline-name", pipeline.fields.name.clone()),
        ("task-id", task.id.to_string()),
        ("task-name", task.fields.name.clone()),
        ("run-username", ctx.runner.clone()),
        ("pipeline-username", ctx.creator.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Ok(TaskPlan {
        task_id: task.id,
        name: task.fields.name.clone(),
        label: task.fields.label.clone(),
        image,
        argv: command.into_iter().chain(flat).collect(),
        workdir,
        env,
        resources,
        mounts,
        mount_user: ctx.creator.clone(),
        node_selector,
        pull_secrets: template.pull_secret.iter().cloned().collect(),
        privileged: template.privileged,
        service_account: Some(template.service_account.clone()).filter(|s| !s.is_empty()),
        retries: task.fields.retries,
        timeout_secs: task.fields.timeout,
        skip: task.fields.skip,
        upstream,
        labels,
    })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
