//! Scheduled records and the server's periodic jobs: the wire types of
//! `/api/v1/pipelines/{id}/schedule/...` and `/api/v1/background-jobs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RunStatus, Schedule};

/// Where one execution date of a schedule stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// Recorded, waiting for its turn (see `reason` when something holds it).
    Waiting,
    /// Its run was created; the run's status says the rest.
    Started,
    /// Never run; `reason` says why.
    Skipped,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Started => "started",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "waiting" => Some(Self::Waiting),
            "started" => Some(Self::Started),
            "skipped" => Some(Self::Skipped),
            _ => None,
        }
    }
}

/// One execution date of a pipeline's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleRecord {
    pub id: i64,
    pub execution_date: DateTime<Utc>,
    pub state: RecordState,
    /// Why it was skipped, or what it waits for.
    pub reason: String,
    /// Its run, once started (gone when the run was deleted).
    pub run_id: Option<String>,
    /// The run's status, once started.
    pub run_status: Option<RunStatus>,
    pub created_at: DateTime<Utc>,
}

/// What saving a schedule would create: asked before saving, so nobody floods a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchedulePreview {
    /// Runs created at once by the catch-up (at most `cap` per pass; the rest follow).
    pub catchup_runs: u64,
    /// The first and last catch-up execution dates.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// How many catch-up runs one pass of the scheduler creates at most.
    pub cap: u32,
    /// The next execution dates after now.
    pub next: Vec<DateTime<Utc>>,
    /// The time zone the cron is read in.
    pub timezone: String,
    /// The preview in words ("this creates 14 runs from … to …").
    pub summary: String,
}

/// The schedule to preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchedulePreviewInput {
    pub schedule: Schedule,
}

/// One periodic job of the server, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackgroundJob {
    pub name: String,
    pub next_at: DateTime<Utc>,
    /// The replica working on it now, if any.
    pub running_on: Option<String>,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_finished_at: Option<DateTime<Utc>>,
    /// The last pass's error (empty when it went well).
    pub last_error: String,
    /// Failed passes in a row (each one waits longer before the next try).
    pub failures: u32,
    /// Passes done since the job was created.
    pub passes: u64,
}

/// A range of execution dates to record (both ends included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backfill {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// How many execution dates a backfill recorded (dates already recorded are left alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackfillOutcome {
    pub added: u64,
}
