//! Project groups, as far as accounts need them (membership on first login and in `/me`).

use serde::{Deserialize, Serialize};

use super::ProjectId;

/// A member's role inside a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProjectRole {
    Creator,
    Dev,
    Ops,
}

impl ProjectRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creator => "creator",
            Self::Dev => "dev",
            Self::Ops => "ops",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "creator" => Some(Self::Creator),
            "dev" => Some(Self::Dev),
            "ops" => Some(Self::Ops),
            _ => None,
        }
    }
}

/// The kind of a project group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ProjectKind {
    /// A team / resource group that owns pipelines.
    Org,
    /// A category of job templates.
    JobTemplate,
}

impl ProjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Org => "org",
            Self::JobTemplate => "job-template",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "org" => Some(Self::Org),
            "job-template" => Some(Self::JobTemplate),
            _ => None,
        }
    }
}

/// A project the current user belongs to, with their role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectMembership {
    pub project_id: ProjectId,
    pub name: String,
    pub role: ProjectRole,
}
