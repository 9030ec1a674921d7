//! One pass of the scheduler over every running schedule: record the execution dates that
//! came due (see [`app::domain::schedule::record`]), then start, skip or hold waiting dates and
//! evict old runs as the pipeline's settings decide. Each date starts at most once: its record
//! turns `started` in the transaction that creates its run, only if it was still waiting.

use app::domain::cron::parse_cron;
use app::domain::schedule::{self, Decision, Policy, Previous, Situation};
use app::model::{PipelineId, RecordState, RunKind, RunStatus};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::pipelines::fields_of;
use super::runs::{Origin, clear, compile_pipeline, insert_run, new_run_id};
use super::{Error, Result};
use crate::db::pipelines::PipelineRow;
use crate::db::schedule_records::{self as records, ChangedBy, RecordRow};
use crate::db::{self, Db, projects};
use crate::engine::executor::{Engines, Placement};
use crate::scheduler::SchedulerSettings;
use crate::transaction;

/// Waiting records one decision looks at, at most.
const WAITING_WINDOW: i64 = 1000;
/// Old runs one pass clears at most (the rest in the next passes).
const CLEAR_WINDOW: i64 = 100;

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassOutcome {
    /// Some schedule has more catch-up dates than one pass records: pass again at once.
    pub behind: bool,
    /// What went wrong for single pipelines (the others went on): `pipeline <id>: <why>`.
    pub errors: Vec<String>,
}

/// The zone a schedule's cron is read in.
pub fn zone_of(timezone: &str, settings: &SchedulerSettings) -> Tz {
    crate::scheduler::settings::zone_named(timezone).filter(|_| !timezone.is_empty()).unwrap_or(settings.timezone)
}

/// Records due dates and starts what may start, for every running schedule.
pub async fn pass(db: &Db, engines: &Engines, settings: &SchedulerSettings) -> Result<PassOutcome> {
    let pipelines = records::scheduled_pipeline_ids(&mut db.read().await?.tx()).await?;
    let mut outcome = PassOutcome::default();
    for &id in &pipelines {
        // One pipeline's trouble (a cluster that is down) must not hold the others.
        let done = async {
            // Read again: a pass takes a while, and a save since must count (a pause, new tasks).
            let Some((row, _)) = crate::db::pipelines::by_id(&mut db.read().await?.tx(), id).await? else {
                return Ok(false);
            };
            if !schedule::is_active(&fields_of(&row).schedule) {
                return Ok(false);
            }
            let row = &row;
            if record_due(db, settings, row, Utc::now()).await? {
                // Still catching up: starting now could start runs that the next dates
                // supersede at once (keep newest); start once the dates are all there.
                return Ok(true);
            }
            start_due(db, engines, settings, row).await?;
            Ok::<_, Error>(false)
        };
        match done.await {
            Ok(behind) => outcome.behind |= behind,
            Err(e) => outcome.errors.push(format!("pipeline {id}: {}", why(&e))),
        }
    }
    Ok(outcome)
}

/// Records the pipeline's dates up to `now`; `true` when more are left for the next pass.
async fn record_due(db: &Db, settings: &SchedulerSettings, row: &PipelineRow, now: DateTime<Utc>) -> Result<bool> {
    let fields = fields_of(row);
    let Ok(cron) = parse_cron(&fields.schedule.cron) else {
        return Ok(false);
    };
    let tz = zone_of(&fields.schedule.timezone, settings);
    let cap = settings.catchup_cap as usize;
    let recording = schedule::record(&fields.schedule, &cron, &tz, row.schedule_cursor.map(db::utc), now, cap);
    let behind = recording.cursor < now;
    let dates: Vec<(NaiveDateTime, Option<&str>)> =
        recording.records.iter().map(|r| (r.date.naive_utc(), r.skipped)).collect();
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| records::advance(tx, row, recording.cursor.naive_utc(), &dates, db::now()).await)?;
    Ok(behind)
}

/// How the record before the oldest waiting one stands.
async fn previous_of(db: &Db, pipeline: i64, oldest: &RecordRow) -> Result<Previous> {
    let before = records::before(&mut db.read().await?.tx(), pipeline, oldest.execution_date).await?;
    Ok(match before {
        None => Previous::Clear,
        Some((record, status)) => {
            match (RecordState::parse(&record.state), status.as_deref().and_then(RunStatus::parse)) {
                (Some(RecordState::Waiting), _) => Previous::Waiting,
                (Some(RecordState::Started), Some(status)) => Previous::Run(status, db::utc(record.execution_date)),
                _ => Previous::Clear,
            }
        }
    })
}

/// Decides for one pipeline and carries the decision out.
async fn start_due(db: &Db, engines: &Engines, settings: &SchedulerSettings, row: &PipelineRow) -> Result<()> {
    let schedule = fields_of(row).schedule;
    let policy = Policy::from(&schedule);
    let (waiting, in_flight, keep_from) = {
        let mut conn = db.read().await?;
        let mut tx = conn.tx();
        let waiting = records::waiting(&mut tx, row.id, WAITING_WINDOW).await?;
        if waiting.is_empty() && policy.keep_newest == 0 {
            return Ok(());
        }
        let in_flight = records::in_flight(&mut tx, row.id).await?;
        let keep_from = match policy.keep_newest {
            0 => None,
            n => records::nth_newest(&mut tx, row.id, i64::from(n)).await?,
        };
        (waiting, in_flight, keep_from)
    };
    let first_kept = waiting.iter().find(|r| keep_from.is_none_or(|from| r.execution_date >= from));
    let previous = match (policy.depends_on_past, first_kept) {
        (true, Some(oldest)) => previous_of(db, row.id, oldest).await?,
        _ => Previous::Clear,
    };
    let situation = Situation {
        waiting: waiting.iter().map(|r| (r.id, db::utc(r.execution_date))).collect(),
        active: in_flight.iter().map(|r| (r.id, db::utc(r.execution_date))).collect(),
        keep_from: keep_from.map(db::utc),
        previous,
    };
    let Decision { start, skip, hold } = schedule::decide(policy, &situation);
    if let Some(keep_from) = keep_from {
        // Runs of older dates are stopped and cleared; their records stay.
        let old = records::runs_before(&mut db.read().await?.tx(), row.id, keep_from, CLEAR_WINDOW).await?;
        clear(db, engines, old).await?;
    }
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        for (id, reason) in &skip {
            records::set_state(tx, *id, &[RecordState::Waiting], RecordState::Skipped, reason, ChangedBy::Scheduler)
                .await?;
        }
        if let Some((id, reason)) = &hold
            && waiting.iter().any(|r| r.id == *id && r.reason != *reason)
        {
            records::set_state(tx, *id, &[RecordState::Waiting], RecordState::Waiting, reason, ChangedBy::Scheduler)
                .await?;
        }
        Ok::<_, Error>(())
    })?;
    drop(conn);
    if start.is_empty() {
        return Ok(());
    }
    let tz = zone_of(&schedule.timezone, settings);
    // Scheduled runs run as the pipeline's creator.
    let creator: Vec<i64> = row.created_by.into_iter().collect();
    let runner = projects::usernames(&mut db.read().await?.tx(), &creator).await?.into_values().next();
    let runner = runner.unwrap_or_else(|| "scheduler".to_owned());
    for record in waiting.iter().filter(|r| start.contains(&r.id)) {
        start_record(db, engines, (row, &runner), record, &tz).await?;
    }
    Ok(())
}

/// An error in words, with each field's problem.
fn why(e: &Error) -> String {
    match e {
        Error::Validation(errors) => {
            errors.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// Starts the run of one waiting record for `runner`; when it cannot start, the record says
/// why (or another replica started it first).
async fn start_record(
    db: &Db,
    engines: &Engines,
    (row, runner): (&PipelineRow, &str),
    record: &RecordRow,
    tz: &Tz,
) -> Result<()> {
    let run_id = new_run_id();
    // Templates see the execution date as a wall-clock time of the schedule's zone.
    let wall = db::utc(record.execution_date).with_timezone(tz).naive_local();
    let compiled = {
        let mut conn = db.read().await?;
        compile_pipeline(&mut conn.tx(), row, runner, &run_id, None, wall).await
    };
    let note = |state: RecordState, reason: String| async move {
        let mut conn = db.write().await?;
        let (from, by) = ([RecordState::Waiting], ChangedBy::Scheduler);
        records::set_state(&mut conn.tx(), record.id, &from, state, &reason, by).await?;
        Ok::<_, Error>(())
    };
    // A pipeline that cannot run skips the date; anything else (the database) is tried again.
    let compiled = match compiled {
        Ok(compiled) => compiled,
        Err(e @ Error::Validation(_)) => {
            return note(RecordState::Skipped, format!("could not start: {}", why(&e))).await;
        }
        Err(e) => return Err(e),
    };
    let at = Placement::of_project(&compiled.project);
    if let Err(e) = engines.check(&at) {
        return note(RecordState::Waiting, format!("cannot start now, tried again later: {e}")).await;
    }
    if let Err(e) = engines.check_plan(&at, &compiled.plan) {
        return note(RecordState::Skipped, format!("could not start: {e}")).await;
    }
    let mut conn = db.write().await?;
    let inserted = transaction!(&mut conn, |tx| {
        let origin = Origin {
            run_id: &run_id,
            pipeline: PipelineId(row.id),
            task: None,
            kind: RunKind::Scheduled,
            runner_id: row.created_by,
            at: &at,
            execution_date: Some(record.execution_date),
        };
        let (pk, plan) = insert_run(tx, &origin, compiled).await?;
        if !records::mark_started(tx, record.id, pk).await? {
            return Err(Error::Conflict { field: "execution_date", message: "started by another replica".into() });
        }
        Ok::<_, Error>((pk, plan))
    });
    drop(conn);
    let (pk, plan) = match inserted {
        Ok(done) => done,
        Err(Error::Conflict { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    if let Err(e) = engines.submit(&at, pk, plan).await {
        tracing::info!(run_id, error = %e, "a scheduled run could not be submitted");
    }
    Ok(())
}
