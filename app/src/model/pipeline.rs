//! Pipelines and their tasks: the wire types of `/api/v1/pipelines`, the editor's document
//! (`graph`) and the portable export format.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{NamedRef, PipelineId, ProjectId, TaskId};

/// One status vocabulary for runs and tasks everywhere (API, UI, engines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Skipped,
    /// A cleared run whose record is kept.
    Deleted,
}

impl RunStatus {
    pub const ALL: &'static [RunStatus] =
        &[Self::Pending, Self::Running, Self::Succeeded, Self::Failed, Self::Cancelled, Self::Skipped, Self::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|status| status.as_str() == s)
    }
}

/// How a pipeline is started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    /// Only by hand.
    #[default]
    Once,
    /// By a cron expression (and by hand).
    Cron,
}

impl ScheduleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Cron => "cron",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "once" => Some(Self::Once),
            "cron" => Some(Self::Cron),
            _ => None,
        }
    }
}

fn one() -> u32 {
    1
}

/// When scheduled runs happen and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Schedule {
    #[serde(default)]
    pub kind: ScheduleKind,
    /// Five-field cron expression or `@daily`-style nickname (kind `cron`).
    #[serde(default)]
    pub cron: String,
    /// Catch-up start: scheduled runs are created from this instant on.
    #[serde(default)]
    pub catchup_start: Option<DateTime<Utc>>,
    /// A scheduled run waits until the previous one succeeded.
    #[serde(default)]
    pub depends_on_past: bool,
    /// Scheduled runs allowed at once.
    #[serde(default = "one")]
    pub max_active_runs: u32,
    /// Keep only the newest N scheduled runs (0 keeps all).
    #[serde(default)]
    pub keep_newest: u32,
    /// IANA time zone the cron is read in (`Europe/Berlin`); empty: the server's zone.
    #[serde(default)]
    pub timezone: String,
    /// A paused schedule creates no runs; resuming it starts from that moment.
    #[serde(default)]
    pub paused: bool,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            kind: ScheduleKind::Once,
            cron: String::new(),
            catchup_start: None,
            depends_on_past: false,
            max_active_runs: 1,
            keep_newest: 0,
            timezone: String::new(),
            paused: false,
        }
    }
}

fn default_alert_statuses() -> Vec<RunStatus> {
    vec![RunStatus::Failed]
}

/// Who hears about which run statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alerts {
    #[serde(default = "default_alert_statuses")]
    pub statuses: Vec<RunStatus>,
    /// Usernames told besides the pipeline's creator.
    #[serde(default)]
    pub users: Vec<String>,
}

impl Default for Alerts {
    fn default() -> Self {
        Self { statuses: default_alert_statuses(), users: Vec::new() }
    }
}

/// A node's top-left corner on the editor canvas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// `expand` of a pipeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineExpand {
    /// Shown in the homepage gallery; read-only until copied.
    #[serde(default)]
    pub demo: bool,
    /// Picture of the gallery card (URL or path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub img: Option<String>,
    /// Canvas position of each task, by task name.
    #[serde(default)]
    pub layout: BTreeMap<String, Position>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Map<String, Value>,
}

/// The DAG: each task's upstream tasks, by name. Tasks without upstream may be left out.
pub type Dag = BTreeMap<String, Vec<String>>;

/// The settings of a pipeline, without its project (shared by input, output and export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineFields {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `KEY=VALUE` lines every task gets.
    #[serde(default)]
    pub global_env: String,
    /// Tasks of one run allowed at once.
    #[serde(default = "one")]
    pub parallelism: u32,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub alerts: Alerts,
    #[serde(default)]
    pub expand: PipelineExpand,
    #[serde(default)]
    pub dag: Dag,
}

/// Body of `POST /api/v1/pipelines` and `PUT /api/v1/pipelines/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineInput {
    pub project_id: ProjectId,
    #[serde(flatten)]
    pub fields: PipelineFields,
}

/// A pipeline as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pipeline {
    pub id: PipelineId,
    pub project: NamedRef,
    #[serde(flatten)]
    pub fields: PipelineFields,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the caller may change it.
    pub editable: bool,
}

/// CPU, memory and GPU requests of a task (strings of the resource grammar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskResources {
    pub cpu: String,
    pub memory: String,
    pub gpu: String,
}

impl Default for TaskResources {
    fn default() -> Self {
        Self { cpu: "2".into(), memory: "2G".into(), gpu: "0".into() }
    }
}

/// The settings of a task, without its template (shared by input, output and export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskFields {
    /// Unique in its pipeline; the DAG refers to it.
    pub name: String,
    /// Display name (defaults to the name).
    #[serde(default)]
    pub label: String,
    /// Argument values, checked against the template's schema (missing ones get defaults).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub args: Map<String, Value>,
    /// Overrides the template's working directory when set.
    #[serde(default)]
    pub workdir: String,
    /// Overrides the template's command when set.
    #[serde(default)]
    pub command: String,
    /// The task's own extra mounts; the project's and the template's are added when it runs
    /// (the first mount at a path wins: project, template, task).
    #[serde(default)]
    pub volume_mount: String,
    #[serde(default)]
    pub resources: TaskResources,
    /// Seconds; 0 means no limit.
    #[serde(default)]
    pub timeout: u32,
    #[serde(default)]
    pub retries: u32,
    /// Left out of runs.
    #[serde(default)]
    pub skip: bool,
}

/// A task in a save request: with `id` it replaces that task, without it is new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<TaskId>,
    pub template_id: i64,
    #[serde(flatten)]
    pub fields: TaskFields,
}

/// A task as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: TaskId,
    pub pipeline_id: PipelineId,
    /// Sent back as is in a save.
    pub template_id: i64,
    pub template_name: String,
    #[serde(flatten)]
    pub fields: TaskFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Everything the editor shows: `GET /api/v1/pipelines/{id}/graph`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineGraph {
    pub pipeline: Pipeline,
    pub tasks: Vec<Task>,
}

/// The editor's save: `PUT /api/v1/pipelines/{id}/graph` replaces settings and tasks at once
/// (tasks left out are deleted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GraphInput {
    pub pipeline: PipelineInput,
    #[serde(default)]
    pub tasks: Vec<TaskInput>,
    /// The pipeline's `updated_at` when the editor loaded it: a save over a version saved
    /// since then is refused (409) instead of silently replacing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_updated_at: Option<DateTime<Utc>>,
}

/// A task of an exported pipeline; the template is named, so exports move between
/// installations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedTask {
    pub template: String,
    #[serde(flatten)]
    pub fields: TaskFields,
}

/// `GET /api/v1/pipelines/{id}/export`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineExport {
    pub pipeline: PipelineFields,
    pub tasks: Vec<ExportedTask>,
}

/// Body of `POST /api/v1/pipelines/import`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineImport {
    pub project_id: ProjectId,
    /// Imports under this name instead of the exported one.
    #[serde(default)]
    pub name: Option<String>,
    pub document: PipelineExport,
}

/// Body of `POST /api/v1/pipelines/{id}/copy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineCopy {
    /// Target project; defaults to the source's project when the caller belongs to it,
    /// else to the first project the caller belongs to.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
}

/// Filters of `GET /api/v1/pipelines`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct PipelineQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    /// Only demo pipelines (of any project).
    pub demo: Option<bool>,
    /// Only the caller's own.
    pub mine: Option<bool>,
    /// Only others' pipelines in projects the caller belongs to.
    pub shared: Option<bool>,
    pub project_id: Option<ProjectId>,
    /// Name or description contains this text.
    pub q: Option<String>,
}

/// A row of `GET /api/v1/pipelines` (without DAG and layout, which can be large).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineSummary {
    pub id: PipelineId,
    pub project: NamedRef,
    pub name: String,
    pub description: String,
    pub demo: bool,
    pub img: Option<String>,
    pub schedule: ScheduleKind,
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// Whether the caller may change it.
    pub editable: bool,
}
