//! Housekeeping, a job of the scheduler: the Workflows and pods of finished runs leave their
//! cluster after `CUBIST_CLUSTER_KEEP_MINUTES` (their records and logs stay readable), and
//! runs (with their logs), ended schedule records, audit rows and notifications older than
//! their retention are removed. Each pass works in batches; what is left goes next pass.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use super::Result;
use super::runs::placement;
use crate::db::housekeeping::{self as rows, BATCH};
use crate::db::runs::RunRow;
use crate::db::{self, Db};
use crate::engine::executor::Engines;
use crate::scheduler::SchedulerSettings;
use crate::transaction;
use cubist_kube::clusters::LOCAL;

/// Runs one pass treats at most, per kind of work.
const RUNS_PER_PASS: i64 = 200;
/// How long one cluster may take to remove one run's objects (it waits for them to go).
const CLUSTER_LIMIT: Duration = Duration::from_secs(60);
/// How long one pass may spend on clusters: the rest waits for the next pass.
const CLUSTER_BUDGET: Duration = Duration::from_secs(120);
/// How long a run whose cluster did not answer is left alone.
const TRY_AGAIN_AFTER: chrono::Duration = chrono::Duration::hours(1);

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

/// Clusters a pass has given up on, and how long it has spent on clusters.
struct ClusterWork {
    started: std::time::Instant,
    down: HashSet<String>,
}

impl ClusterWork {
    /// Whether `run` may be worked on now: its cluster answered so far and time is left.
    fn may(&self, run: &RunRow) -> bool {
        run.cluster == LOCAL || (!self.down.contains(&run.cluster) && self.started.elapsed() < CLUSTER_BUDGET)
    }
}

/// Whether `run` is still the ended run that was listed, and nothing of its id runs now.
async fn removable(db: &Db, engines: &Engines, run: &RunRow) -> Result<bool> {
    let still = rows::still_ended(&mut db.read().await?.tx(), run.id, &run.run_id).await?;
    Ok(still && !engines.is_running(&run.run_id))
}

/// Does `work` for `run` on its cluster; on failure the cluster is skipped for the rest of
/// the pass and the run left alone for a while. `true` when it was done.
async fn on_cluster<F: Future<Output = std::result::Result<(), String>>>(
    db: &Db,
    clusters: &mut ClusterWork,
    swept: &mut Swept,
    run: &RunRow,
    work: F,
) -> Result<bool> {
    let failed = match tokio::time::timeout(CLUSTER_LIMIT, work).await {
        Ok(Ok(())) => return Ok(true),
        Ok(Err(e)) => e,
        Err(_) => format!("run {}: its cluster {} did not answer", run.run_id, run.cluster),
    };
    swept.errors.push(failed);
    clusters.down.insert(run.cluster.clone());
    rows::defer(&mut db.write().await?.tx(), run.id, db::now() + TRY_AGAIN_AFTER).await?;
    Ok(false)
}

/// One pass of the housekeeping.
pub async fn pass(db: &Db, engines: &Engines, settings: &SchedulerSettings) -> Result<Swept> {
    let mut swept = Swept::default();
    let mut clusters = ClusterWork { started: std::time::Instant::now(), down: HashSet::new() };
    let keep = chrono::Duration::from_std(settings.cluster_keep).unwrap_or(chrono::Duration::MAX);
    let cutoff = db::now().checked_sub_signed(keep).unwrap_or_default();
    let ended = rows::uncleared_cluster_runs(&mut db.read().await?.tx(), cutoff, db::now(), RUNS_PER_PASS).await?;
    swept.more |= ended.len() as i64 == RUNS_PER_PASS;
    for run in &ended {
        if !clusters.may(run) || !removable(db, engines, run).await? {
            continue;
        }
        if on_cluster(db, &mut clusters, &mut swept, run, engines.clear(&placement(run), &run.run_id)).await? {
            rows::mark_cleared(&mut db.write().await?.tx(), run.id, db::now()).await?;
            swept.cluster_runs += 1;
        }
    }
    if let Some(cutoff) = days_ago(settings.retain_runs_days) {
        let old = rows::old_runs(&mut db.read().await?.tx(), cutoff, db::now(), RUNS_PER_PASS).await?;
        swept.more |= old.len() as i64 == RUNS_PER_PASS;
        let mut gone = Vec::new();
        for run in &old {
            if !clusters.may(run) || !removable(db, engines, run).await? {
                continue;
            }
            if on_cluster(db, &mut clusters, &mut swept, run, engines.remove(&placement(run), &run.run_id)).await? {
                gone.push(run.id);
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
