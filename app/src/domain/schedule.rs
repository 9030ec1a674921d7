//! Schedule rules: the execution dates a cron schedule has in a window (read in the
//! schedule's time zone, DST-correct by croner), what one pass of the scheduler records for a
//! pipeline (every date of an explicit catch-up, capped per pass; otherwise dates missed while
//! the scheduler was down are recorded as skipped, never run in a flood), and which waiting
//! dates start now under the pipeline's settings (runs at once, keep newest N, wait for the
//! previous run). Scheduled runs only: manual runs never count here.

use chrono::{DateTime, Duration, TimeZone, Utc};
use croner::Cron;

use crate::model::{RunStatus, Schedule, ScheduleKind};

/// Ticks this close to the pass are never "missed": a pass that comes late by a few
/// minutes still runs them.
pub const GRACE: Duration = Duration::minutes(5);

/// Why a date missed while the scheduler was not running is skipped.
pub const MISSED: &str = "missed: the scheduler was not running at that time (set a catch-up start to run such dates)";

/// Whether a change of the schedule changes which dates it has (the ticks are then counted
/// again from the new catch-up start, or from now).
pub fn ticks_change(old: &Schedule, new: &Schedule) -> bool {
    old.kind != new.kind
        || old.cron.trim() != new.cron.trim()
        || old.timezone != new.timezone
        || old.catchup_start != new.catchup_start
        || old.paused != new.paused
}

/// A schedule as stored, with how far its dates are recorded (`None`: not yet).
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub schedule: &'a Schedule,
    pub cursor: Option<DateTime<Utc>>,
}

/// Where a save leaves the schedule's cursor: `None` keeps it; `Some(None)` records from the
/// catch-up start (a new or changed one, or one not acted on yet, e.g. set while paused);
/// `Some(Some(now))` records from the save on, so a resumed or changed schedule never
/// floods with the dates of before.
pub fn cursor_after_save(old: Option<Stored<'_>>, new: &Schedule, now: DateTime<Utc>) -> Option<Option<DateTime<Utc>>> {
    if old.is_some_and(|old| !ticks_change(old.schedule, new)) {
        return None;
    }
    let pending_catchup = new.catchup_start.is_some()
        && old.is_none_or(|old| old.schedule.catchup_start != new.catchup_start || old.cursor.is_none());
    Some(if pending_catchup { None } else { Some(now) })
}

/// Where dates would count from after saving `new` over `old`: the instant after which
/// the next pass records dates (`None`: from the pass itself, so no catch-up).
pub fn counted_from(old: Stored<'_>, new: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match cursor_after_save(Some(old), new, now) {
        Some(None) => new.catchup_start.map(just_before),
        Some(Some(_)) => None,
        None => old.cursor.or(new.catchup_start.map(just_before)),
    }
}

/// The earliest instant a schedule's dates may start from.
pub fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(0, 0).unwrap_or_default()
}

/// Whether `t` is an instant schedules work with (1970 to 2199).
pub fn in_range(t: DateTime<Utc>) -> bool {
    let latest = DateTime::from_timestamp(7_258_118_400, 0).unwrap_or_default();
    t >= earliest() && t < latest
}

/// The instant one second before `t` (dates at `t` itself then count in a window after it).
pub fn just_before(t: DateTime<Utc>) -> DateTime<Utc> {
    t.checked_sub_signed(Duration::seconds(1)).unwrap_or(t)
}

/// Whether the schedule creates runs at all.
pub fn is_active(schedule: &Schedule) -> bool {
    schedule.kind == ScheduleKind::Cron && !schedule.paused && !schedule.cron.trim().is_empty()
}

/// The execution dates `t` with `after < t <= until`, the earliest `limit` of them, read in
/// the time zone `tz`.
pub fn ticks_in<Tz: TimeZone>(
    cron: &Cron,
    tz: &Tz,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut at = after.with_timezone(tz);
    while out.len() < limit {
        match cron.find_next_occurrence(&at, false) {
            Ok(next) if next.with_timezone(&Utc) <= until => {
                out.push(next.with_timezone(&Utc));
                at = next;
            }
            _ => break,
        }
    }
    out
}

/// One date a pass records: waiting, or skipped with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub date: DateTime<Utc>,
    pub skipped: Option<&'static str>,
}

/// What one pass records for a pipeline, and how far the ticks are then accounted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub records: Vec<NewRecord>,
    pub cursor: DateTime<Utc>,
}

/// What a pass records for a schedule whose ticks are accounted for up to `cursor` (`None`:
/// never yet), at `now`, creating at most `cap` records.
///
/// - First pass: with a catch-up start, dates count from it; without one, from now.
/// - A catch-up start set: every date is recorded waiting, `cap` per pass.
/// - Otherwise dates older than [`GRACE`] (but the newest) were missed: recorded skipped.
pub fn record<Tz: TimeZone>(
    schedule: &Schedule,
    cron: &Cron,
    tz: &Tz,
    cursor: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    cap: usize,
) -> Recording {
    let from = match (cursor, schedule.catchup_start) {
        (Some(cursor), _) => cursor,
        // Dates at the catch-up start itself count too.
        (None, Some(start)) => just_before(start),
        (None, None) => return Recording { records: Vec::new(), cursor: now },
    };
    let cap = cap.max(1);
    let ticks = ticks_in(cron, tz, from, now, cap + 1);
    let more = ticks.len() > cap;
    let taken = &ticks[..ticks.len().min(cap)];
    let cursor = match (more, taken.last()) {
        (true, Some(last)) => *last,
        // Never back: a replica whose clock is behind must not record dates again.
        _ => now.max(from),
    };
    let newest = taken.last().copied();
    let records = taken
        .iter()
        .map(|&date| {
            let recent = now.checked_sub_signed(GRACE).is_none_or(|edge| date >= edge);
            let missed = schedule.catchup_start.is_none() && !recent && (more || Some(date) != newest);
            NewRecord { date, skipped: missed.then_some(MISSED) }
        })
        .collect();
    Recording { records, cursor }
}

/// A pipeline's scheduling settings that decide what starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub depends_on_past: bool,
    pub max_active_runs: u32,
    pub keep_newest: u32,
}

impl From<&Schedule> for Policy {
    fn from(s: &Schedule) -> Self {
        Self { depends_on_past: s.depends_on_past, max_active_runs: s.max_active_runs, keep_newest: s.keep_newest }
    }
}

/// How the record before the oldest waiting one ended (for "wait for the previous run").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Previous {
    /// There is none, it was skipped, or its run is gone: the chain goes on.
    Clear,
    /// Its run ended or runs with this status.
    Run(RunStatus, DateTime<Utc>),
    /// It waits itself.
    Waiting,
}

/// What the scheduler sees of a pipeline's records for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    /// Waiting records, oldest first: (record id, execution date).
    pub waiting: Vec<(i64, DateTime<Utc>)>,
    /// Records whose scheduled run is pending or running: (record id, execution date).
    pub active: Vec<(i64, DateTime<Utc>)>,
    /// With keep newest N: the execution date of the N-th newest record.
    pub keep_from: Option<DateTime<Utc>>,
    pub previous: Previous,
}

/// What to do for a pipeline now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Waiting records whose runs start now, oldest first.
    pub start: Vec<i64>,
    /// Waiting records never to run, with the reason.
    pub skip: Vec<(i64, String)>,
    /// Why the oldest waiting record waits, when it waits on something.
    pub hold: Option<(i64, String)>,
}

/// Decides which waiting records start and which are skipped. With keep newest N, runs of
/// records older than the N-th newest are cleared by the caller and do not count as running.
pub fn decide(policy: Policy, situation: &Situation) -> Decision {
    let mut decision = Decision::default();
    let kept = |date: DateTime<Utc>| situation.keep_from.is_none_or(|from| date >= from);
    let active = situation.active.iter().filter(|(_, date)| kept(*date)).count();
    let mut eligible = Vec::new();
    for &(id, date) in &situation.waiting {
        if kept(date) {
            eligible.push(id);
        } else {
            let reason = format!("superseded: only the newest {} scheduled runs are kept", policy.keep_newest);
            decision.skip.push((id, reason));
        }
    }
    let slots = (policy.max_active_runs as usize).saturating_sub(active);
    if policy.depends_on_past {
        let Some(&oldest) = eligible.first() else {
            return decision;
        };
        let waits_on = match situation.previous {
            Previous::Clear | Previous::Run(RunStatus::Succeeded | RunStatus::Skipped | RunStatus::Deleted, _) => None,
            Previous::Waiting => Some("waiting for the previous execution date to run first".to_owned()),
            Previous::Run(status, date) if status.is_active() => {
                Some(format!("waiting for the run of {} to finish", date.format("%Y-%m-%d %H:%M UTC")))
            }
            Previous::Run(status, date) => Some(format!(
                "waiting: the run of {} {}; rerun or skip it to go on",
                date.format("%Y-%m-%d %H:%M UTC"),
                status.as_str()
            )),
        };
        match waits_on {
            Some(reason) => decision.hold = Some((oldest, reason)),
            None if active == 0 && slots > 0 => decision.start.push(oldest),
            None => {}
        }
        return decision;
    }
    decision.start = eligible.into_iter().take(slots).collect();
    decision
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
