//! What a cluster takes of one Workflow: Argo's schema allows 200 templates per Workflow and
//! 200 tasks per DAG, and etcd keeps objects of about 1.5 MB. A run that would not fit is
//! refused before anything is recorded, saying why and what to change.

use crate::argo::Workflow;

/// The most templates (and tasks per DAG) Argo's schema allows in one Workflow.
pub const MAX_TEMPLATES: usize = 200;

/// The largest Workflow submitted: etcd's default request limit (1.5 MiB) less room for the
/// status Argo adds.
pub const MAX_WORKFLOW_BYTES: usize = 1_200_000;

/// Whether `workflow` (of a pipeline of `tasks` tasks) fits a cluster; if not, why.
pub fn check_limits(workflow: &Workflow, tasks: usize) -> Result<(), String> {
    let templates = workflow.spec.templates.len();
    if templates > MAX_TEMPLATES {
        return Err(format!(
            "the pipeline's {tasks} tasks need {templates} templates in one Workflow and Argo allows \
             {MAX_TEMPLATES}: tasks share a template when they differ only in image, command, arguments, \
             working directory and variables; give more of them the same resources, mounts, placement, \
             retries and timeout, or split the pipeline"
        ));
    }
    if let Some(dag) =
        workflow.spec.templates.iter().filter_map(|t| t.dag.as_ref()).find(|d| d.tasks.len() > MAX_TEMPLATES)
    {
        return Err(format!(
            "the pipeline's {tasks} tasks make a DAG of {} tasks and Argo allows {MAX_TEMPLATES}: split the pipeline",
            dag.tasks.len()
        ));
    }
    let size = serde_json::to_vec(workflow).map_or(0, |json| json.len());
    if size > MAX_WORKFLOW_BYTES {
        return Err(format!(
            "the run's Workflow would be {:.1} MB with {tasks} tasks; a cluster stores at most {:.1} MB per object: \
             split the pipeline",
            size as f64 / 1e6,
            MAX_WORKFLOW_BYTES as f64 / 1e6
        ));
    }
    Ok(())
}
