//! Queries of the housekeeping: finished runs whose cluster objects may go, and rows older
//! than their retention (removed in batches, so one pass never holds the database long).

use app::model::{RecordState, RunStatus};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::runs::RunRow;
use super::schema::{audit_log, notification_deliveries, notifications, run_tasks, runs, schedule_records};
use super::{DbError, Tx};
use crate::with_tx;
use cubist_kube::clusters::LOCAL;

/// Rows one statement removes at most.
pub const BATCH: i64 = 2000;

fn active() -> [&'static str; 2] {
    [RunStatus::Pending.as_str(), RunStatus::Running.as_str()]
}

/// Runs on clusters that ended before `cutoff` and still have their objects there (but
/// those whose cluster is to be tried again later than `now`).
pub async fn uncleared_cluster_runs(
    tx: &mut Tx<'_>,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<RunRow>, DbError> {
    Ok(with_tx!(tx, |c| runs::table
        .filter(runs::cluster.ne(LOCAL))
        .filter(runs::cleared_at.is_null())
        .filter(runs::cleanup_after.is_null().or(runs::cleanup_after.lt(now)))
        .filter(runs::finished_at.lt(cutoff))
        .filter(runs::status.ne_all(active()))
        .order(runs::finished_at)
        .limit(limit)
        .select(RunRow::as_select())
        .load(c)
        .await)?)
}

/// Records that the run's cluster objects are gone.
pub async fn mark_cleared(tx: &mut Tx<'_>, pk: i64, now: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(runs::table.find(pk)).set(runs::cleared_at.eq(now)).execute(c).await)?;
    Ok(())
}

/// Runs that ended before `cutoff`, oldest first (but those whose cluster is to be tried
/// again later than `now`).
pub async fn old_runs(
    tx: &mut Tx<'_>,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<RunRow>, DbError> {
    Ok(with_tx!(tx, |c| runs::table
        .filter(runs::finished_at.lt(cutoff))
        .filter(runs::status.ne_all(active()))
        .filter(runs::cleanup_after.is_null().or(runs::cleanup_after.lt(now)))
        .order(runs::finished_at)
        .limit(limit)
        .select(RunRow::as_select())
        .load(c)
        .await)?)
}

/// Whether run `pk` is still there under `run_id` and ended (a single task's run id is
/// reused by its next run, which replaces the row).
pub async fn still_ended(tx: &mut Tx<'_>, pk: i64, run_id: &str) -> Result<bool, DbError> {
    let found: i64 = with_tx!(tx, |c| runs::table
        .filter(runs::id.eq(pk))
        .filter(runs::run_id.eq(run_id))
        .filter(runs::status.ne_all(active()))
        .count()
        .get_result(c)
        .await)?;
    Ok(found == 1)
}

/// Leaves run `pk` alone until `after` (its cluster did not answer).
pub async fn defer(tx: &mut Tx<'_>, pk: i64, after: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(runs::table.find(pk)).set(runs::cleanup_after.eq(after)).execute(c).await)?;
    Ok(())
}

/// Deletes runs (their tasks, events and the links of their schedule records go with them).
pub async fn delete_runs(tx: &mut Tx<'_>, pks: &[i64]) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(run_tasks::table.filter(run_tasks::run_pk.eq_any(pks))).execute(c).await)?;
    with_tx!(tx, |c| diesel::delete(runs::table.filter(runs::id.eq_any(pks))).execute(c).await)?;
    Ok(())
}

/// Deletes up to [`BATCH`] schedule records made before `cutoff` that no longer wait and
/// whose run (if any) has ended.
pub async fn delete_old_records(tx: &mut Tx<'_>, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    let old: Vec<i64> = with_tx!(tx, |c| schedule_records::table
        .left_join(runs::table)
        .filter(schedule_records::created_at.lt(cutoff))
        .filter(schedule_records::state.ne(RecordState::Waiting.as_str()))
        .filter(runs::status.is_null().or(runs::status.ne_all(active())))
        .select(schedule_records::id)
        .limit(BATCH)
        .load(c)
        .await)?;
    Ok(with_tx!(tx, |c| diesel::delete(schedule_records::table.filter(schedule_records::id.eq_any(&old)))
        .execute(c)
        .await)?)
}

/// Deletes up to [`BATCH`] audit rows written before `cutoff`.
pub async fn delete_old_audit(tx: &mut Tx<'_>, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    let old: Vec<i64> = with_tx!(tx, |c| audit_log::table
        .filter(audit_log::at.lt(cutoff))
        .select(audit_log::id)
        .limit(BATCH)
        .load(c)
        .await)?;
    Ok(with_tx!(tx, |c| diesel::delete(audit_log::table.filter(audit_log::id.eq_any(&old))).execute(c).await)?)
}

/// Deletes up to [`BATCH`] notifications and up to [`BATCH`] deliveries made before `cutoff`.
pub async fn delete_old_notifications(tx: &mut Tx<'_>, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    let old: Vec<i64> = with_tx!(tx, |c| notifications::table
        .filter(notifications::created_at.lt(cutoff))
        .select(notifications::id)
        .limit(BATCH)
        .load(c)
        .await)?;
    let messages =
        with_tx!(tx, |c| diesel::delete(notifications::table.filter(notifications::id.eq_any(&old))).execute(c).await)?;
    let old: Vec<i64> = with_tx!(tx, |c| notification_deliveries::table
        .filter(notification_deliveries::created_at.lt(cutoff))
        .select(notification_deliveries::id)
        .limit(BATCH)
        .load(c)
        .await)?;
    let deliveries = with_tx!(tx, |c| diesel::delete(
        notification_deliveries::table.filter(notification_deliveries::id.eq_any(&old))
    )
    .execute(c)
    .await)?;
    Ok(messages.max(deliveries))
}
