//! Rules of pipelines and tasks that need no database: field checks with canonical forms,
//! the DAG checked against the pipeline's tasks, and renames and deletions that keep the
//! DAG and the canvas layout consistent. The server and the editor use the same code.

use std::collections::HashSet;

use super::container_path::check_container_path;
use super::cron::parse_cron;
use super::dag::{DagError, Edge, topological_order};
use super::env_lines::{format_env, parse_env};
use super::mounts::{Mount, format_mounts, merge_mounts, parse_mounts};
use super::resources::{parse_cpu, parse_gpu, parse_memory};
use super::username::check_username;
use super::validation::FieldErrors;
use crate::model::{Dag, FieldError, PipelineFields, ScheduleKind, TaskFields};

/// Longest pipeline or task name (they end up in Kubernetes names with suffixes).
pub const MAX_NAME_LEN: usize = 54;
/// Most tasks of one run allowed at once.
pub const MAX_PARALLELISM: u32 = 1000;
/// Longest task timeout: one week.
pub const MAX_TIMEOUT_SECS: u32 = 7 * 24 * 3600;
pub const MAX_RETRIES: u32 = 20;

/// Checks a pipeline or task name.
pub fn check_name(name: &str) -> Result<(), String> {
    check_username(name)?;
    if name.len() > MAX_NAME_LEN {
        return Err(format!("must be at most {MAX_NAME_LEN} characters"));
    }
    Ok(())
}

fn check_picture(url: &str) -> Result<(), String> {
    let ok = url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
    if !ok || url.chars().any(char::is_whitespace) {
        return Err("must be an http(s) URL or a path starting with '/'".into());
    }
    Ok(())
}

/// Checks pipeline settings (not the DAG, which needs the tasks) and returns their
/// canonical form: trimmed text, canonical environment, unique alert statuses.
pub fn check_pipeline_fields(fields: &PipelineFields) -> Result<PipelineFields, Vec<FieldError>> {
    let mut errors = FieldErrors::new();
    let mut out = fields.clone();
    out.name = fields.name.trim().to_owned();
    out.description = fields.description.trim().to_owned();
    errors.check("name", check_name(&out.name));
    if out.description.chars().count() > 500 {
        errors.add("description", "must be at most 500 characters");
    }
    match parse_env(&fields.global_env) {
        Ok(vars) => out.global_env = format_env(&vars),
        Err(e) => errors.add("global_env", e),
    }
    if !(1..=MAX_PARALLELISM).contains(&fields.parallelism) {
        errors.add("parallelism", format!("must be between 1 and {MAX_PARALLELISM}"));
    }
    let schedule = &mut out.schedule;
    schedule.cron = schedule.cron.trim().to_owned();
    if schedule.kind == ScheduleKind::Cron && schedule.cron.is_empty() {
        errors.add("schedule.cron", "a cron schedule needs an expression");
    } else if !schedule.cron.is_empty()
        && let Err(e) = parse_cron(&schedule.cron)
    {
        errors.add("schedule.cron", e);
    }
    if !(1..=100).contains(&schedule.max_active_runs) {
        errors.add("schedule.max_active_runs", "must be between 1 and 100");
    }
    if schedule.catchup_start.is_some_and(|t| !super::schedule::in_range(t)) {
        errors.add("schedule.catchup_start", "must be between 1970 and 2199");
    }
    if schedule.keep_newest > 100_000 {
        errors.add("schedule.keep_newest", "must be at most 100000");
    }
    let mut seen = HashSet::new();
    out.alerts.statuses.retain(|s| seen.insert(*s));
    out.alerts.users = fields.alerts.users.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
    for (i, user) in out.alerts.users.iter().enumerate() {
        errors.check(&format!("alerts.users[{i}]"), check_username(user));
    }
    if let Some(img) = &fields.expand.img {
        errors.check("expand.img", check_picture(img));
    }
    errors.finish().map(|()| out)
}

/// Checks a task's own fields and returns their canonical form; `at` prefixes field names
/// (`tasks[3]` in a graph save, empty for a single task).
pub fn check_task_fields(at: &str, fields: &TaskFields) -> Result<TaskFields, Vec<FieldError>> {
    let field = |name: &str| if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") };
    let mut errors = FieldErrors::new();
    let mut out = fields.clone();
    out.name = fields.name.trim().to_owned();
    errors.check(&field("name"), check_name(&out.name));
    out.label = fields.label.trim().to_owned();
    if out.label.is_empty() {
        out.label.clone_from(&out.name);
    }
    if out.label.chars().count() > 100 {
        errors.add(&field("label"), "must be at most 100 characters");
    }
    out.workdir = fields.workdir.trim().to_owned();
    if !out.workdir.is_empty() {
        errors.check(&field("workdir"), check_container_path(&out.workdir));
    }
    out.command = fields.command.trim().to_owned();
    if out.command.len() > 2000 {
        errors.add(&field("command"), "must be at most 2000 characters");
    }
    match parse_cpu(&fields.resources.cpu) {
        Ok(cpu) => out.resources.cpu = cpu.to_string(),
        Err(e) => errors.add(&field("resources.cpu"), e),
    }
    match parse_memory(&fields.resources.memory) {
        Ok(memory) => out.resources.memory = memory.to_string(),
        Err(e) => errors.add(&field("resources.memory"), e),
    }
    match parse_gpu(&fields.resources.gpu) {
        Ok(gpu) => out.resources.gpu = gpu.to_string(),
        Err(e) => errors.add(&field("resources.gpu"), e),
    }
    if fields.timeout > MAX_TIMEOUT_SECS {
        errors.add(&field("timeout"), format!("must be at most {MAX_TIMEOUT_SECS} seconds (one week)"));
    }
    if fields.retries > MAX_RETRIES {
        errors.add(&field("retries"), format!("must be at most {MAX_RETRIES}"));
    }
    match parse_mounts(&fields.volume_mount) {
        Ok(mounts) => out.volume_mount = format_mounts(&mounts),
        Err(e) => errors.add(&field("volume_mount"), e.to_string()),
    }
    errors.finish().map(|()| out)
}

/// A task's mounts: the project's first, then the template's, then the task's own; the
/// first mount at each path wins. Inputs were checked before.
pub fn effective_mounts(project: &[Mount], template: &str, task: &str) -> String {
    let template = parse_mounts(template).unwrap_or_default();
    let task = parse_mounts(task).unwrap_or_default();
    format_mounts(&merge_mounts([project, template.as_slice(), task.as_slice()]))
}

/// The DAG's edges, upstream → downstream.
pub fn dag_edges(dag: &Dag) -> Vec<Edge> {
    dag.iter().flat_map(|(task, upstream)| upstream.iter().map(move |up| Edge::new(up.clone(), task.clone()))).collect()
}

/// The DAG of a set of edges, every task present (with an empty upstream if it has none).
pub fn dag_from_edges(tasks: &[String], edges: &[Edge]) -> Dag {
    let mut dag: Dag = tasks.iter().map(|t| (t.clone(), Vec::new())).collect();
    for edge in edges {
        dag.entry(edge.to.clone()).or_default().push(edge.from.clone());
    }
    dag
}

/// Checks the DAG against the pipeline's task names and returns it complete: every task
/// present, no unknown task, no self-loop, no duplicate edge, no cycle.
pub fn check_dag(dag: &Dag, tasks: &[String]) -> Result<Dag, String> {
    let known: HashSet<&str> = tasks.iter().map(String::as_str).collect();
    if let Some(unknown) = dag.keys().find(|k| !known.contains(k.as_str())) {
        return Err(format!("names the unknown task '{unknown}'"));
    }
    let edges = dag_edges(dag);
    match topological_order(tasks, &edges) {
        Ok(_) => Ok(dag_from_edges(tasks, &edges)),
        Err(DagError::UnknownTask { task, .. }) => Err(format!("names the unknown task '{task}'")),
        Err(e) => Err(e.to_string()),
    }
}

/// Renames a task in the DAG and the canvas layout.
pub fn rename_task(fields: &mut PipelineFields, old: &str, new: &str) {
    if old == new {
        return;
    }
    if let Some(upstream) = fields.dag.remove(old) {
        fields.dag.insert(new.to_owned(), upstream);
    }
    for upstream in fields.dag.values_mut() {
        for name in upstream.iter_mut().filter(|n| *n == old) {
            *name = new.to_owned();
        }
    }
    if let Some(position) = fields.expand.layout.remove(old) {
        fields.expand.layout.insert(new.to_owned(), position);
    }
}

/// Removes a task from the DAG (with its edges) and the layout.
pub fn remove_task(fields: &mut PipelineFields, name: &str) {
    fields.dag.remove(name);
    for upstream in fields.dag.values_mut() {
        upstream.retain(|n| n != name);
    }
    fields.expand.layout.remove(name);
}

/// Errors for task names used twice in one pipeline, naming the later occurrences.
pub fn duplicate_task_names(names: &[String]) -> Vec<FieldError> {
    let mut seen = HashSet::new();
    names
        .iter()
        .enumerate()
        .filter(|(_, name)| !seen.insert(name.as_str()))
        .map(|(i, name)| FieldError {
            field: format!("tasks[{i}].name"),
            message: format!("another task is named '{name}'"),
        })
        .collect()
}

#[cfg(test)]
#[path = "pipeline_rules_tests.rs"]
mod tests;
