//! How the scheduler runs: how often it looks for due work, the server's time zone (the
//! zone of schedules that name none) and how many catch-up runs one pass creates at most.

use std::time::Duration;

use chrono_tz::Tz;

/// The scheduler's settings (`CUBIST_SCHEDULER_TICK_MS`, `CUBIST_TIMEZONE`,
/// `CUBIST_CATCHUP_CAP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// How often each replica looks for due work.
    pub tick: Duration,
    /// The zone of schedules that name none.
    pub timezone: Tz,
    /// Catch-up runs one pass creates at most (the rest follow in the next passes).
    pub catchup_cap: u32,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self { tick: Duration::from_secs(15), timezone: Tz::UTC, catchup_cap: 100 }
    }
}

/// The raw values of the settings.
pub struct SchedulerVars {
    pub tick_ms: Option<String>,
    pub timezone: Option<String>,
    pub catchup_cap: Option<String>,
}

/// Reads the settings; `Err((variable, problem))` names what is wrong.
pub fn parse(vars: SchedulerVars) -> Result<SchedulerSettings, (&'static str, String)> {
    let mut settings = SchedulerSettings::default();
    if let Some(ms) = vars.tick_ms {
        let ms: u64 = ms.trim().parse().ok().filter(|ms| (50..=3_600_000).contains(ms)).ok_or((
            "CUBIST_SCHEDULER_TICK_MS",
            format!("'{ms}' is not a number of milliseconds from 50 to 3600000"),
        ))?;
        settings.tick = Duration::from_millis(ms);
    }
    if let Some(zone) = vars.timezone {
        settings.timezone =
            zone_named(&zone).ok_or(("CUBIST_TIMEZONE", format!("'{zone}' is not an IANA time zone")))?;
    }
    if let Some(cap) = vars.catchup_cap {
        settings.catchup_cap = cap
            .trim()
            .parse()
            .ok()
            .filter(|cap| (1..=10_000).contains(cap))
            .ok_or(("CUBIST_CATCHUP_CAP", format!("'{cap}' is not a whole number from 1 to 10000")))?;
    }
    Ok(settings)
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
    }
}
