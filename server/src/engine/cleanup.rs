//! The periodic clean-up: finished runs' scratch folders go after a retention time; their
//! records and logs stay. Runs every hour and once at start.

use std::time::Duration;

use super::Engine;
use crate::db::runs as rows;
use crate::db::{Db, DbError};

/// How often the sweep runs.
const EVERY: Duration = Duration::from_secs(3600);

/// Removes the scratch folders of runs that finished before `now - keep`; returns how many.
pub async fn sweep(db: &Db, engine: &Engine, keep: chrono::Duration) -> Result<usize, DbError> {
    let root = engine.inner().data_dir.join("runs");
    let listed = root.clone();
    let with_work: Vec<String> = tokio::task::spawn_blocking(move || {
        let Ok(entries) = std::fs::read_dir(&listed) else { return Vec::new() };
        entries
            .flatten()
            .filter(|e| e.path().join("work").is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()
    })
    .await
    .inspect_err(|e| tracing::warn!(error = %e, "listing run folders failed"))
    .unwrap_or_default();
    if with_work.is_empty() {
        return Ok(0);
    }
    let cutoff = crate::db::now() - keep;
    let mut conn = db.read().await?;
    let finished = rows::finished_before(&mut conn.tx(), &with_work, cutoff).await?;
    drop(conn);
    // Scratch folders may be large: removed on the blocking pool. A single-task run reuses
    // its id, so a run started again since the query keeps its folder.
    let inner = engine.shared();
    let removed = tokio::task::spawn_blocking(move || {
        finished
            .iter()
            .filter(|run_id| !inner.is_running(run_id))
            .filter(|run_id| std::fs::remove_dir_all(root.join(run_id).join("work")).is_ok())
            .count()
    })
    .await
    .inspect_err(|e| tracing::warn!(error = %e, "removing scratch folders failed"))
    .unwrap_or(0);
    Ok(removed)
}

/// Starts the hourly sweep.
pub fn start(db: Db, engine: Engine, keep: chrono::Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        loop {
            every.tick().await;
            match sweep(&db, &engine, keep).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "removed scratch folders of finished runs"),
                Err(e) => tracing::warn!(error = %e, "could not clean up finished runs"),
            }
        }
    });
}
