//! One module per page; pages fetch through `client` and render with `components`.

pub mod account;
pub mod audit_log;
pub mod debug_terminal;
pub mod home;
pub mod inbox;
pub mod job_templates;
pub mod login;
pub mod not_found;
pub mod panels;
pub mod permissions;
pub mod pipelines;
pub mod projects;
pub mod registry;
pub mod roles;
pub mod run_detail;
pub mod runs;
pub mod schedule_records;
pub mod tokens;
pub mod users;

/// Formats a UTC time for tables (minute precision, UTC).
pub(crate) fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
