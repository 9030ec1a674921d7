//! Scheduled records as users see and steer them: the list of a pipeline's execution dates,
//! a preview of what a schedule would create before it is saved, skipping a date (which
//! also lets a chain that waits on a failed run go on), running a date again, backfilling a
//! range of dates, and the scheduler's jobs for administrators.

use app::domain::cron::parse_cron;
use app::domain::pagination::PageRequest;
use app::domain::schedule::{Stored, counted_from, in_range, just_before, ticks_in};
use app::model::{
    BackgroundJob, Page, PageQuery, PipelineId, RecordState, RunStatus, Schedule, SchedulePreview, ScheduleRecord,
};
use chrono::{DateTime, Utc};

use super::pipelines::{reach, reach_editable};
use super::schedule_pass::zone_of;
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::schedule_records::{self as records, ChangedBy, RecordWithRun};
use crate::db::{self, Db, background_jobs};
use crate::scheduler::SchedulerSettings;

/// Catch-up dates a preview counts at most (beyond, it says "at least").
const PREVIEW_LIMIT: usize = 10_000;
/// Dates one backfill records at most.
const BACKFILL_LIMIT: usize = 10_000;

fn to_record((row, run): RecordWithRun) -> ScheduleRecord {
    ScheduleRecord {
        id: row.id,
        execution_date: db::utc(row.execution_date),
        state: RecordState::parse(&row.state).unwrap_or(RecordState::Waiting),
        reason: row.reason,
        run_status: run.as_ref().and_then(|(_, status)| RunStatus::parse(status)),
        run_id: run.map(|(run_id, _)| run_id),
        created_at: db::utc(row.created_at),
    }
}

/// A page of the pipeline's execution dates, newest first.
pub async fn list(db: &Db, caller: &Identity, id: PipelineId, query: PageQuery) -> Result<Page<ScheduleRecord>> {
    let page = PageRequest::from_query(query)?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    reach(&mut tx, caller, id).await?;
    let (items, total) = records::page(&mut tx, id.0, page).await?;
    let total = u64::try_from(total).unwrap_or(0);
    Ok(Page { items: items.into_iter().map(to_record).collect(), total, page: page.page, page_size: page.page_size })
}

/// What `schedule` would create if saved now: its catch-up runs and its next dates.
/// What saving `schedule` over the pipeline's stored one would create now (see
/// [`app::domain::schedule::counted_from`]: a save only catches up from a new catch-up start).
pub async fn preview_for(
    db: &Db,
    caller: &Identity,
    id: PipelineId,
    schedule: &Schedule,
    settings: &SchedulerSettings,
) -> Result<SchedulePreview> {
    let reached = reach(&mut db.read().await?.tx(), caller, id).await?;
    let stored = super::pipelines::fields_of(&reached.row).schedule;
    let now = Utc::now();
    let old = Stored { schedule: &stored, cursor: reached.row.schedule_cursor.map(db::utc) };
    preview(schedule, counted_from(old, schedule, now), settings, now)
}

/// What `schedule` creates when its dates count after `from` (`None`: from now on).
pub fn preview(
    schedule: &Schedule,
    from: Option<DateTime<Utc>>,
    settings: &SchedulerSettings,
    now: DateTime<Utc>,
) -> Result<SchedulePreview> {
    let cron = parse_cron(&schedule.cron).map_err(|e| super::invalid("schedule.cron", e))?;
    if !schedule.timezone.is_empty() && crate::scheduler::settings::zone_named(&schedule.timezone).is_none() {
        return Err(super::invalid("schedule.timezone", "is not an IANA time zone like Europe/Berlin"));
    }
    if schedule.catchup_start.is_some_and(|t| !in_range(t)) {
        return Err(super::invalid("schedule.catchup_start", "must be between 1970 and 2199"));
    }
    let tz = zone_of(&schedule.timezone, settings);
    let catchup = match from {
        Some(from) => ticks_in(&cron, &tz, from, now, PREVIEW_LIMIT),
        None => Vec::new(),
    };
    let next = ticks_in(&cron, &tz, now, now + chrono::Duration::days(3660), 5);
    let at = |t: &DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    let more = if catchup.len() >= PREVIEW_LIMIT { "at least " } else { "" };
    let summary = match (catchup.first(), catchup.last()) {
        (Some(first), Some(last)) => format!(
            "this creates {more}{} {} from {} to {}, at most {} per pass of the scheduler",
            catchup.len(),
            if catchup.len() == 1 { "run" } else { "runs" },
            at(first),
            at(last),
            settings.catchup_cap
        ),
        _ => match next.first() {
            Some(first) => format!("no catch-up: the first run is at {}", at(first)),
            None => "this schedule never fires".to_owned(),
        },
    };
    Ok(SchedulePreview {
        catchup_runs: catchup.len() as u64,
        first: catchup.first().copied(),
        last: catchup.last().copied(),
        cap: settings.catchup_cap,
        next,
        timezone: tz.name().to_owned(),
        summary,
    })
}

/// Changes one record of a pipeline the caller may change, if it is in one of `from`.
async fn change(
    db: &Db,
    caller: &Identity,
    id: PipelineId,
    record: i64,
    from: &[RecordState],
    to: RecordState,
    reason: String,
) -> Result<ScheduleRecord> {
    let mut conn = db.write().await?;
    let changed = crate::transaction!(&mut conn, |tx| {
        reach_editable(tx, caller, id).await?;
        // Locked first: a start of the date by the scheduler is then either seen or waits.
        records::lock(tx, record).await?;
        let (row, run) = records::of_pipeline(tx, id.0, record).await?.ok_or(Error::NotFound("record"))?;
        let active = run.as_ref().and_then(|(_, s)| RunStatus::parse(s)).is_some_and(RunStatus::is_active);
        if active || !records::set_state(tx, row.id, from, to, &reason, ChangedBy::Person).await? {
            let state = if active { "running" } else { &row.state };
            return Err(Error::Conflict { field: "state", message: format!("the record is {state}") });
        }
        records::of_pipeline(tx, id.0, record).await?.ok_or(Error::NotFound("record"))
    })?;
    Ok(to_record(changed))
}

/// Skips a date: a waiting one never runs, a finished one no longer holds a chain that waits
/// for the previous run.
pub async fn skip(db: &Db, caller: &Identity, id: PipelineId, record: i64) -> Result<ScheduleRecord> {
    let reason = format!("skipped by {}", caller.username);
    change(db, caller, id, record, &[RecordState::Waiting, RecordState::Started], RecordState::Skipped, reason).await
}

/// Runs a date again: it waits for its turn like a new one (its earlier run stays listed
/// under its run id).
pub async fn rerun(db: &Db, caller: &Identity, id: PipelineId, record: i64) -> Result<ScheduleRecord> {
    let from = [RecordState::Started, RecordState::Skipped];
    change(db, caller, id, record, &from, RecordState::Waiting, format!("run again by {}", caller.username)).await
}

/// Records every date of the pipeline's schedule in `[from, to]` that has none yet, waiting;
/// returns how many were added.
pub async fn backfill(
    db: &Db,
    caller: &Identity,
    settings: &SchedulerSettings,
    id: PipelineId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64> {
    if to < from {
        return Err(super::invalid("to", "must not be before from"));
    }
    if to > Utc::now() {
        return Err(super::invalid("to", "must not be in the future: the schedule records those dates itself"));
    }
    if !in_range(from) {
        return Err(super::invalid("from", "must be between 1970 and 2199"));
    }
    let mut conn = db.write().await?;
    crate::transaction!(&mut conn, |tx| {
        let reached = reach_editable(tx, caller, id).await?;
        let schedule = super::pipelines::fields_of(&reached.row).schedule;
        let cron = parse_cron(&schedule.cron).map_err(|e| super::invalid("schedule.cron", e))?;
        let tz = zone_of(&schedule.timezone, settings);
        let dates = ticks_in(&cron, &tz, just_before(from), to, BACKFILL_LIMIT + 1);
        if dates.len() > BACKFILL_LIMIT {
            return Err(super::invalid("to", format!("the range holds more than {BACKFILL_LIMIT} dates")));
        }
        let dates: Vec<_> = dates.iter().map(DateTime::naive_utc).collect();
        Ok::<_, Error>(records::add_waiting(tx, id.0, &dates, db::now()).await?)
    })
}

/// The server's periodic jobs.
pub async fn jobs(db: &Db) -> Result<Vec<BackgroundJob>> {
    let rows = background_jobs::all(&mut db.read().await?.tx()).await?;
    let now = db::now();
    Ok(rows
        .into_iter()
        .map(|j| BackgroundJob {
            running_on: j.lease_owner.filter(|_| j.lease_until.is_some_and(|until| until > now)),
            next_at: db::utc(j.next_at),
            last_started_at: j.last_started_at.map(db::utc),
            last_finished_at: j.last_finished_at.map(db::utc),
            last_error: j.last_error,
            failures: u32::try_from(j.failures).unwrap_or(u32::MAX),
            passes: u64::try_from(j.passes).unwrap_or(0),
            name: j.name,
        })
        .collect())
}
