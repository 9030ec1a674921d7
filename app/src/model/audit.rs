//! Audit-log entries: one per write request, whatever its outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AuditId;

/// Whether the audited request did what it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    Denied,
    Failure,
}

impl AuditOutcome {
    /// Outcome of a request from its HTTP status.
    pub fn from_status(status: u16) -> Self {
        match status {
            200..=399 => Self::Success,
            401 | 403 => Self::Denied,
            _ => Self::Failure,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Denied => "denied",
            Self::Failure => "failure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Self::Success),
            "denied" => Some(Self::Denied),
            "failure" => Some(Self::Failure),
            _ => None,
        }
    }
}

/// One field a write changed: its dotted name, and its value before and after (absent when
/// the field did not exist or was empty; secrets show as `[redacted]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

/// One recorded write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    /// Who acted; `None` for anonymous requests (a failed login names the attempted user).
    pub username: Option<String>,
    pub method: String,
    pub path: String,
    /// The permission the route requires, as `action:resource`, if any.
    pub permission: Option<String>,
    pub status: u16,
    pub outcome: AuditOutcome,
    pub duration_ms: u64,
    pub client_ip: Option<String>,
    /// What the write changed, where the server knows (updates, creations, deletions).
    #[serde(default)]
    pub changes: Vec<FieldChange>,
}

/// Filters of `GET /api/v1/audit-log`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct AuditQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    /// Only entries of this user.
    pub username: Option<String>,
    /// Only entries with this outcome.
    pub outcome: Option<AuditOutcome>,
}
