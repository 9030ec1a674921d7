//! The permission vocabulary: (action, resource) pairs. The server creates the rows from its
//! route table and the menu at start; `Admin` gets them all, `Gamma` all but the admin areas.

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What a request does to a resource.
    Action {
        /// See the entry in a menu.
        Menu = "menu",
        List = "list",
        Show = "show",
        Add = "add",
        /// Duplicate a resource.
        Copy = "copy",
        Edit = "edit",
        Delete = "delete",
        /// Open an interactive shell in a task's environment.
        Debug = "debug",
    }
);

string_enum!(
    /// A module of the product, named like its API collection.
    Resource {
        Home = "home",
        Account = "account",
        ApiTokens = "api-tokens",
        Projects = "projects",
        ProjectMembers = "project-members",
        Repositories = "repositories",
        Images = "images",
        JobTemplates = "job-templates",
        Pipelines = "pipelines",
        /// Tasks of pipelines (also single-task debug and runs).
        Tasks = "tasks",
        /// Runs of pipelines and their logs.
        Runs = "runs",
        /// External panels (dashboards) shown inside Cubist.
        Panels = "panels",
        Users = "users",
        Roles = "roles",
        Permissions = "permissions",
        AuditLog = "audit-log",
        Clusters = "clusters",
        Machines = "machines",
        /// The server's periodic jobs (the scheduler and housekeeping).
        BackgroundJobs = "background-jobs",
        /// The Prometheus metrics endpoint.
        Metrics = "metrics",
    }
);

impl Resource {
    /// Resources only administrators get by default: the security and infrastructure areas.
    pub fn is_admin_only(self) -> bool {
        matches!(
            self,
            Self::Users
                | Self::Roles
                | Self::Permissions
                | Self::AuditLog
                | Self::Clusters
                | Self::Machines
                | Self::BackgroundJobs
                | Self::Metrics
        )
    }
}

/// One permission: may do `action` on `resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionKey {
    pub action: Action,
    pub resource: Resource,
}

impl PermissionKey {
    pub const fn new(action: Action, resource: Resource) -> Self {
        Self { action, resource }
    }

    /// Whether the built-in `Gamma` role (every ordinary user) holds it. Debug shells are
    /// granted by administrators: on the local engine they run as the server's own user.
    pub fn in_gamma(self) -> bool {
        !self.resource.is_admin_only() && self.action != Action::Debug
    }
}

impl std::fmt::Display for PermissionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.action, self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
        for r in Resource::ALL {
            assert_eq!(Resource::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Resource::parse("nope"), None);
    }

    #[test]
    fn gamma_excludes_exactly_the_admin_areas() {
        let users = PermissionKey::new(Action::List, Resource::Users);
        let tokens = PermissionKey::new(Action::Add, Resource::ApiTokens);
        assert!(!users.in_gamma());
        assert!(tokens.in_gamma());
        assert!(!PermissionKey::new(Action::Debug, Resource::Tasks).in_gamma(), "host shells are granted, not given");
        assert_eq!(users.to_string(), "list:users");
    }
}
