//! Use cases: validate with `app::domain` rules, apply row-level rules, run the queries in
//! a transaction. Handlers call these and map the result; nothing here knows about HTTP.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod audit_log;
pub mod debug_shells;
pub mod housekeeping;
pub mod job_templates;
pub mod login;
pub mod notifications;
pub mod pipeline_graph;
pub mod pipeline_tasks;
pub mod pipeline_transfer;
pub mod pipelines;
pub mod projects;
pub mod rbac;
pub mod registry;
pub mod roles;
pub mod runs;
pub mod schedule_pass;
pub mod schedules;
pub mod seed;
pub mod single_tasks;
pub mod tokens;
pub mod workflow_preview;

use app::model::FieldError;

use crate::db::DbError;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Unavailable(String),
    /// Too much of the same work is under way: try again after `retry_after` seconds.
    #[error("{message}")]
    Busy { message: String, retry_after: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

impl From<Vec<FieldError>> for Error {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::Validation(errors)
    }
}

/// A single-field validation error.
pub fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::Validation(vec![FieldError { field: field.to_owned(), message: message.into() }])
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
