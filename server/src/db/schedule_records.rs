//! Queries on `schedule_records` (each execution date of a pipeline's schedule) and the
//! schedule columns of `pipelines`. The unique (pipeline, execution date) key and the
//! guarded state changes are what make each tick run once, whatever replicas do at once.

use app::domain::pagination::PageRequest;
use app::model::{RecordState, RunKind, RunStatus, ScheduleKind};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::pipelines::PipelineRow;
use super::runs::RunRow;
use super::schema::{pipelines, runs, schedule_records};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = schedule_records)]
pub struct RecordRow {
    pub id: i64,
    pub pipeline_id: i64,
    pub execution_date: NaiveDateTime,
    pub state: String,
    pub reason: String,
    pub run_pk: Option<i64>,
    pub by_hand: bool,
    pub created_at: NaiveDateTime,
}

/// A record with its run's id and status, once started.
pub type RecordWithRun = (RecordRow, Option<(String, String)>);

#[derive(Debug, Insertable)]
#[diesel(table_name = schedule_records)]
struct NewRecord<'a> {
    pipeline_id: i64,
    execution_date: NaiveDateTime,
    state: &'a str,
    reason: &'a str,
    created_at: NaiveDateTime,
}

/// Inserts the record unless its date has one already; returns how many rows were added.
async fn insert_unless_recorded(tx: &mut Tx<'_>, row: &NewRecord<'_>) -> Result<usize, DbError> {
    Ok(with_tx!(tx, |c| diesel::insert_into(schedule_records::table)
        .values(row)
        .on_conflict((schedule_records::pipeline_id, schedule_records::execution_date))
        .do_nothing()
        .execute(c)
        .await)?)
}

/// The ids of the pipelines whose cron schedule runs (not paused).
pub async fn scheduled_pipeline_ids(tx: &mut Tx<'_>) -> Result<Vec<i64>, DbError> {
    Ok(with_tx!(tx, |c| pipelines::table
        .filter(pipelines::schedule_kind.eq(ScheduleKind::Cron.as_str()))
        .filter(pipelines::schedule_paused.eq(false))
        .order(pipelines::id)
        .select(pipelines::id)
        .load(c)
        .await)?)
}

/// Records `dates` (date, skip reason) and moves the cursor of `pipeline` (as read: its
/// cursor and when it was saved) to `new`, only if nobody moved it or saved the pipeline
/// meanwhile (`false`: nothing is written).
pub async fn advance(
    tx: &mut Tx<'_>,
    pipeline: &PipelineRow,
    new: NaiveDateTime,
    dates: &[(NaiveDateTime, Option<&str>)],
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let (old, saved, pipeline) = (pipeline.schedule_cursor, pipeline.updated_at, pipeline.id);
    let this = pipelines::table.filter(pipelines::id.eq(pipeline)).filter(pipelines::updated_at.eq(saved));
    let moved = match old {
        Some(old) => with_tx!(tx, |c| diesel::update(this.filter(pipelines::schedule_cursor.eq(old)))
            .set(pipelines::schedule_cursor.eq(new))
            .execute(c)
            .await)?,
        None => with_tx!(tx, |c| diesel::update(this.filter(pipelines::schedule_cursor.is_null()))
            .set(pipelines::schedule_cursor.eq(new))
            .execute(c)
            .await)?,
    };
    if moved != 1 {
        return Ok(false);
    }
    for (date, skipped) in dates {
        let row = NewRecord {
            pipeline_id: pipeline,
            execution_date: *date,
            state: if skipped.is_some() { RecordState::Skipped.as_str() } else { RecordState::Waiting.as_str() },
            reason: skipped.unwrap_or(""),
            created_at: now,
        };
        insert_unless_recorded(tx, &row).await?;
    }
    Ok(true)
}

/// Adds waiting records for `dates` that have none; returns how many were added.
pub async fn add_waiting(
    tx: &mut Tx<'_>,
    pipeline: i64,
    dates: &[NaiveDateTime],
    now: NaiveDateTime,
) -> Result<u64, DbError> {
    let mut added = 0;
    for date in dates {
        let row = NewRecord {
            pipeline_id: pipeline,
            execution_date: *date,
            state: RecordState::Waiting.as_str(),
            reason: "backfill",
            created_at: now,
        };
        added += insert_unless_recorded(tx, &row).await?;
    }
    Ok(added as u64)
}

/// The pipeline's waiting records, oldest first (at most `limit`).
pub async fn waiting(tx: &mut Tx<'_>, pipeline: i64, limit: i64) -> Result<Vec<RecordRow>, DbError> {
    Ok(with_tx!(tx, |c| schedule_records::table
        .filter(schedule_records::pipeline_id.eq(pipeline))
        .filter(schedule_records::state.eq(RecordState::Waiting.as_str()))
        .order(schedule_records::execution_date)
        .limit(limit)
        .select(RecordRow::as_select())
        .load(c)
        .await)?)
}

/// The pipeline's records whose scheduled runs are pending or running.
pub async fn in_flight(tx: &mut Tx<'_>, pipeline: i64) -> Result<Vec<RecordRow>, DbError> {
    let active = [RunStatus::Pending.as_str(), RunStatus::Running.as_str()];
    Ok(with_tx!(tx, |c| schedule_records::table
        .inner_join(runs::table)
        .filter(schedule_records::pipeline_id.eq(pipeline))
        .filter(runs::pipeline_id.eq(pipeline))
        .filter(runs::kind.eq(RunKind::Scheduled.as_str()))
        .filter(runs::status.eq_any(active))
        .order(schedule_records::execution_date)
        .select(RecordRow::as_select())
        .load(c)
        .await)?)
}

/// Scheduled runs of the pipeline for dates before `date` that are not cleared yet (at most
/// `limit`), also earlier runs of dates run again.
pub async fn runs_before(
    tx: &mut Tx<'_>,
    pipeline: i64,
    date: NaiveDateTime,
    limit: i64,
) -> Result<Vec<RunRow>, DbError> {
    Ok(with_tx!(tx, |c| runs::table
        .filter(runs::pipeline_id.eq(pipeline))
        .filter(runs::execution_date.lt(date))
        .filter(runs::kind.eq(RunKind::Scheduled.as_str()))
        .filter(runs::status.ne(RunStatus::Deleted.as_str()))
        .order(runs::execution_date)
        .limit(limit)
        .select(RunRow::as_select())
        .load(c)
        .await)?)
}

/// The execution date of the pipeline's `n`-th newest record.
pub async fn nth_newest(tx: &mut Tx<'_>, pipeline: i64, n: i64) -> Result<Option<NaiveDateTime>, DbError> {
    Ok(with_tx!(tx, |c| schedule_records::table
        .filter(schedule_records::pipeline_id.eq(pipeline))
        .order(schedule_records::execution_date.desc())
        .offset(n - 1)
        .select(schedule_records::execution_date)
        .first(c)
        .await
        .optional())?)
}

/// The record just before `date` that counts for "wait for the previous run" (any but those
/// the scheduler skipped itself), with its run's status.
pub async fn before(
    tx: &mut Tx<'_>,
    pipeline: i64,
    date: NaiveDateTime,
) -> Result<Option<(RecordRow, Option<String>)>, DbError> {
    Ok(with_tx!(tx, |c| schedule_records::table
        .left_join(runs::table)
        .filter(schedule_records::pipeline_id.eq(pipeline))
        .filter(schedule_records::execution_date.lt(date))
        .filter(schedule_records::state.ne(RecordState::Skipped.as_str()).or(schedule_records::by_hand.eq(true)))
        .order(schedule_records::execution_date.desc())
        .select((RecordRow::as_select(), runs::status.nullable()))
        .first(c)
        .await
        .optional())?)
}

/// Marks a waiting record started with its run; `false` if it was not waiting any more.
pub async fn mark_started(tx: &mut Tx<'_>, id: i64, run_pk: i64) -> Result<bool, DbError> {
    let changed = with_tx!(tx, |c| diesel::update(
        schedule_records::table
            .filter(schedule_records::id.eq(id))
            .filter(schedule_records::state.eq(RecordState::Waiting.as_str()))
    )
    .set((
        schedule_records::state.eq(RecordState::Started.as_str()),
        schedule_records::reason.eq(""),
        schedule_records::run_pk.eq(run_pk),
    ))
    .execute(c)
    .await)?;
    Ok(changed == 1)
}

/// Who changes a record's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    Scheduler,
    Person,
}

/// Sets the record's state and reason, if it is in one of the states `from`.
pub async fn set_state(
    tx: &mut Tx<'_>,
    id: i64,
    from: &[RecordState],
    to: RecordState,
    reason: &str,
    by: ChangedBy,
) -> Result<bool, DbError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let changed = with_tx!(tx, |c| diesel::update(
        schedule_records::table.filter(schedule_records::id.eq(id)).filter(schedule_records::state.eq_any(&from))
    )
    .set((
        schedule_records::state.eq(to.as_str()),
        schedule_records::reason.eq(reason),
        schedule_records::by_hand.eq(by == ChangedBy::Person),
    ))
    .execute(c)
    .await)?;
    Ok(changed == 1)
}

/// Locks the record's row until the transaction ends (PostgreSQL; SQLite has one writer),
/// so a person's change and the scheduler's start of it happen one after the other.
pub async fn lock(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    if let Tx::Postgres(c) = tx {
        schedule_records::table.find(id).select(schedule_records::id).for_update().load::<i64>(&mut **c).await?;
    }
    Ok(())
}

/// A record of the pipeline.
pub async fn of_pipeline(tx: &mut Tx<'_>, pipeline: i64, id: i64) -> Result<Option<RecordWithRun>, DbError> {
    Ok(with_tx!(tx, |c| schedule_records::table
        .left_join(runs::table)
        .filter(schedule_records::pipeline_id.eq(pipeline))
        .filter(schedule_records::id.eq(id))
        .select((RecordRow::as_select(), (runs::run_id, runs::status).nullable()))
        .first(c)
        .await
        .optional())?)
}

/// A page of the pipeline's records, newest execution date first, and how many it has.
pub async fn page(tx: &mut Tx<'_>, pipeline: i64, page: PageRequest) -> Result<(Vec<RecordWithRun>, i64), DbError> {
    let total = with_tx!(tx, |c| schedule_records::table
        .filter(schedule_records::pipeline_id.eq(pipeline))
        .count()
        .get_result(c)
        .await)?;
    let items = with_tx!(tx, |c| schedule_records::table
        .left_join(runs::table)
        .filter(schedule_records::pipeline_id.eq(pipeline))
        .order(schedule_records::execution_date.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select((RecordRow::as_select(), (runs::run_id, runs::status).nullable()))
        .load(c)
        .await)?;
    Ok((items, total))
}
