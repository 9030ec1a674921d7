//! Slows password guessing: after `MAX_FAILURES` failed sign-ins for one key (the login
//! handler uses username and client address) within `WINDOW`, further attempts are refused
//! until the window has passed. Kept in memory per server process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Bound on remembered keys, so a flood of random usernames cannot grow memory without end.
pub const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Counts an attempt up front (so parallel guesses cannot slip past the limit), or
    /// returns how long the caller must wait. A success clears the count.
    pub fn try_attempt(&self, keys: &[String]) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else { return Ok(()) };
        if map.len() >= MAX_KEYS {
            map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        if map.len() >= MAX_KEYS {
            // Still full of fresh keys: forget the oldest tenth. Nobody is refused for the
            // map being full (that would let a flood lock everyone out); a flood only makes
            // the oldest counts be forgotten early.
            let mut ages: Vec<Instant> = map.values().map(|(_, since)| *since).collect();
            let cut = MAX_KEYS / 10;
            ages.select_nth_unstable(cut);
            let oldest_kept = ages[cut];
            map.retain(|_, (_, since)| *since >= oldest_kept);
        }
        for key in keys {
            if let Some((count, since)) = map.get(key)
                && *count >= MAX_FAILURES
                && now.duration_since(*since) < WINDOW
            {
                return Err(WINDOW - now.duration_since(*since));
            }
        }
        for key in keys {
            let entry = map.entry(key.clone()).or_insert((0, now));
            if now.duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        Ok(())
    }

    pub fn record_success(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            for key in keys {
                map.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_repeated_failures_and_success_clears() {
        let t = LoginThrottle::default();
        let keys = vec!["user:bob".to_owned()];
        for _ in 0..MAX_FAILURES {
            assert!(t.try_attempt(&keys).is_ok());
        }
        assert!(t.try_attempt(&keys).is_err_and(|d| d <= WINDOW), "the sixth attempt waits");
        assert!(t.try_attempt(&["user:alice".to_owned()]).is_ok(), "other keys are not locked");
        t.record_success(&keys);
        assert!(t.try_attempt(&keys).is_ok(), "a success clears the count");
    }

    #[test]
    fn a_flood_of_keys_stays_bounded_and_locks_nobody_else_out() {
        let t = LoginThrottle::default();
        for i in 0..MAX_KEYS + 10 {
            for _ in 0..MAX_FAILURES {
                let _ = t.try_attempt(&[format!("flood-{i}@198.51.100.1")]);
            }
            assert!(t.failures.lock().map(|m| m.len()).unwrap_or(0) <= MAX_KEYS);
        }
        assert!(t.try_attempt(&["admin@203.0.113.9".to_owned()]).is_ok(), "a new client is never refused");
    }
}
