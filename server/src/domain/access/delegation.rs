//! Delegated administration: holders of `edit:users` or `edit:roles` who are not
//! administrators manage accounts and roles, but never beyond what they hold themselves, so
//! a delegated manager cannot make anybody (themselves included) more powerful than they are.

use std::collections::HashSet;

use app::domain::permissions::PermissionKey;

use super::Who;
use crate::domain::Error;

/// What a change to an account touches, as far as the rules care.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountChange {
    /// The account holds the `Admin` role.
    pub target_admin: bool,
    /// The account holds a permission the caller does not.
    pub target_exceeds: bool,
    /// The change gives or takes roles.
    pub roles: bool,
}

/// Whether `who` may make `change` to an account (creating one is a change with no target).
pub fn account_change(who: Who, change: AccountChange) -> Result<(), Error> {
    if who.admin {
        Ok(())
    } else if change.roles {
        Err(Error::Forbidden("roles: only administrators give or take roles".into()))
    } else if change.target_admin {
        Err(Error::Forbidden("only administrators change an administrator's account".into()))
    } else if change.target_exceeds {
        Err(Error::Forbidden("this account holds permissions you do not: only administrators change it".into()))
    } else {
        Ok(())
    }
}

/// Facts about a role that is to be changed or deleted.
#[derive(Debug, Clone, Copy)]
pub struct RoleFacts {
    /// Built in (`Admin`, `Gamma`): follows the code.
    pub builtin: bool,
    /// The caller holds this role.
    pub held: bool,
}

/// Whether `who` may change or delete a role.
pub fn role_change(who: Who, role: RoleFacts) -> Result<(), Error> {
    if role.builtin {
        Err(Error::Conflict {
            field: "kind",
            message: "built-in roles follow the code and cannot be changed; create a custom role instead".into(),
        })
    } else if role.held && !who.admin {
        Err(Error::Forbidden("you hold this role: only administrators change the roles they hold".into()))
    } else {
        Ok(())
    }
}

/// Whether `who`, holding `held`, may put every permission of `wanted` into a role.
pub fn grant(who: Who, held: &HashSet<PermissionKey>, wanted: &[PermissionKey]) -> Result<(), Error> {
    match wanted.iter().find(|key| !who.admin && !held.contains(key)) {
        Some(key) => Err(Error::Forbidden(format!("permissions: you cannot grant '{key}', which you do not hold"))),
        None => Ok(()),
    }
}
