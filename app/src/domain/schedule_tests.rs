use super::*;
use crate::domain::cron::parse_cron;
use chrono::TimeZone;
use chrono_tz::Europe::Berlin;
use proptest::prelude::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
}

fn cron_schedule(cron: &str, catchup_start: Option<DateTime<Utc>>) -> Schedule {
    Schedule { kind: ScheduleKind::Cron, cron: cron.into(), catchup_start, ..Schedule::default() }
}

#[test]
fn a_daily_time_follows_the_zone_across_daylight_saving() {
    let cron = parse_cron("0 9 * * *").unwrap();
    // Berlin moves to summer time on 2026-03-29: 09:00 is 08:00 UTC before, 07:00 after.
    let ticks = ticks_in(&cron, &Berlin, utc(2026, 3, 27, 12, 0), utc(2026, 3, 31, 12, 0), 10);
    assert_eq!(
        ticks,
        vec![utc(2026, 3, 28, 8, 0), utc(2026, 3, 29, 7, 0), utc(2026, 3, 30, 7, 0), utc(2026, 3, 31, 7, 0)]
    );
}

#[test]
fn a_time_in_the_skipped_hour_runs_once_that_day() {
    let cron = parse_cron("30 2 * * *").unwrap();
    let ticks = ticks_in(&cron, &Berlin, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 23, 0), 10);
    assert_eq!(ticks.len(), 1, "{ticks:?}");
    assert!(ticks[0] >= utc(2026, 3, 29, 1, 0), "after the gap: {ticks:?}");
}

#[test]
fn a_time_in_the_repeated_hour_runs_once() {
    let cron = parse_cron("30 2 * * *").unwrap();
    // On 2026-10-25 Berlin's 02:00-03:00 happens twice.
    let ticks = ticks_in(&cron, &Berlin, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0), 10);
    assert_eq!(ticks, vec![utc(2026, 10, 25, 0, 30)]);
}

#[test]
fn the_first_pass_without_catch_up_records_nothing_and_starts_counting_now() {
    let schedule = cron_schedule("* * * * *", None);
    let cron = parse_cron(&schedule.cron).unwrap();
    let now = utc(2026, 12, 1, 10, 0);
    let pass = record(&schedule, &cron, &Utc, None, now, 100);
    assert_eq!(pass, Recording { records: vec![], cursor: now });
    let next = record(&schedule, &cron, &Utc, Some(now), now + Duration::seconds(61), 100);
    assert_eq!(next.records, vec![NewRecord { date: utc(2026, 12, 1, 10, 1), skipped: None }]);
}

#[test]
fn a_catch_up_records_every_date_from_its_start_a_capped_number_per_pass() {
    let start = utc(2026, 12, 1, 9, 0);
    let schedule = cron_schedule("*/10 * * * *", Some(start));
    let cron = parse_cron(&schedule.cron).unwrap();
    let now = utc(2026, 12, 1, 10, 5);
    let first = record(&schedule, &cron, &Utc, None, now, 4);
    let dates: Vec<_> = first.records.iter().map(|r| r.date).collect();
    assert_eq!(dates, vec![start, utc(2026, 12, 1, 9, 10), utc(2026, 12, 1, 9, 20), utc(2026, 12, 1, 9, 30)]);
    assert!(first.records.iter().all(|r| r.skipped.is_none()));
    assert_eq!(first.cursor, utc(2026, 12, 1, 9, 30));
    let second = record(&schedule, &cron, &Utc, Some(first.cursor), now, 4);
    let dates: Vec<_> = second.records.iter().map(|r| r.date).collect();
    assert_eq!(dates, vec![utc(2026, 12, 1, 9, 40), utc(2026, 12, 1, 9, 50), utc(2026, 12, 1, 10, 0)]);
    assert_eq!(second.cursor, now);
}

#[test]
fn dates_missed_while_down_are_skipped_but_the_newest_and_recent_ones_run() {
    let schedule = cron_schedule("*/10 * * * *", None);
    let cron = parse_cron(&schedule.cron).unwrap();
    let now = utc(2026, 12, 1, 12, 3);
    let pass = record(&schedule, &cron, &Utc, Some(utc(2026, 12, 1, 11, 25)), now, 100);
    let got: Vec<_> = pass.records.iter().map(|r| (r.date, r.skipped.is_some())).collect();
    assert_eq!(
        got,
        vec![
            (utc(2026, 12, 1, 11, 30), true),
            (utc(2026, 12, 1, 11, 40), true),
            (utc(2026, 12, 1, 11, 50), true),
            (utc(2026, 12, 1, 12, 0), false),
        ]
    );
    // A pass a few minutes late runs every date it finds.
    let every_minute = cron_schedule("* * * * *", None);
    let cron = parse_cron(&every_minute.cron).unwrap();
    let late = record(&every_minute, &cron, &Utc, Some(utc(2026, 12, 1, 12, 0)), now + Duration::seconds(30), 100);
    assert!(late.records.iter().all(|r| r.skipped.is_none()), "{late:?}");
    assert_eq!(late.records.len(), 3);
}

#[test]
fn a_save_records_from_then_unless_it_sets_a_new_catch_up_start() {
    let now = utc(2026, 12, 1, 10, 0);
    let counted = Some(utc(2026, 12, 1, 9, 0));
    let stored = |schedule, cursor| Some(Stored { schedule, cursor });
    let plain = cron_schedule("* * * * *", None);
    assert_eq!(cursor_after_save(None, &plain, now), Some(Some(now)), "a new schedule starts now");
    assert_eq!(cursor_after_save(stored(&plain, counted), &plain, now), None, "an unchanged one keeps its place");
    let paused = Schedule { paused: true, ..plain.clone() };
    assert_eq!(cursor_after_save(stored(&paused, counted), &plain, now), Some(Some(now)), "resuming starts now");
    let catchup = cron_schedule("* * * * *", Some(utc(2026, 11, 1, 0, 0)));
    assert_eq!(cursor_after_save(stored(&plain, counted), &catchup, now), Some(None), "a new catch-up start counts");
    let moved = Schedule { timezone: "Asia/Tokyo".into(), ..catchup.clone() };
    assert_eq!(cursor_after_save(stored(&catchup, counted), &moved, now), Some(Some(now)), "no second catch-up");
    let paused_catchup = Schedule { paused: true, ..catchup.clone() };
    assert_eq!(
        cursor_after_save(stored(&paused_catchup, None), &catchup, now),
        Some(None),
        "a catch-up set while paused happens on resume"
    );
    assert_eq!(
        counted_from(Stored { schedule: &paused_catchup, cursor: None }, &catchup, now),
        Some(just_before(utc(2026, 11, 1, 0, 0)))
    );
    assert_eq!(counted_from(Stored { schedule: &catchup, cursor: counted }, &moved, now), None);
    assert_eq!(counted_from(Stored { schedule: &catchup, cursor: counted }, &catchup, now), counted);
}

#[test]
fn a_clock_behind_never_moves_the_cursor_back() {
    let schedule = cron_schedule("* * * * *", None);
    let cron = parse_cron(&schedule.cron).unwrap();
    let cursor = utc(2026, 12, 1, 10, 0);
    let pass = record(&schedule, &cron, &Utc, Some(cursor), cursor - Duration::minutes(3), 10);
    assert_eq!(pass, Recording { records: vec![], cursor });
}

#[test]
fn far_away_instants_are_out_of_range_and_never_overflow() {
    let far = DateTime::<Utc>::MIN_UTC;
    assert!(!in_range(far));
    assert!(in_range(utc(2026, 1, 1, 0, 0)));
    assert_eq!(just_before(far), far);
    let schedule = cron_schedule("* * * * *", Some(far));
    let cron = parse_cron(&schedule.cron).unwrap();
    let pass = record(&schedule, &cron, &Utc, None, DateTime::<Utc>::MIN_UTC, 5);
    assert!(pass.records.len() <= 5);
}

fn at(minute: u32) -> DateTime<Utc> {
    utc(2026, 12, 1, 10, minute)
}

fn situation(waiting: &[u32], active: &[u32]) -> Situation {
    Situation {
        waiting: waiting.iter().map(|&m| (i64::from(m), at(m))).collect(),
        active: active.iter().map(|&m| (i64::from(m), at(m))).collect(),
        keep_from: None,
        previous: Previous::Clear,
    }
}

const POLICY: Policy = Policy { depends_on_past: false, max_active_runs: 2, keep_newest: 0 };

#[test]
fn runs_at_once_bound_how_many_start() {
    assert_eq!(decide(POLICY, &situation(&[1, 2, 3], &[])).start, vec![1, 2]);
    assert_eq!(decide(POLICY, &situation(&[1, 2, 3], &[0])).start, vec![1]);
    assert!(decide(POLICY, &situation(&[1, 2, 3], &[0, 5])).start.is_empty());
}

#[test]
fn keep_newest_skips_older_waiting_dates_and_older_runs_do_not_count() {
    let policy = Policy { keep_newest: 2, max_active_runs: 2, ..POLICY };
    let mut s = situation(&[2, 3, 4], &[1]);
    s.keep_from = Some(at(3));
    let d = decide(policy, &s);
    assert_eq!(d.start, vec![3, 4], "the run of 10:01 is cleared: both slots are free");
    assert_eq!(d.skip.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![2]);
    assert!(d.skip[0].1.contains("newest 2"));
}

#[test]
fn waiting_for_the_previous_run_holds_the_chain_until_it_succeeded() {
    let policy = Policy { depends_on_past: true, max_active_runs: 5, ..POLICY };
    let mut s = situation(&[2, 3], &[]);
    assert_eq!(decide(policy, &s).start, vec![2], "no previous: the oldest starts alone");
    s.previous = Previous::Run(RunStatus::Succeeded, at(1));
    assert_eq!(decide(policy, &s).start, vec![2]);
    s.previous = Previous::Run(RunStatus::Failed, at(1));
    let held = decide(policy, &s);
    assert!(held.start.is_empty());
    let (id, reason) = held.hold.unwrap();
    assert_eq!(id, 2);
    assert!(reason.contains("failed") && reason.contains("rerun or skip"), "{reason}");
    s.previous = Previous::Run(RunStatus::Running, at(1));
    assert!(decide(policy, &s).hold.unwrap().1.contains("to finish"));
}

proptest! {
    /// Passes one after the other, each capped, record every date of a catch-up exactly once
    /// and in order, and never a date after the pass.
    #[test]
    fn catch_up_passes_record_each_date_once(step in 1u32..30, span in 1i64..600, cap in 1usize..50) {
        let start = utc(2026, 12, 1, 0, 0);
        let schedule = cron_schedule(&format!("*/{step} * * * *"), Some(start));
        let cron = parse_cron(&schedule.cron).unwrap();
        let now = start + Duration::minutes(span);
        let mut cursor = None;
        let mut seen = Vec::new();
        for _ in 0..1000 {
            let pass = record(&schedule, &cron, &Utc, cursor, now, cap);
            prop_assert!(pass.records.len() <= cap);
            seen.extend(pass.records.iter().map(|r| r.date));
            if cursor == Some(pass.cursor) { break; }
            cursor = Some(pass.cursor);
        }
        let all = ticks_in(&cron, &Utc, start - Duration::seconds(1), now, usize::MAX);
        prop_assert_eq!(seen, all);
    }

    /// Never more runs at once than allowed, and only waiting records start, oldest first.
    #[test]
    fn starts_respect_runs_at_once(waiting in prop::collection::btree_set(0u32..60, 0..20), active in 0u32..5, max in 1u32..6) {
        let waiting: Vec<u32> = waiting.into_iter().collect();
        let running: Vec<u32> = (100..100 + active).collect();
        let mut s = situation(&waiting, &[]);
        s.active = running.iter().map(|&m| (i64::from(m), at(0))).collect();
        let d = decide(Policy { max_active_runs: max, ..POLICY }, &s);
        prop_assert!(d.start.len() + active as usize <= (max as usize).max(active as usize));
        let expected: Vec<i64> = waiting.iter().take(d.start.len()).map(|&m| i64::from(m)).collect();
        prop_assert_eq!(d.start, expected);
    }
}
