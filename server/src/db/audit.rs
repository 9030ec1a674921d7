//! Queries on `audit_log`.

use app::domain::pagination::PageRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::audit_log;
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub username: Option<String>,
    pub method: String,
    pub path: String,
    pub permission: Option<String>,
    pub status: i32,
    pub outcome: String,
    pub duration_ms: i64,
    pub client_ip: Option<String>,
    /// JSON list of the fields changed.
    pub changes: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow {
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub method: String,
    pub path: String,
    pub permission: Option<String>,
    pub status: i32,
    pub outcome: String,
    pub duration_ms: i64,
    pub client_ip: Option<String>,
    /// JSON list of the fields changed.
    pub changes: String,
}

pub async fn insert(tx: &mut Tx<'_>, row: &NewAuditRow) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(audit_log::table).values(row).execute(c).await)?;
    Ok(())
}

/// Newest entries first, optionally of one user and one outcome, with the total.
pub async fn page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    username: Option<&str>,
    outcome: Option<&str>,
) -> Result<(Vec<AuditRow>, u64), DbError> {
    // A macro, not a closure: the boxed query's type depends on the backend of each arm.
    macro_rules! filtered {
        () => {{
            let mut q = audit_log::table.into_boxed();
            if let Some(u) = username {
                q = q.filter(audit_log::username.eq(u.to_owned()));
            }
            if let Some(o) = outcome {
                q = q.filter(audit_log::outcome.eq(o.to_owned()));
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order(audit_log::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(AuditRow::as_select())
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}
