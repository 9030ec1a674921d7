//! Newtype ids, so a user id can never be passed where a role id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )*};
}

id_type!(
    /// A user account.
    UserId,
    /// A role (built-in, personal or custom).
    RoleId,
    /// An (action, resource) permission.
    PermissionId,
    /// A project group.
    ProjectId,
    /// An API token.
    TokenId,
    /// An audit-log entry.
    AuditId,
    /// A pipeline.
    PipelineId,
    /// A task of a pipeline.
    TaskId,
);
