//! Login, the current user, and API tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ProjectMembership, RoleRef, TokenId, User};
use crate::domain::permissions::PermissionKey;

/// Body of `POST /api/v1/auth/login` and `/auth/break-glass`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The ways users may sign in, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum LoginMethod {
    Password,
    Oidc,
    TrustedHeader,
}

/// `GET /api/v1/auth/methods`: what the login page should offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginMethods {
    /// The main method; when it is not `password`, the password form is break-glass only.
    pub primary: LoginMethod,
    pub enabled: Vec<LoginMethod>,
    /// Where the browser goes to start single sign-on, if any.
    pub sso_url: Option<String>,
}

/// `GET /api/v1/me`: who is signed in and what they may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub user: User,
    pub roles: Vec<RoleRef>,
    pub permissions: Vec<PermissionKey>,
    pub projects: Vec<ProjectMembership>,
    /// How this server runs local tasks (every page warns when they are not isolated).
    #[serde(default)]
    pub task_isolation: TaskIsolation,
}

/// How the server runs local tasks and debug shells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskIsolation {
    /// Each in a sandbox of its own.
    #[default]
    Isolated,
    /// Unisolated, as the server's user: turned off by the administrator.
    Off,
    /// Isolation is wanted but cannot be set up here: local tasks are refused.
    Unavailable,
}

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Body of `POST /api/v1/me/tokens`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub name: String,
    /// Lifetime in days; absent means no expiry.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A freshly created token: the secret is shown this once and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// An external page (dashboard) an administrator configured to show inside Cubist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Panel {
    pub id: String,
    pub title: String,
    pub url: String,
}
