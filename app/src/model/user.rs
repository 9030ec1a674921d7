//! User accounts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RoleId, RoleRef, UserId};
use crate::domain::language::Language;

/// A user as returned by the API (never with a password or hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub nickname: String,
    pub email: Option<String>,
    pub active: bool,
    pub roles: Vec<RoleRef>,
    /// Preferred UI language; `None` follows the browser.
    pub language: Option<Language>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
    /// Extra roles besides the personal role and Gamma, which every user gets.
    #[serde(default)]
    pub roles: Vec<RoleId>,
}

/// Body of `PATCH /api/v1/users/{id}`: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserUpdate {
    #[serde(default)]
    pub nickname: Option<String>,
    /// An empty string clears the address.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    /// The complete new set of roles.
    #[serde(default)]
    pub roles: Option<Vec<RoleId>>,
}

/// Body of `PATCH /api/v1/me`: what a user may change about themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeUpdate {
    #[serde(default)]
    pub nickname: Option<String>,
    /// `Some(None)` (JSON `null`) goes back to following the browser.
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Language>))]
    pub language: Option<Option<Language>>,
}

/// Distinguishes an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
