//! The server's periodic work, safe with several replicas on one database: each job has a
//! row in `background_jobs`; every replica looks for due jobs each tick and runs one only
//! after claiming its lease, so a pass runs on one replica at a time. What a pass does is
//! idempotent on its own (unique execution dates, guarded state changes, unique alert
//! sources), so even a pass that outlives its lease does nothing twice. Failed passes are
//! retried with backoff and every job's last run, next run and last error are visible to
//! administrators.

pub mod settings;

use std::time::Duration;

use chrono::NaiveDateTime;

pub use settings::SchedulerSettings;

use crate::alerts::Senders;
use crate::db::{self, Db, background_jobs as jobs};
use crate::domain::{alerts, housekeeping, schedule_pass};
use crate::engine::executor::Engines;
use crate::transaction;

/// The periodic jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Records due execution dates and starts scheduled runs.
    Schedules,
    /// Turns run events into notifications and delivers them.
    Alerts,
    /// Removes finished runs' cluster objects and rows past their retention.
    Housekeeping,
}

impl Job {
    pub const ALL: [Job; 3] = [Job::Schedules, Job::Alerts, Job::Housekeeping];

    pub fn name(self) -> &'static str {
        match self {
            Self::Schedules => "schedules",
            Self::Alerts => "alerts",
            Self::Housekeeping => "housekeeping",
        }
    }

    /// The wait between passes.
    fn every(self, settings: &SchedulerSettings) -> Duration {
        match self {
            Self::Schedules | Self::Alerts => settings.tick,
            Self::Housekeeping => settings.housekeeping,
        }
    }
}

/// The longest wait after failures in a row: well under the five minutes after which a
/// date counts as missed.
const MAX_BACKOFF: Duration = Duration::from_secs(120);

/// What a pass did: whether it should run again at once, and what failed on the way.
struct Outcome {
    behind: bool,
    errors: Vec<String>,
}

/// Everything the jobs of this replica need.
pub struct Worker {
    pub db: Db,
    pub engines: Engines,
    pub settings: SchedulerSettings,
    pub senders: Senders,
    /// Where users reach the server, for links in alerts.
    pub public_url: Option<String>,
}

/// A name for this replica: host, process and a random part.
fn replica_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    format!("{host}:{}:{}", std::process::id(), &crate::domain::runs::new_run_id()[..8])
}

fn after(now: NaiveDateTime, wait: Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

impl Worker {
    /// Starts the jobs of this replica, each in a task of its own (a slow channel of the
    /// alerts never holds the schedules).
    pub fn start(self) {
        let worker = std::sync::Arc::new(self);
        let owner: std::sync::Arc<str> = replica_name().into();
        for job in Job::ALL {
            let (worker, owner) = (worker.clone(), owner.clone());
            tokio::spawn(async move {
                loop {
                    let again = match worker.tick(job, &owner).await {
                        Ok(more) => more,
                        Err(e) => {
                            tracing::warn!(job = job.name(), error = %e, "a job could not reach the database");
                            false
                        }
                    };
                    if !again {
                        // Jitter: replicas do not fall into step, so any of them takes the next pass.
                        let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.5..1.5);
                        tokio::time::sleep(worker.settings.tick.mul_f64(jitter)).await;
                    }
                }
            });
        }
    }

    async fn pass(&self, job: Job) -> Result<Outcome, crate::domain::Error> {
        match job {
            Job::Schedules => {
                let done = schedule_pass::pass(&self.db, &self.engines, &self.settings).await?;
                Ok(Outcome { behind: done.behind, errors: done.errors })
            }
            Job::Alerts => {
                let more = alerts::notify(&self.db, &self.senders, self.public_url.as_deref()).await?;
                let errors = alerts::deliver(&self.db, &self.senders).await?;
                Ok(Outcome { behind: more, errors })
            }
            Job::Housekeeping => {
                let swept = housekeeping::pass(&self.db, &self.engines, &self.settings).await?;
                if swept.cluster_runs + swept.runs + swept.records + swept.audit + swept.notifications > 0 {
                    tracing::info!(?swept, "housekeeping removed finished work");
                }
                Ok(Outcome { behind: swept.more && swept.errors.is_empty(), errors: swept.errors })
            }
        }
    }

    /// Runs `job` if it is due and free; `true` when it should run again at once.
    async fn tick(&self, job: Job, owner: &str) -> Result<bool, db::DbError> {
        let (name, now) = (job.name(), db::now());
        // A pass longer than its lease lets another replica start one: harmless, only wasteful.
        let lease = self.settings.tick.max(Duration::from_secs(60)) * 4;
        let mut conn = self.db.write().await?;
        let claimed = transaction!(&mut conn, |tx| {
            jobs::ensure(tx, name, now).await?;
            jobs::claim(tx, name, owner, now, after(now, lease)).await
        })?;
        drop(conn);
        if !claimed {
            return Ok(false);
        }
        let outcome = self.pass(job).await;
        let failures = match &outcome {
            Ok(_) => 0,
            Err(_) => jobs::get(&mut self.db.read().await?.tx(), name).await?.map_or(0, |j| j.failures) + 1,
        };
        let tick = job.every(&self.settings);
        let (next, error) = match &outcome {
            Ok(done) => {
                if !done.errors.is_empty() {
                    tracing::warn!(job = name, errors = ?done.errors, "a pass of a job went partly wrong");
                }
                (if done.behind { Duration::ZERO } else { tick }, done.errors.join("; "))
            }
            Err(e) => {
                tracing::warn!(job = name, error = %e, "a pass of a job failed");
                // Never sooner than its usual wait: an hourly job stays hourly.
                (tick.saturating_mul(1 << failures.clamp(0, 16)).min(MAX_BACKOFF).max(tick), e.to_string())
            }
        };
        let finished = db::now();
        let mut conn = self.db.write().await?;
        transaction!(&mut conn, |tx| jobs::finish(tx, name, owner, finished, after(finished, next), &error).await)?;
        Ok(matches!(outcome, Ok(done) if done.behind))
    }
}
