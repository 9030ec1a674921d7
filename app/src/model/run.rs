//! Runs of pipelines and of single tasks: the wire types of `/api/v1/runs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Dag, NamedRef, PipelineId, Position, RunStatus, TaskId};

/// How a run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Started by hand; a new manual run clears the previous one.
    Manual,
    /// Started by the schedule.
    Scheduled,
    /// One task run alone (`run-<pipeline id>-<task id>`).
    Task,
}

impl RunKind {
    pub const ALL: &'static [RunKind] = &[Self::Manual, Self::Scheduled, Self::Task];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Scheduled => "scheduled",
            Self::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "manual" => Some(Self::Manual),
            "scheduled" => Some(Self::Scheduled),
            "task" => Some(Self::Task),
            _ => None,
        }
    }
}

impl RunStatus {
    /// Whether the status can still change.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }
}

/// A run in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Run {
    /// 32 hex characters, or `run-<pipeline id>-<task id>` for a single-task run.
    pub run_id: String,
    pub pipeline: NamedRef,
    pub kind: RunKind,
    pub task_id: Option<TaskId>,
    pub status: RunStatus,
    pub runner: Option<String>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The execution date a scheduled run was made for.
    #[serde(default)]
    pub execution_date: Option<DateTime<Utc>>,
}

/// One try of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub number: u32,
    pub started_at: DateTime<Utc>,
    pub exit_code: Option<i32>,
    /// Why it ended when not by exiting (timeout, cancel).
    pub message: String,
    pub wall_ms: u64,
    /// CPU time of the task's processes; `None` where the machine cannot measure it (no
    /// cgroup for tasks).
    #[serde(default)]
    pub cpu_ms: Option<u64>,
    /// Peak memory of the task alone; `None` where the machine cannot measure it.
    #[serde(default)]
    pub max_rss_kb: Option<u64>,
}

/// A task inside a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunTask {
    pub name: String,
    pub label: String,
    pub task_id: TaskId,
    pub status: RunStatus,
    pub message: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: Vec<Attempt>,
}

/// `GET /api/v1/runs/{run_id}`: the run, its tasks, and its graph for drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunDetail {
    pub run: Run,
    pub tasks: Vec<RunTask>,
    /// Upstream tasks of each task in this run.
    pub dag: Dag,
    /// Canvas positions of the pipeline's tasks when the run started.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub layout: std::collections::BTreeMap<String, Position>,
}

/// Filters of the run lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct RunQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    pub pipeline_id: Option<PipelineId>,
    pub status: Option<RunStatus>,
    /// Only runs of this kind (`scheduled`: the pipeline's scheduled records).
    pub kind: Option<RunKind>,
}

/// `GET /api/v1/runs/{run_id}/tasks/{task}/logs` options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct LogQuery {
    /// Attempt number (default: the last).
    pub attempt: Option<u32>,
    /// Only the last N lines.
    pub tail: Option<u32>,
}
