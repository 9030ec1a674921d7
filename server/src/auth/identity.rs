//! The authenticated caller, as the guard hands it to handlers.

use std::collections::HashSet;

use app::domain::permissions::PermissionKey;
use app::model::UserId;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVia {
    /// A browser session; writes must echo this CSRF token.
    Session { csrf_token: String },
    /// An API token (no CSRF: browsers never send it on their own).
    ApiToken,
}

/// The signed-in user and everything they may do.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: UserId,
    pub username: String,
    pub permissions: HashSet<PermissionKey>,
    pub via: AuthVia,
    /// Holds the built-in `Admin` role (row-level rules: sees and manages everything).
    pub is_admin: bool,
}

impl Identity {
    pub fn can(&self, permission: PermissionKey) -> bool {
        self.permissions.contains(&permission)
    }

    /// Whether the caller holds the `Admin` role (the test for admin-only row rules).
    pub fn is_admin(&self) -> bool {
        self.is_admin
    }
}
