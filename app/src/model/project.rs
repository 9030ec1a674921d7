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

/// A project group's typed `expand`, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ProjectExpand {
    Org(crate::domain::project_expand::OrgExpand),
    Category(crate::domain::project_expand::CategoryExpand),
}

/// A project group: an org project (team, resource group) or a template category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub kind: ProjectKind,
    pub description: String,
    pub expand: ProjectExpand,
    /// Username of the creator (none for seeded projects).
    pub created_by: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub member_count: u64,
    /// The caller's role in the project, if a member.
    pub my_role: Option<ProjectRole>,
    /// Notes about the input, e.g. unknown expand keys that were kept.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Body of `POST /api/v1/projects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProject {
    pub name: String,
    pub kind: ProjectKind,
    #[serde(default)]
    pub description: String,
    /// Kind-specific settings (see `ProjectExpand`); absent keys take their defaults.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub expand: serde_json::Map<String, serde_json::Value>,
}

/// Body of `PATCH /api/v1/projects/{id}`: absent fields stay; `expand` is replaced whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub expand: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Filters of `GET /api/v1/projects`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct ProjectQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    /// Only projects of this kind.
    pub kind: Option<ProjectKind>,
    /// Only projects the caller belongs to.
    pub mine: Option<bool>,
}

/// A member of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user_id: super::UserId,
    pub username: String,
    pub role: ProjectRole,
    pub since: chrono::DateTime<chrono::Utc>,
}

/// Body of `POST /api/v1/projects/{id}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMember {
    pub username: String,
    pub role: ProjectRole,
}

/// Body of `PATCH /api/v1/projects/{id}/members/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberUpdate {
    pub role: ProjectRole,
}
