//! Housekeeping, a job of the scheduler: the Workflows and pods of finished runs leave their
//! cluster after `CUBIST_CLUSTER_KEEP_MINUTES` (their records and logs stay readable), and
//! runs (with their logs), ended schedule records, audit rows and notifications older than
//! their retention are removed. Each pass works in batches; what is left goes next pass.

use std::time::Duration;

use super::Result;
use super::runs::placement;
use crate::db::housekeeping::{self as rows, BATCH};
use crate::db::{self, Db};
use crate::engine::executor::Engines;
use crate::scheduler::SchedulerSettings;
use crate::transaction;

/// Runs one pass treats at most, per kind of work.
const RUNS_PER_PASS: i64 = 200;
/// How long one cluster may take to remove one run's objects.
const CLUSTER_LIMIT: Duration = Duration::from_secs(30);

/// What a pass removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Runs whose Workflow and pods left their cluster.
    pub cluster_runs: usize,
    pub runs: usize,
    pub records: usize,
    pub audit: usize,
    pub notifications: usize,
    /// Work left for the next pass.
    pub more: bool,
    pub errors: Vec<String>,
}

/// The instant `days` days ago (`None`: kept for ever).
fn days_ago(days: u32) -> Option<chrono::NaiveDateTime> {
    (days > 0).then(|| db::now() - chrono::Duration::days(i64::from(days)))
}

/// One pass of the housekeeping.
pub async fn pass(db: &Db, engines: &Engines, settings: &SchedulerSettings) -> Result<Swept> {
    let mut swept = Swept::default();
    let keep = chrono::Duration::from_std(settings.cluster_keep).unwrap_or(chrono::Duration::MAX);
    let cutoff = db::now().checked_sub_signed(keep).unwrap_or_default();
    let ended = rows::uncleared_cluster_runs(&mut db.read().await?.tx(), cutoff, RUNS_PER_PASS).await?;
    swept.more |= ended.len() as i64 == RUNS_PER_PASS;
    for run in ended {
        let at = placement(&run);
        if tokio::time::timeout(CLUSTER_LIMIT, engines.clear(&at, &run.run_id)).await.is_err() {
            swept.errors.push(format!("run {}: its cluster {} did not answer", run.run_id, at.cluster));
            continue;
        }
        rows::mark_cleared(&mut db.write().await?.tx(), run.id, db::now()).await?;
        swept.cluster_runs += 1;
    }
    if let Some(cutoff) = days_ago(settings.retain_runs_days) {
        let old = rows::old_runs(&mut db.read().await?.tx(), cutoff, RUNS_PER_PASS).await?;
        swept.more |= old.len() as i64 == RUNS_PER_PASS;
        let mut gone = Vec::new();
        for run in &old {
            match tokio::time::timeout(CLUSTER_LIMIT, engines.remove(&placement(run), &run.run_id)).await {
                Ok(()) => gone.push(run.id),
                Err(_) => swept.errors.push(format!("run {}: its cluster {} did not answer", run.run_id, run.cluster)),
            }
        }
        let mut conn = db.write().await?;
        transaction!(&mut conn, |tx| rows::delete_runs(tx, &gone).await)?;
        swept.runs = gone.len();
        swept.records = rows::delete_old_records(&mut conn.tx(), cutoff).await?;
    }
    let mut conn = db.write().await?;
    if let Some(cutoff) = days_ago(settings.retain_audit_days) {
        swept.audit = rows::delete_old_audit(&mut conn.tx(), cutoff).await?;
    }
    if let Some(cutoff) = days_ago(settings.retain_notifications_days) {
        swept.notifications = rows::delete_old_notifications(&mut conn.tx(), cutoff).await?;
    }
    let full = |n: usize| n as i64 == BATCH;
    swept.more |= full(swept.records) || full(swept.audit) || full(swept.notifications);
    Ok(swept)
}
