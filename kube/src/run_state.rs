//! A Workflow's status as Cubist's run and task states: Argo's phases mapped onto the one
//! status vocabulary of runs, each task with its attempts and times. A workflow that was
//! told to stop (`shutdown`) ends `cancelled`, as do the tasks it stopped or never started.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;

use app::model::RunStatus;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

use crate::argo::{NodeStatus, Phase, Workflow, WorkflowStatus};
use crate::workflows::STOPPED_AT;

/// One task of a run as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    pub name: String,
    pub status: RunStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub message: String,
    /// Pods run for it so far (retries included), in order.
    pub attempts: Vec<AttemptState>,
}

/// One pod run for a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptState {
    /// The node's id, which its pod carries (annotation [`NODE_ID`]).
    pub node_id: String,
    pub status: RunStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The main container's exit code, once it has one.
    pub exit_code: Option<i32>,
    pub message: String,
}

/// The annotation naming the node a pod of a Workflow runs.
pub const NODE_ID: &str = "workflows.argoproj.io/node-id";

/// A run as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    pub status: RunStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub message: String,
    pub tasks: Vec<TaskState>,
}

fn time(text: Option<&String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
}

/// `stopped`: the failure came with or after Cubist's stop, not before it.
fn status_of(phase: Option<Phase>, stopped: bool, done: bool) -> RunStatus {
    match phase {
        Some(Phase::Succeeded) => RunStatus::Succeeded,
        Some(Phase::Skipped) => RunStatus::Skipped,
        // Not run because an upstream task did not succeed.
        Some(Phase::Omitted) => RunStatus::Cancelled,
        Some(Phase::Failed | Phase::Error) if stopped => RunStatus::Cancelled,
        Some(Phase::Failed | Phase::Error) => RunStatus::Failed,
        // The workflow ended around it (stopped, deadline): it will not finish.
        Some(Phase::Running) if done => RunStatus::Cancelled,
        Some(Phase::Running) => RunStatus::Running,
        Some(Phase::Pending | Phase::Unknown) | None if done => RunStatus::Cancelled,
        Some(Phase::Pending | Phase::Unknown) | None => RunStatus::Pending,
    }
}

/// The node of each task: the one named after it (a retried task's attempts are its
/// children, named `<task>(<n>)`); the DAG nodes of a large pipeline's parts are not tasks.
fn task_nodes(nodes: &BTreeMap<String, NodeStatus>) -> std::collections::HashMap<&str, &NodeStatus> {
    nodes
        .values()
        .filter(|n| matches!(n.kind.as_str(), "Pod" | "Retry" | "Skipped"))
        // A part of a large pipeline that did not run is a skipped node named after it.
        .filter(|n| !n.template_name.as_deref().is_some_and(crate::workflow::is_dag_template))
        .map(|n| (n.display_name.as_str(), n))
        .collect()
}

/// The status's nodes, unpacked when Argo compressed them (gzip, then base64).
fn nodes_of(status: &WorkflowStatus) -> Cow<'_, BTreeMap<String, NodeStatus>> {
    let Some(packed) = status.compressed_nodes.as_deref().filter(|_| status.nodes.is_empty()) else {
        return Cow::Borrowed(&status.nodes);
    };
    let unpacked = STANDARD.decode(packed.trim()).ok().and_then(|gzipped| {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(gzipped.as_slice()).read_to_end(&mut json).ok()?;
        serde_json::from_slice(&json).ok()
    });
    if unpacked.is_none() {
        tracing::warn!("a workflow's compressed node list could not be read");
    }
    Cow::Owned(unpacked.unwrap_or_default())
}

/// The pods of a task's node: the node itself, or a retried task's children in order.
fn attempts_of(
    nodes: &BTreeMap<String, NodeStatus>,
    node: &NodeStatus,
    by_stop: &dyn Fn(Option<DateTime<Utc>>) -> bool,
    done: bool,
) -> Vec<AttemptState> {
    let pods: Vec<&NodeStatus> = match node.kind.as_str() {
        "Pod" => vec![node],
        "Retry" => node.children.iter().filter_map(|id| nodes.get(id)).collect(),
        _ => Vec::new(),
    };
    pods.into_iter()
        .map(|pod| {
            let finished_at = time(pod.finished_at.as_ref());
            AttemptState {
                node_id: pod.id.clone(),
                status: status_of(pod.phase, by_stop(finished_at), done),
                started_at: time(pod.started_at.as_ref()),
                finished_at,
                exit_code: pod.outputs.as_ref().and_then(|o| o.exit_code.as_deref()).and_then(|c| c.parse().ok()),
                message: pod.message.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// The state of the run `workflow` carries, its tasks in the order of `tasks`.
pub fn run_state(workflow: &Workflow, tasks: &[String]) -> RunState {
    let status = workflow.status.clone().unwrap_or_default();
    let stopped_at = workflow
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(STOPPED_AT))
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let stopped = workflow.spec.shutdown.is_some();
    // Whether something that ended at `finished` ended by the stop (a stop of unknown time
    // counts for everything).
    let by_stop = |finished: Option<DateTime<Utc>>| {
        stopped
            && match (stopped_at, finished) {
                (Some(at), Some(finished)) => finished >= at,
                _ => true,
            }
    };
    let done = status.phase.is_some_and(Phase::is_final);
    let nodes = nodes_of(&status);
    let by_task = task_nodes(&nodes);
    let tasks = tasks
        .iter()
        .map(|name| match by_task.get(name.as_str()).copied() {
            Some(node) => TaskState {
                name: name.clone(),
                status: status_of(node.phase, by_stop(time(node.finished_at.as_ref())), done),
                started_at: time(node.started_at.as_ref()),
                finished_at: time(node.finished_at.as_ref()),
                message: node.message.clone().unwrap_or_default(),
                attempts: attempts_of(&nodes, node, &by_stop, done),
            },
            None => TaskState {
                name: name.clone(),
                status: status_of(None, stopped, done),
                started_at: None,
                finished_at: None,
                message: String::new(),
                attempts: Vec::new(),
            },
        })
        .collect();
    RunState {
        status: status_of(status.phase, stopped, done),
        started_at: time(status.started_at.as_ref()),
        finished_at: time(status.finished_at.as_ref()),
        message: status.message.unwrap_or_default(),
        tasks,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::argo::WorkflowSpec;

    fn node(id: &str, name: &str, kind: &str, phase: Phase, children: &[&str]) -> (String, NodeStatus) {
        let node = NodeStatus {
            id: id.into(),
            display_name: name.into(),
            kind: kind.into(),
            phase: Some(phase),
            started_at: Some("2026-12-02T03:00:00Z".into()),
            finished_at: phase.is_final().then(|| "2026-12-02T03:00:05Z".into()),
            children: children.iter().map(|c| (*c).to_owned()).collect(),
            ..NodeStatus::default()
        };
        (id.to_owned(), node)
    }

    fn workflow(phase: Phase, shutdown: bool, nodes: Vec<(String, NodeStatus)>) -> Workflow {
        let spec = WorkflowSpec { shutdown: shutdown.then(|| "Terminate".into()), ..WorkflowSpec::default() };
        let mut workflow = Workflow::new("w", spec);
        workflow.status = Some(WorkflowStatus {
            phase: Some(phase),
            nodes: nodes.into_iter().collect::<BTreeMap<_, _>>(),
            ..WorkflowStatus::default()
        });
        workflow
    }

    fn names() -> Vec<String> {
        ["fetch", "train", "report"].map(String::from).to_vec()
    }

    #[test]
    fn phases_become_run_and_task_states_with_attempts() {
        let w = workflow(
            Phase::Failed,
            false,
            vec![
                node("a", "w", "DAG", Phase::Failed, &["b"]),
                node("b", "fetch", "Pod", Phase::Succeeded, &[]),
                node("c", "train", "Retry", Phase::Failed, &["c0", "c1", "c2"]),
                node("c0", "train(0)", "Pod", Phase::Failed, &[]),
                node("c1", "train(1)", "Pod", Phase::Failed, &[]),
                node("c2", "train(2)", "Pod", Phase::Failed, &[]),
            ],
        );
        let state = run_state(&w, &names());
        assert_eq!(state.status, RunStatus::Failed);
        let got: Vec<(RunStatus, usize)> = state.tasks.iter().map(|t| (t.status, t.attempts.len())).collect();
        assert_eq!(got, [(RunStatus::Succeeded, 1), (RunStatus::Failed, 3), (RunStatus::Cancelled, 0)]);
        let ids: Vec<&str> = state.tasks[1].attempts.iter().map(|a| a.node_id.as_str()).collect();
        assert_eq!(ids, ["c0", "c1", "c2"], "attempts in order, each with its pod's node");
        assert!(state.tasks[1].attempts.iter().all(|a| a.status == RunStatus::Failed));
        assert!(state.tasks[0].finished_at.is_some());
    }

    #[test]
    fn a_part_that_did_not_run_is_not_a_task_of_its_name() {
        // Listed after the task (nodes are keyed by id), so without the rule it would win.
        let mut part = node("z", "part-2", "Skipped", Phase::Omitted, &[]).1;
        part.template_name = Some("part-2".into());
        let mut task = node("a", "part-2", "Pod", Phase::Succeeded, &[]).1;
        task.template_name = Some("tasks-1".into());
        let w = workflow(Phase::Failed, false, vec![("z".into(), part), ("a".into(), task)]);
        let state = run_state(&w, &["part-2".to_owned()]);
        assert_eq!(state.tasks[0].status, RunStatus::Succeeded, "the task named part-2, not the part");
    }

    #[test]
    fn compressed_node_lists_are_read() {
        let plain = workflow(Phase::Succeeded, false, vec![node("b", "fetch", "Pod", Phase::Succeeded, &[])]);
        let mut status = plain.status.clone().unwrap();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(&serde_json::to_vec(&status.nodes).unwrap()).unwrap();
        status.compressed_nodes = Some(STANDARD.encode(gzip.finish().unwrap()));
        status.nodes.clear();
        let mut packed = plain.clone();
        packed.status = Some(status);
        assert_eq!(run_state(&packed, &names()), run_state(&plain, &names()));
        assert_eq!(run_state(&packed, &names()).tasks[0].status, RunStatus::Succeeded);
    }

    #[test]
    fn a_task_that_failed_before_the_stop_stays_failed() {
        let mut w = workflow(Phase::Failed, true, vec![node("b", "fetch", "Pod", Phase::Failed, &[])]);
        let stop = |at: &str| BTreeMap::from([(STOPPED_AT.to_owned(), at.to_owned())]);
        w.metadata.annotations = Some(stop("2026-12-02T03:00:10Z"));
        assert_eq!(run_state(&w, &names()).tasks[0].status, RunStatus::Failed, "it failed at 03:00:05");
        w.metadata.annotations = Some(stop("2026-12-02T03:00:02Z"));
        assert_eq!(run_state(&w, &names()).tasks[0].status, RunStatus::Cancelled);
    }

    #[test]
    fn a_stopped_workflow_is_cancelled_and_skips_stay_skipped() {
        let w = workflow(
            Phase::Failed,
            true,
            vec![node("b", "fetch", "Pod", Phase::Failed, &[]), node("c", "report", "Skipped", Phase::Skipped, &[])],
        );
        let state = run_state(&w, &names());
        assert_eq!(state.status, RunStatus::Cancelled);
        let got: Vec<RunStatus> = state.tasks.iter().map(|t| t.status).collect();
        assert_eq!(got, [RunStatus::Cancelled, RunStatus::Cancelled, RunStatus::Skipped]);
        let running = workflow(Phase::Running, false, vec![node("b", "fetch", "Pod", Phase::Running, &[])]);
        let got: Vec<RunStatus> = run_state(&running, &names()).tasks.iter().map(|t| t.status).collect();
        assert_eq!(got, [RunStatus::Running, RunStatus::Pending, RunStatus::Pending]);
    }
}
