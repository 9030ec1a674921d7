//! The API's error type: every failure becomes `{"error":{"code","message","details"}}` with
//! the right status. Internal errors are logged here, once, and never shown to the caller.

use app::domain::permissions::PermissionKey;
use app::model::{ErrorBody, ErrorCode, ErrorResponse, FieldError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::db::DbError;
use crate::domain;

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Vec<FieldError>,
    /// Seconds the caller should wait before trying again (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Vec::new(), retry_after: None }
    }

    /// The same error, telling the caller when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "sign in first")
    }

    pub fn forbidden(permission: PermissionKey) -> Self {
        Self::new(ErrorCode::Forbidden, format!("you lack the permission {permission}"))
    }

    pub fn csrf() -> Self {
        Self::new(ErrorCode::CsrfMismatch, "missing or wrong X-CSRF-Token header for a cookie-authenticated write")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", details.len()),
        };
        Self { code: ErrorCode::Validation, message, details, retry_after: None }
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error; it has been logged")
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unique_violation() {
            return Self::new(ErrorCode::Conflict, "it was just created or changed by another request; try again");
        }
        tracing::error!(error = %e, "database error");
        match e {
            DbError::Pool(_) | DbError::Connect(_) => Self::new(ErrorCode::Unavailable, "the database is unavailable"),
            _ => Self::internal(),
        }
    }
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        use domain::Error as E;
        match e {
            E::Validation(details) => Self::validation(details),
            E::NotFound(what) => Self::not_found(what),
            E::Conflict { field, message } => Self {
                code: ErrorCode::Conflict,
                message: format!("{field}: {message}"),
                details: vec![FieldError { field: field.to_owned(), message }],
                retry_after: None,
            },
            E::Forbidden(message) => Self::new(ErrorCode::Forbidden, message),
            E::Unauthenticated(message) => Self::new(ErrorCode::Unauthenticated, message),
            E::Unavailable(message) => Self::new(ErrorCode::Unavailable, message),
            E::Busy { message, retry_after } => Self::new(ErrorCode::Unavailable, message).retry_after(retry_after),
            E::Db(db) => db.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorResponse { error: ErrorBody { code: self.code, message: self.message, details: self.details } };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
