//! How fast Cubist creates objects (Workflows and pods) on one cluster: at most a number per
//! second, with bursts, per cluster (`CUBIST_CLUSTER_CREATE_RATE`), so that a backfill or
//! many debug shells at once queue here instead of flooding the cluster's API server. A
//! creation beyond the rate waits its turn; nothing is refused.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The variable that sets the rate.
pub const VARIABLE: &str = "CUBIST_CLUSTER_CREATE_RATE";

/// Objects created per second on one cluster, and how many may go at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateRate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Default for CreateRate {
    fn default() -> Self {
        Self {
            per_second: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// Reads `<per second>` or `<per second>,<burst>` (the burst is the rate when not given).
pub fn parse(text: Option<&str>) -> Result<CreateRate, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(CreateRate::default()) };
    let number = |part: &str, what: &str| {
        part.trim()
            .parse::<u32>()
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| format!("'{}' is not a {what} (a whole number from 1)", part.trim()))
    };
    let (rate, burst) = text.split_once(',').map_or((text, None), |(rate, burst)| (rate, Some(burst)));
    let per_second = number(rate, "number of objects per second")?;
    let burst = burst.map(|b| number(b, "burst")).transpose()?.unwrap_or(per_second);
    Ok(CreateRate { per_second, burst })
}

/// The creations allowed on each cluster.
pub struct CreateLimiter(DefaultKeyedRateLimiter<String>);

impl CreateLimiter {
    pub fn new(rate: CreateRate) -> Self {
        Self(RateLimiter::keyed(Quota::per_second(rate.per_second).allow_burst(rate.burst)))
    }

    /// Waits until one more object may be created on `cluster`.
    pub async fn wait_turn(&self, cluster: &str) {
        self.0.until_key_ready(&cluster.to_owned()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_with_an_optional_burst() {
        let rate =
            |p: u32, b: u32| CreateRate { per_second: NonZeroU32::new(p).unwrap(), burst: NonZeroU32::new(b).unwrap() };
        assert_eq!(parse(None), Ok(rate(20, 100)));
        assert_eq!(parse(Some(" 5 ")), Ok(rate(5, 5)));
        assert_eq!(parse(Some("5, 40")), Ok(rate(5, 40)));
        assert!(parse(Some("0")).unwrap_err().contains("'0' is not a number of objects per second"));
        assert!(parse(Some("5,x")).unwrap_err().contains("'x' is not a burst"));
        assert!(parse(Some("-3")).is_err());
    }
}
