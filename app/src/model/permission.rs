//! Permissions as seen on the wire.

use serde::{Deserialize, Serialize};

use super::PermissionId;
use crate::domain::permissions::{Action, Resource};

/// One (action, resource) pair stored in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permission {
    pub id: PermissionId,
    pub action: Action,
    pub resource: Resource,
    /// Whether only administrators get it by default (not part of Gamma).
    pub admin_only: bool,
}
