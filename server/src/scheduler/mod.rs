//! The server's periodic work, safe with several replicas on one database: each job has a
//! row in `background_jobs`; every replica looks for due jobs each tick and runs one only
//! after claiming its lease, so a pass runs on one replica at a time. What a pass does is
//! idempotent on its own (unique execution dates, guarded state changes), so even a pass
//! that outlives its lease cannot run a tick twice. Failed passes are retried with backoff
//! and every job's last run, next run and last error are visible to administrators.

pub mod settings;

use std::time::Duration;

use chrono::NaiveDateTime;

pub use settings::SchedulerSettings;

use crate::db::{self, Db, background_jobs as jobs};
use crate::domain::schedule_pass;
use crate::engine::executor::Engines;
use crate::transaction;

/// The job that records due execution dates and starts scheduled runs.
pub const SCHEDULES: &str = "schedules";

/// The longest wait after failures in a row: well under the five minutes after which a
/// date counts as missed.
const MAX_BACKOFF: Duration = Duration::from_secs(120);

/// A name for this replica: host, process and a random part.
fn replica_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    format!("{host}:{}:{}", std::process::id(), &crate::domain::runs::new_run_id()[..8])
}

fn after(now: NaiveDateTime, wait: Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

/// Starts the scheduler of this replica.
pub fn start(db: Db, engines: Engines, settings: SchedulerSettings) {
    tokio::spawn(async move {
        let owner = replica_name();
        loop {
            let again = match tick(&db, &engines, &settings, &owner).await {
                Ok(again) => again,
                Err(e) => {
                    tracing::warn!(error = %e, "the scheduler could not reach the database");
                    false
                }
            };
            if !again {
                // Jitter: replicas do not fall into step, so any of them takes the next pass.
                let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.5..1.5);
                tokio::time::sleep(settings.tick.mul_f64(jitter)).await;
            }
        }
    });
}

/// Runs the schedules job if it is due and free; `true` when it should run again at once.
async fn tick(db: &Db, engines: &Engines, settings: &SchedulerSettings, owner: &str) -> Result<bool, db::DbError> {
    let now = db::now();
    // A pass longer than its lease lets another replica start one: harmless, only wasteful.
    let lease = settings.tick.max(Duration::from_secs(60)) * 4;
    let mut conn = db.write().await?;
    let claimed = transaction!(&mut conn, |tx| {
        jobs::ensure(tx, SCHEDULES, now).await?;
        jobs::claim(tx, SCHEDULES, owner, now, after(now, lease)).await
    })?;
    drop(conn);
    if !claimed {
        return Ok(false);
    }
    let outcome = schedule_pass::pass(db, engines, settings).await;
    let failures = match &outcome {
        Ok(_) => 0,
        Err(_) => jobs::get(&mut db.read().await?.tx(), SCHEDULES).await?.map_or(0, |j| j.failures) + 1,
    };
    let (next, error) = match &outcome {
        Ok(done) if !done.errors.is_empty() => {
            tracing::warn!(errors = ?done.errors, "some schedules could not be served");
            let wait = if done.behind { Duration::ZERO } else { settings.tick };
            (wait, done.errors.join("; "))
        }
        Ok(done) if done.behind => (Duration::ZERO, String::new()),
        Ok(_) => (settings.tick, String::new()),
        Err(e) => {
            tracing::warn!(error = %e, "a pass of the scheduler failed");
            let backoff = settings.tick.saturating_mul(1 << failures.clamp(0, 16)).min(MAX_BACKOFF);
            (backoff, e.to_string())
        }
    };
    let finished = db::now();
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| jobs::finish(tx, SCHEDULES, owner, finished, after(finished, next), &error).await)?;
    Ok(matches!(outcome, Ok(done) if done.behind))
}
