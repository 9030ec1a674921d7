//! The runs on clusters this server follows, and how one ends when its Workflow cannot
//! tell: tasks that had started fail as interrupted, tasks that had not are cancelled.

use std::collections::HashMap;
use std::time::Instant;

use app::model::RunStatus;
use cubist_kube::argo::Workflow;
use cubist_kube::run_state::RunState;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use super::ClusterInner;
use crate::db::runs::{RunChanges, TaskChanges};
use crate::engine::process::LogChunk;

/// Which Workflow is a tracked run's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Its Workflow is being created: events of an earlier Workflow of the same run id (a
    /// single task rerun) are not its own; what happened meanwhile is read back after.
    Submitting,
    /// The Workflow with this uid.
    Uid(String),
    /// Any Workflow carrying the run id (runs taken up after a restart).
    Any,
}

/// A run on a cluster that has not ended yet.
pub struct Tracked {
    pub pk: i64,
    pub cluster: String,
    pub namespace: String,
    /// The Workflow's name.
    pub workflow: String,
    pub owner: Owner,
    pub tasks: Vec<String>,
    /// The state last mirrored into the records, and the Workflow's version it came from.
    pub last: Option<RunState>,
    pub version: Option<u64>,
    /// Pod nodes whose output is being copied (or was), each with the switch that tells its
    /// copy the attempt has ended.
    pub copying: HashMap<String, watch::Sender<bool>>,
    /// The copies in progress.
    pub copies: JoinSet<()>,
    /// Live output of each running task, across its attempts.
    pub streams: HashMap<String, broadcast::Sender<LogChunk>>,
    /// Taken up after a restart: logs already copied for ended attempts are kept.
    pub resumed: bool,
    /// Since when it is tracked: a relist that started earlier must have listed it.
    pub since: Instant,
    /// Its end is being recorded (output copied, then the final state).
    pub finishing: bool,
    /// A stop was asked for while its Workflow was being created.
    pub stop_requested: bool,
    /// Turns true once its end is recorded.
    pub done: watch::Sender<bool>,
}

impl Tracked {
    /// Whether `workflow` is this run's.
    pub fn owns(&self, workflow: &Workflow) -> bool {
        let namespace_ok = workflow.metadata.namespace.as_deref() == Some(self.namespace.as_str());
        namespace_ok
            && match &self.owner {
                Owner::Submitting => false,
                Owner::Uid(uid) => workflow.metadata.uid.as_ref() == Some(uid),
                Owner::Any => true,
            }
    }

    /// Whether `workflow` is older than the state already mirrored.
    pub fn is_stale(&self, workflow: &Workflow) -> bool {
        let version = workflow.metadata.resource_version.as_deref().and_then(|v| v.parse::<u64>().ok());
        matches!((self.version, version), (Some(seen), Some(now)) if now < seen)
    }
}

impl ClusterInner {
    /// Closes the live output of every task of a run that ends.
    pub(super) fn close_streams(
        &self,
        run_id: &str,
        pk: i64,
        streams: &mut HashMap<String, broadcast::Sender<LogChunk>>,
    ) {
        for (task, _) in streams.drain() {
            self.files.close_stream(pk, run_id, &task);
        }
    }

    /// Ends a tracked run as failed with `message` if `whose` holds for it (and its end is
    /// not being recorded already).
    pub(super) async fn fail_if(&self, run_id: &str, message: &str, whose: impl FnOnce(&Tracked) -> bool) {
        let taken = {
            let mut tracked = self.tracked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match tracked.get(run_id) {
                Some(run) if !run.finishing && whose(run) => tracked.remove(run_id),
                _ => None,
            }
        };
        let Some(mut run) = taken else { return };
        let writer = &self.files.writer;
        for name in &run.tasks {
            let seen = run.last.as_ref().and_then(|l| l.tasks.iter().find(|t| &t.name == name)).map(|t| t.status);
            let (status, why) = match seen {
                Some(status) if !status.is_active() => continue,
                Some(RunStatus::Running) => (RunStatus::Failed, format!("interrupted: {message}")),
                _ => (RunStatus::Cancelled, format!("not run: {message}")),
            };
            let changes = TaskChanges {
                status: Some(status.as_str().into()),
                message: Some(why),
                finished_at: Some(Some(crate::db::now())),
                ..TaskChanges::default()
            };
            writer.task(run.pk, name, changes);
        }
        writer.run(run.pk, ended_now(RunStatus::Failed, message.to_owned()));
        writer.flush().await;
        self.close_streams(run_id, run.pk, &mut run.streams);
        let _ = run.done.send(true);
        self.files.opened.notify_waiters();
    }
}

/// The write that ends a run now.
pub fn ended_now(status: RunStatus, message: String) -> RunChanges {
    RunChanges {
        status: Some(status.as_str().into()),
        message: Some(message),
        started_at: None,
        finished_at: Some(Some(crate::db::now())),
    }
}
