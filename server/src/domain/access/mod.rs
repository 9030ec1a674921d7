//! Row-level access: who may see, change and delete which rows. Every such rule of the server
//! lives in this module, as pure functions of facts the use cases load, so a reviewer finds
//! them all in one place and one table-driven test (`tests.rs`) covers every resource.
//!
//! The route guard has already checked the caller's permission for the kind of request
//! (`edit:pipelines`, …); these rules decide about the particular row. Administrators (the
//! `Admin` role) pass every row rule. Settings only administrators may use live in
//! [`powers`]; what delegated administrators may do to accounts and roles in [`delegation`].

pub mod delegation;
pub mod powers;
#[cfg(test)]
mod tests;

use app::model::{ProjectRole, UserId};

use super::Error;
use crate::auth::Identity;

/// What is asked of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Read it (and, for pipelines, copy or export it).
    See,
    /// Change it; for a pipeline also run it, cancel or clear its runs.
    Change,
    /// Remove it.
    Delete,
}

/// The caller as the rules see them.
#[derive(Debug, Clone, Copy)]
pub struct Who {
    pub user: UserId,
    pub admin: bool,
}

impl From<&Identity> for Who {
    fn from(identity: &Identity) -> Self {
        Self { user: identity.user_id, admin: identity.is_admin() }
    }
}

/// The facts about one row that its rules depend on.
#[derive(Debug, Clone, Copy)]
pub enum Row {
    /// A pipeline, and so its runs. `role` is the caller's role in its project.
    Pipeline { created_by: Option<UserId>, demo: bool, role: Option<ProjectRole> },
    /// A job template; released ones are for everybody to use.
    Template { created_by: Option<UserId>, released: bool },
    /// A registry repository or image: it holds credentials, so it is its creator's alone.
    Registry { created_by: Option<UserId> },
    /// A project group; `role` is the caller's role in it.
    Project { role: Option<ProjectRole> },
}

/// A rule's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Not found, as far as the caller can tell (the row's existence stays hidden).
    Hidden,
    /// Seen but not to be changed, with the reason.
    Refused(&'static str),
}

impl Verdict {
    /// The verdict as a use case's result; `what` names the row for "not found".
    pub fn check(self, what: &'static str) -> Result<(), Error> {
        match self {
            Verdict::Allowed => Ok(()),
            Verdict::Hidden => Err(Error::NotFound(what)),
            Verdict::Refused(reason) => Err(Error::Forbidden(reason.into())),
        }
    }

    pub fn allowed(self) -> bool {
        self == Verdict::Allowed
    }
}

const DEMO_READ_ONLY: &str = "this is a demo pipeline and read-only: copy it to your project to change it";
const PIPELINE_CHANGERS: &str = "only the pipeline's creator, its project's creators and administrators change it";
const TEMPLATE_CHANGERS: &str = "only administrators and the template's creator may change it";
const PROJECT_CHANGERS: &str = "only administrators and the project's creators may change it";
const PROJECT_DELETERS: &str = "only administrators delete projects";

/// The rule for `act` on `row`.
pub fn decide(who: Who, act: Act, row: Row) -> Verdict {
    if who.admin {
        return Verdict::Allowed;
    }
    let mine = |created_by: Option<UserId>| created_by == Some(who.user);
    match (row, act) {
        (Row::Pipeline { demo, role, .. }, Act::See) => seen(role.is_some() || demo),
        (Row::Pipeline { demo: true, .. }, _) => Verdict::Refused(DEMO_READ_ONLY),
        (Row::Pipeline { created_by, role, .. }, Act::Change | Act::Delete) => {
            if role.is_none() {
                Verdict::Hidden
            } else if mine(created_by) || role == Some(ProjectRole::Creator) {
                Verdict::Allowed
            } else {
                Verdict::Refused(PIPELINE_CHANGERS)
            }
        }
        (Row::Template { created_by, released }, Act::See) => seen(released || mine(created_by)),
        (Row::Template { created_by, released }, Act::Change | Act::Delete) => {
            if mine(created_by) {
                Verdict::Allowed
            } else if released {
                Verdict::Refused(TEMPLATE_CHANGERS)
            } else {
                Verdict::Hidden
            }
        }
        (Row::Registry { created_by }, _) => seen(mine(created_by)),
        (Row::Project { .. }, Act::See) => Verdict::Allowed,
        (Row::Project { role }, Act::Change) => {
            if role == Some(ProjectRole::Creator) {
                Verdict::Allowed
            } else {
                Verdict::Refused(PROJECT_CHANGERS)
            }
        }
        (Row::Project { .. }, Act::Delete) => Verdict::Refused(PROJECT_DELETERS),
    }
}

fn seen(visible: bool) -> Verdict {
    if visible { Verdict::Allowed } else { Verdict::Hidden }
}

/// Whose rows a list shows: `None` for all (administrators), else only the caller's own.
/// Used by the lists of rows private to their creators (registry entries, unreleased
/// templates).
pub fn own_rows_only(who: Who) -> Option<UserId> {
    (!who.admin).then_some(who.user)
}
