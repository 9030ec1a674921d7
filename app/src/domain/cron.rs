//! Cron schedules of pipelines: standard five-field expressions (minute hour day month
//! weekday, with ranges, lists and steps) or `@hourly`-style nicknames, parsed by croner,
//! and a preview of the next run times so users see what they scheduled.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;

/// Parses a schedule, refusing anything but five fields or a nickname.
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    let expr = expr.trim();
    let fields = expr.split_whitespace().count();
    let nickname = expr.starts_with('@') && fields == 1;
    if !nickname && fields != 5 {
        return Err(format!("needs 5 fields (minute hour day month weekday), found {fields}"));
    }
    Cron::from_str(expr).map_err(|e| format!("is not a valid schedule: {e}"))
}

/// The next `count` run times strictly after `after`.
pub fn next_runs(expr: &str, after: DateTime<Utc>, count: usize) -> Result<Vec<DateTime<Utc>>, String> {
    let cron = parse_cron(expr)?;
    let mut out = Vec::with_capacity(count);
    let mut at = after;
    while out.len() < count {
        match cron.find_next_occurrence(&at, false) {
            Ok(next) => {
                out.push(next);
                at = next;
            }
            Err(_) => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).single().unwrap()
    }

    #[test]
    fn previews_the_next_runs() {
        let runs = next_runs("*/15 * * * *", at(10, 7), 3).unwrap();
        assert_eq!(runs, [at(10, 15), at(10, 30), at(10, 45)]);
        let weekdays = next_runs("0 2 * * 1-5", at(10, 0), 2).unwrap();
        assert_eq!(weekdays[0], Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).single().unwrap());
        assert_eq!(next_runs("@hourly", at(10, 7), 1).unwrap(), [at(11, 0)]);
        assert_eq!(next_runs("0,30 9-10 * * *", at(9, 10), 3).unwrap(), [at(9, 30), at(10, 0), at(10, 30)]);
    }

    #[test]
    fn refuses_bad_schedules() {
        for bad in ["", "* * * *", "0 0 * * * *", "61 * * * *", "* 25 * * *", "every day", "@sometimes"] {
            assert!(parse_cron(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "[0-9*/,@a-z -]{0,30}") {
            let _ = next_runs(&s, at(0, 0), 2);
        }
    }
}
