//! The local engine's scheduler: runs a plan's tasks as processes in dependency order, at
//! most `parallelism` at once, with retries (exponential backoff), timeouts, skip and
//! cancel. A failed task stops its downstream tasks; independent branches go on.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use app::domain::plan::{Plan, TaskPlan};
use app::domain::resources::{parse_cpu, parse_memory};
use app::model::{Attempt, RunStatus};
use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Inner;
use super::process::{self, Launch};
use super::sandbox::{Prepared, Spec, cgroup};
use super::task_space::{self, TaskSpace};
use crate::db::runs::{RunChanges, TaskChanges};

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

fn now() -> Option<chrono::NaiveDateTime> {
    Some(crate::db::now())
}

/// Runs one task with its retries; returns every attempt and whether it was cancelled.
async fn run_task(
    inner: Arc<Inner>,
    plan: Arc<Plan>,
    index: usize,
    run_pk: i64,
    cancel: watch::Receiver<bool>,
) -> (Vec<Attempt>, bool) {
    let task = &plan.tasks[index];
    let space = Arc::new(task_space::of_task(&inner.data_dir, &plan.run_id, task));
    let logs = inner.log_dir(&plan.run_id, &task.name);
    let live = inner.open_stream(run_pk, &plan.run_id, &task.name);
    let mut attempts: Vec<Attempt> = Vec::new();
    for number in 1..=task.retries + 1 {
        if number > 1 {
            let backoff = inner.retry_backoff.saturating_mul(1 << (number - 2).min(16)).min(MAX_BACKOFF);
            let mut stop = cancel.clone();
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                true = process::cancelled(&mut stop) => break,
            }
        }
        let prepared = {
            let (inner, plan, space, logs) = (inner.clone(), plan.clone(), space.clone(), logs.clone());
            tokio::task::spawn_blocking(move || prepare_attempt(&inner, &plan.tasks[index], &space, &logs))
                .await
                .unwrap_or_else(|e| Err(format!("the engine failed: {e}")))
        };
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(message) => {
                attempts.push(Attempt {
                    number,
                    started_at: chrono::Utc::now(),
                    exit_code: None,
                    message,
                    wall_ms: 0,
                    cpu_ms: None,
                    max_rss_kb: None,
                });
                break;
            }
        };
        let launch = Launch {
            prepared,
            program: task.argv.first().cloned().unwrap_or_default(),
            memory_limit: task.resources.memory.clone(),
            log: inner.attempt_log(&plan.run_id, &task.name, number),
            timeout: (task.timeout_secs > 0).then(|| Duration::from_secs(u64::from(task.timeout_secs))),
            number,
            live: live.clone(),
        };
        let writer = inner.writer.clone();
        let name = task.name.clone();
        let history = serde_json::to_string(&attempts).unwrap_or_default();
        let attempt = process::run(launch, cancel.clone(), move |pid| {
            writer.task(
                run_pk,
                &name,
                TaskChanges {
                    status: Some(RunStatus::Running.as_str().into()),
                    pid: Some(Some(pid)),
                    started_at: if number == 1 { Some(now()) } else { None },
                    attempts: Some(history),
                    ..TaskChanges::default()
                },
            );
        })
        .await;
        let done = process::succeeded(&attempt) || attempt.message == "cancelled";
        attempts.push(attempt);
        if done || *cancel.borrow() {
            break;
        }
    }
    inner.close_stream(run_pk, &plan.run_id, &task.name);
    let cancelled = *cancel.borrow() && !attempts.last().is_some_and(process::succeeded);
    (attempts, cancelled)
}

/// Creates the task's folders and its log folder and prepares its sandboxed process.
fn prepare_attempt(inner: &Inner, task: &TaskPlan, space: &TaskSpace, logs: &Path) -> Result<Prepared, String> {
    let owner = inner.sandbox.task_owner();
    task_space::prepare(space, owner).map_err(|e| format!("could not prepare the task's folders: {e}"))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(logs)
        .map_err(|e| format!("could not prepare {}: {e}", logs.display()))?;
    inner
        .sandbox
        .prepare(Spec {
            argv: &task.argv,
            env: &task.env,
            entries: space.entries.clone(),
            cwd: space.cwd.clone(),
            host_cwd: space.host_cwd.clone(),
            terminal: false,
            limits: limits_of(task),
            tags: inner.tags(&task.env, false),
        })
        .map_err(|e| format!("could not prepare the task's sandbox: {e}"))
}

/// The cgroup limits from the task's resources (the upper end of a range).
pub fn limits_of(task: &TaskPlan) -> cgroup::Limits {
    cgroup::Limits {
        memory_bytes: parse_memory(&task.resources.memory).ok().map(|m| m.limit_mb.saturating_mul(1_000_000)),
        cpu_milli: parse_cpu(&task.resources.cpu).ok().map(|c| c.limit_milli),
    }
}

fn finish_task(inner: &Inner, run_pk: i64, name: &str, status: RunStatus, message: String, attempts: &[Attempt]) {
    inner.writer.task(
        run_pk,
        name,
        TaskChanges {
            status: Some(status.as_str().into()),
            message: Some(message),
            pid: Some(None),
            finished_at: Some(now()),
            attempts: Some(serde_json::to_string(attempts).unwrap_or_default()),
            ..TaskChanges::default()
        },
    );
}

/// The attempt recorded when the engine itself failed while running a task.
fn engine_failure() -> Attempt {
    Attempt {
        number: 0,
        started_at: chrono::Utc::now(),
        exit_code: None,
        message: "the engine failed while running this task".into(),
        wall_ms: 0,
        cpu_ms: None,
        max_rss_kb: None,
    }
}

/// Runs the plan to its end and records every state; returns the run's final status.
pub async fn execute(inner: Arc<Inner>, run_pk: i64, plan: Plan, cancel: watch::Receiver<bool>) -> RunStatus {
    if !still_recorded(&inner, run_pk).await {
        tracing::info!(run_id = %plan.run_id, "not started: the run was removed before it began");
        return RunStatus::Cancelled;
    }
    let plan = Arc::new(plan);
    inner
        .writer
        .run(run_pk, RunChanges { status: Some("running".into()), started_at: Some(now()), ..RunChanges::default() });
    let index: HashMap<&str, usize> = plan.tasks.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    let mut status: Vec<RunStatus> = vec![RunStatus::Pending; plan.tasks.len()];
    let mut running = JoinSet::new();
    let mut active = 0usize;
    let limit = plan.parallelism.max(1) as usize;
    loop {
        let cancelled = *cancel.borrow();
        for i in 0..plan.tasks.len() {
            if status[i] != RunStatus::Pending {
                continue;
            }
            let task = &plan.tasks[i];
            let ups: Vec<RunStatus> =
                task.upstream.iter().filter_map(|u| index.get(u.as_str())).map(|&u| status[u]).collect();
            if cancelled {
                status[i] = RunStatus::Cancelled;
                finish_task(&inner, run_pk, &task.name, RunStatus::Cancelled, "the run was cancelled".into(), &[]);
            } else if let Some(bad) = task.upstream.iter().find(|u| {
                index.get(u.as_str()).is_some_and(|&u| matches!(status[u], RunStatus::Failed | RunStatus::Cancelled))
            }) {
                status[i] = RunStatus::Cancelled;
                finish_task(
                    &inner,
                    run_pk,
                    &task.name,
                    RunStatus::Cancelled,
                    format!("not run: upstream '{bad}' did not succeed"),
                    &[],
                );
            } else if ups.iter().all(|s| matches!(s, RunStatus::Succeeded | RunStatus::Skipped)) {
                if task.skip {
                    status[i] = RunStatus::Skipped;
                    finish_task(&inner, run_pk, &task.name, RunStatus::Skipped, "skipped".into(), &[]);
                } else if active < limit {
                    status[i] = RunStatus::Running;
                    active += 1;
                    let job = run_task(inner.clone(), plan.clone(), i, run_pk, cancel.clone());
                    // A panic must not leave the task "running": it becomes a failed attempt.
                    running.spawn(async move {
                        let outcome = std::panic::AssertUnwindSafe(job).catch_unwind().await;
                        (i, outcome.unwrap_or_else(|_| (vec![engine_failure()], false)))
                    });
                }
            }
        }
        if active == 0 && !status.contains(&RunStatus::Pending) {
            break;
        }
        let mut stop = cancel.clone();
        tokio::select! {
            Some(done) = running.join_next() => {
                active -= 1;
                let Ok((i, (attempts, cancelled))) = done else { continue };
                let last = attempts.last();
                let (state, message) = match last {
                    _ if cancelled => (RunStatus::Cancelled, "cancelled".into()),
                    Some(a) if process::succeeded(a) => (RunStatus::Succeeded, String::new()),
                    Some(a) if a.message == "cancelled" => (RunStatus::Cancelled, "cancelled".into()),
                    Some(a) if !a.message.is_empty() => (RunStatus::Failed, a.message.clone()),
                    Some(a) => (RunStatus::Failed, format!("exited with {}", a.exit_code.unwrap_or(-1))),
                    None => (RunStatus::Cancelled, "cancelled before it started".into()),
                };
                status[i] = state;
                finish_task(&inner, run_pk, &plan.tasks[i].name, state, message, &attempts);
            }
            true = process::cancelled(&mut stop), if !cancelled => {}
        }
    }
    let final_status = if status.contains(&RunStatus::Failed) {
        RunStatus::Failed
    } else if status.contains(&RunStatus::Cancelled) {
        RunStatus::Cancelled
    } else {
        RunStatus::Succeeded
    };
    let failed: HashSet<&str> = plan
        .tasks
        .iter()
        .zip(&status)
        .filter(|(_, s)| **s == RunStatus::Failed)
        .map(|(t, _)| t.name.as_str())
        .collect();
    let message = if failed.is_empty() {
        String::new()
    } else {
        format!("failed: {}", failed.into_iter().collect::<Vec<_>>().join(", "))
    };
    inner.writer.run(
        run_pk,
        RunChanges {
            status: Some(final_status.as_str().into()),
            message: Some(message),
            finished_at: Some(now()),
            ..RunChanges::default()
        },
    );
    inner.writer.flush().await;
    final_status
}

/// Removes a run's scratch folder (off the async threads: it may be large); its logs stay.
/// Whether the run's record still exists and waits to run. A run removed between its
/// recording and its start (its pipeline deleted, say) must not start: once it is in the
/// engine's table, removal cancels it instead.
async fn still_recorded(inner: &Inner, run_pk: i64) -> bool {
    let status = match inner.db.read().await {
        Ok(mut conn) => crate::db::runs::status_of(&mut conn.tx(), run_pk).await,
        Err(e) => Err(e),
    };
    match status {
        Ok(status) => status.as_deref().and_then(RunStatus::parse).is_some_and(RunStatus::is_active),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a run's record before starting it; starting it anyway");
            true
        }
    }
}

pub async fn remove_work(inner: &Inner, run_id: &str) {
    match tokio::fs::remove_dir_all(inner.work_dir(run_id)).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::warn!(run_id, error = %e, "could not remove a run's scratch folder");
        }
        _ => {}
    }
}
