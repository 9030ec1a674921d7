//! How the scheduler runs: how often it looks for due work, the server's time zone (the
//! zone of schedules that name none), how many catch-up runs one pass creates at most, and
//! the housekeeping: how often it runs and how long finished work is kept.

use std::time::Duration;

use chrono_tz::Tz;

/// The scheduler's settings (`CUBIST_SCHEDULER_TICK_MS`, `CUBIST_TIMEZONE`,
/// `CUBIST_CATCHUP_CAP`, `CUBIST_HOUSEKEEPING_MS`, `CUBIST_RETAIN_*_DAYS`,
/// `CUBIST_CLUSTER_KEEP_MINUTES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// How often each replica looks for due work.
    pub tick: Duration,
    /// The zone of schedules that name none.
    pub timezone: Tz,
    /// Catch-up runs one pass creates at most (the rest follow in the next passes).
    pub catchup_cap: u32,
    /// How often the housekeeping runs.
    pub housekeeping: Duration,
    /// Days finished runs (records, logs), ended schedule records, audit rows and
    /// notifications are kept; 0 keeps them for ever.
    pub retain_runs_days: u32,
    pub retain_audit_days: u32,
    pub retain_notifications_days: u32,
    /// How long a finished run's Workflow and pods stay on its cluster.
    pub cluster_keep: Duration,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(15),
            timezone: Tz::UTC,
            catchup_cap: 100,
            housekeeping: Duration::from_secs(3600),
            retain_runs_days: 365,
            retain_audit_days: 365,
            retain_notifications_days: 90,
            cluster_keep: Duration::from_secs(3 * 3600),
        }
    }
}

/// The raw values of the settings.
#[derive(Default)]
pub struct SchedulerVars {
    pub tick_ms: Option<String>,
    pub timezone: Option<String>,
    pub catchup_cap: Option<String>,
    pub housekeeping_ms: Option<String>,
    pub retain_runs_days: Option<String>,
    pub retain_audit_days: Option<String>,
    pub retain_notifications_days: Option<String>,
    pub cluster_keep_minutes: Option<String>,
}

/// A whole number of `var` in `range`, or the problem.
pub(crate) fn number(
    var: &'static str,
    text: Option<String>,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, (&'static str, String)> {
    let Some(text) = text else { return Ok(None) };
    let (low, high) = (*range.start(), *range.end());
    match text.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err((var, format!("'{text}' is not a whole number from {low} to {high}"))),
    }
}

/// Reads the settings; `Err((variable, problem))` names what is wrong.
pub fn parse(vars: SchedulerVars) -> Result<SchedulerSettings, (&'static str, String)> {
    let mut s = SchedulerSettings::default();
    if let Some(ms) = number("CUBIST_SCHEDULER_TICK_MS", vars.tick_ms, 50..=3_600_000)? {
        s.tick = Duration::from_millis(ms);
    }
    if let Some(zone) = vars.timezone {
        s.timezone = zone_named(&zone).ok_or(("CUBIST_TIMEZONE", format!("'{zone}' is not an IANA time zone")))?;
    }
    if let Some(cap) = number("CUBIST_CATCHUP_CAP", vars.catchup_cap, 1..=10_000)? {
        s.catchup_cap = u32::try_from(cap).unwrap_or(u32::MAX);
    }
    if let Some(ms) = number("CUBIST_HOUSEKEEPING_MS", vars.housekeeping_ms, 50..=86_400_000)? {
        s.housekeeping = Duration::from_millis(ms);
    }
    let days = |var, text| number(var, text, 0..=36_500).map(|d| d.map(|d| u32::try_from(d).unwrap_or(u32::MAX)));
    if let Some(d) = days("CUBIST_RETAIN_RUNS_DAYS", vars.retain_runs_days)? {
        s.retain_runs_days = d;
    }
    if let Some(d) = days("CUBIST_RETAIN_AUDIT_DAYS", vars.retain_audit_days)? {
        s.retain_audit_days = d;
    }
    if let Some(d) = days("CUBIST_RETAIN_NOTIFICATIONS_DAYS", vars.retain_notifications_days)? {
        s.retain_notifications_days = d;
    }
    if let Some(m) = number("CUBIST_CLUSTER_KEEP_MINUTES", vars.cluster_keep_minutes, 0..=525_600)? {
        s.cluster_keep = Duration::from_secs(m * 60);
    }
    Ok(s)
}

/// The IANA zone named `name` (`Europe/Berlin`, `UTC`).
pub fn zone_named(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(tick: Option<&str>, zone: Option<&str>, cap: Option<&str>) -> SchedulerVars {
        SchedulerVars {
            tick_ms: tick.map(str::to_owned),
            timezone: zone.map(str::to_owned),
            catchup_cap: cap.map(str::to_owned),
            ..SchedulerVars::default()
        }
    }

    #[test]
    fn reads_each_setting_and_names_the_bad_one() {
        let s = parse(vars(Some("200"), Some("Asia/Shanghai"), Some("50"))).unwrap();
        assert_eq!(s.tick, Duration::from_millis(200));
        assert_eq!(s.timezone, Tz::Asia__Shanghai);
        assert_eq!(s.catchup_cap, 50);
        assert_eq!(parse(vars(None, None, None)).unwrap(), SchedulerSettings::default());
        assert_eq!(parse(vars(Some("5"), None, None)).unwrap_err().0, "CUBIST_SCHEDULER_TICK_MS");
        assert_eq!(parse(vars(None, Some("Mars/Olympus"), None)).unwrap_err().0, "CUBIST_TIMEZONE");
        assert_eq!(parse(vars(None, None, Some("0"))).unwrap_err().0, "CUBIST_CATCHUP_CAP");
        let kept = SchedulerVars {
            retain_runs_days: Some("0".into()),
            cluster_keep_minutes: Some("0".into()),
            ..Default::default()
        };
        let kept = parse(kept).unwrap();
        assert_eq!((kept.retain_runs_days, kept.cluster_keep), (0, Duration::ZERO));
        let bad = SchedulerVars { retain_audit_days: Some("-1".into()), ..Default::default() };
        assert_eq!(parse(bad).unwrap_err().0, "CUBIST_RETAIN_AUDIT_DAYS");
    }
}
