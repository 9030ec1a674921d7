//! Roles: named bundles of permissions bound to users.

use serde::{Deserialize, Serialize};

use super::{PermissionId, RoleId};

/// How a role came to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoleKind {
    /// `Admin` and `Gamma`: their permissions are kept in sync with the code.
    Builtin,
    /// Created for one user on first login and named after them.
    Personal,
    /// Created by an administrator.
    Custom,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Personal => "personal",
            Self::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "builtin" => Some(Self::Builtin),
            "personal" => Some(Self::Personal),
            "custom" => Some(Self::Custom),
            _ => None,
        }
    }
}

/// A role reference inside other resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleRef {
    pub id: RoleId,
    pub name: String,
}

/// A role with its permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub kind: RoleKind,
    pub permissions: Vec<PermissionId>,
    pub user_count: u64,
}

/// Body of `POST /api/v1/roles` and `PUT /api/v1/roles/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleInput {
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<PermissionId>,
}

/// Filters of `GET /api/v1/roles`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct RoleQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    /// Only roles whose name contains this text.
    pub q: Option<String>,
    /// Include personal roles (default true).
    pub personal: Option<bool>,
}
