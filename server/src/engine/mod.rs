//! Engines run execution plans. The local engine, the embedded default, runs each task as a
//! sandboxed process of this machine; runs live in the database and their folders under the
//! data dir (`runs/<run id>/work` shared by the run's tasks and seen by them at `/work`,
//! `runs/<run id>/logs/<task>/attempt-N.log`, `volumes/users/<claim>/<user>` and
//! `volumes/shared/<claim>` for mounts).

pub mod cleanup;
pub mod cluster;
pub mod executor;
pub mod local;
pub mod orphans;
pub mod process;
pub mod sandbox;
pub mod shell_io;
pub mod task_space;
pub mod terminal;
pub mod writer;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::domain::plan::Plan;
use app::model::RunStatus;
use tokio::sync::{broadcast, watch};

use crate::db::runs::{self as rows, RunChanges, TaskChanges};
use crate::db::{Db, DbError};
use writer::Writer;

/// A run in flight: which run (ids of single-task runs repeat), its cancel switch, and a
/// signal that turns true once it has ended and its state is recorded.
struct Running {
    pk: i64,
    stop: watch::Sender<bool>,
    done: watch::Receiver<bool>,
}

/// The live output of a running task, tagged with its run (single-task run ids repeat).
type LiveOutput = (i64, broadcast::Sender<process::LogChunk>);

/// What the scheduler of every run shares.
pub struct Inner {
    pub data_dir: PathBuf,
    /// Names this server's processes ([`orphans::ENGINE_VAR`]) without showing its data dir.
    pub engine_id: String,
    pub sandbox: sandbox::Sandbox,
    pub writer: Writer,
    /// Read access for the few checks the engine makes itself (a run still recorded).
    pub db: Db,
    /// Wait before the second attempt; doubled for each further one.
    pub retry_backoff: Duration,
    active: Mutex<HashMap<String, Running>>,
    /// Live output of running tasks by (run id, task name).
    streams: Mutex<HashMap<(String, String), LiveOutput>>,
    /// Open debug shells: sessions, and how many each user holds.
    pub shell_book: Mutex<terminal::ShellBook>,
    /// Wakes followers of tasks that have not started: a stream opened or a run ended.
    pub(crate) opened: tokio::sync::Notify,
}

impl Inner {
    /// Whether a run with this id is in flight on this engine.
    pub fn is_running(&self, run_id: &str) -> bool {
        self.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(run_id)
    }

    /// Variables on the process the server starts (not inside its sandbox) by which a later
    /// scan finds it: this server, the run and task, and whether it is a debug shell.
    pub fn tags(&self, env: &[(String, String)], shell: bool) -> Vec<(String, String)> {
        let mut tags = vec![(orphans::ENGINE_VAR.to_owned(), self.engine_id.clone())];
        tags.extend(env.iter().filter(|(k, _)| k == "KFJ_RUN_ID" || k == "KFJ_TASK_NAME").cloned());
        if shell {
            tags.push((orphans::SHELL_VAR.to_owned(), "1".to_owned()));
        }
        tags
    }

    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.data_dir.join("runs").join(run_id)
    }

    pub fn work_dir(&self, run_id: &str) -> PathBuf {
        task_space::work_dir(&self.data_dir, run_id)
    }

    pub fn log_dir(&self, run_id: &str, task: &str) -> PathBuf {
        self.run_dir(run_id).join("logs").join(task)
    }

    /// The log file of attempt `number` of a task.
    pub fn attempt_log(&self, run_id: &str, task: &str, number: u32) -> PathBuf {
        self.log_dir(run_id, task).join(format!("attempt-{number}.log"))
    }

    /// Opens the live output of a task that starts now.
    pub fn open_stream(&self, run_pk: i64, run_id: &str, task: &str) -> broadcast::Sender<process::LogChunk> {
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let mut streams = self.streams.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        streams.insert((run_id.to_owned(), task.to_owned()), (run_pk, live.clone()));
        drop(streams);
        self.opened.notify_waiters();
        live
    }

    /// Ends a task's live output (its subscribers' streams end) unless a newer run with the
    /// same id has taken it over.
    pub fn close_stream(&self, run_pk: i64, run_id: &str, task: &str) {
        let mut streams = self.streams.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (run_id.to_owned(), task.to_owned());
        if streams.get(&key).is_some_and(|(pk, _)| *pk == run_pk) {
            streams.remove(&key);
        }
    }

    /// Follows a running task's output; `None` when it is not running.
    pub fn subscribe(&self, run_id: &str, task: &str) -> Option<broadcast::Receiver<process::LogChunk>> {
        let streams = self.streams.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        streams.get(&(run_id.to_owned(), task.to_owned())).map(|(_, live)| live.subscribe())
    }
}

/// Why a run (and a task that had started) in flight at a crash failed.
const INTERRUPTED: &str = "interrupted: the server stopped while it ran";

/// Output chunks kept for a slow live subscriber before it skips ahead.
const LIVE_BUFFER: usize = 256;

/// The handle the API and the scheduler use.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Starts the engine of the server whose data dir is `data_dir` (which exists), with its
    /// sandbox checked.
    pub async fn start(db: Db, data_dir: PathBuf, retry_backoff: Duration, sandbox: sandbox::SandboxSettings) -> Self {
        let writer = Writer::start(db.clone());
        let data_dir = tokio::fs::canonicalize(&data_dir).await.unwrap_or(data_dir);
        let sandbox = sandbox::Sandbox::start(sandbox, &data_dir).await;
        Self {
            inner: Arc::new(Inner {
                engine_id: orphans::engine_id(&data_dir),
                sandbox,
                data_dir,
                writer,
                db,
                retry_backoff,
                active: Mutex::default(),
                streams: Mutex::default(),
                shell_book: Mutex::default(),
                opened: tokio::sync::Notify::new(),
            }),
        }
    }

    /// How local tasks run here, as the API reports it.
    pub fn task_isolation(&self) -> app::model::TaskIsolation {
        match self.inner.sandbox.readiness() {
            sandbox::Readiness::Isolated => app::model::TaskIsolation::Isolated,
            sandbox::Readiness::Off => app::model::TaskIsolation::Off,
            sandbox::Readiness::Unavailable(_) => app::model::TaskIsolation::Unavailable,
        }
    }

    pub fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The engine's state, for work handed to the blocking pool.
    pub fn shared(&self) -> Arc<Inner> {
        Arc::clone(&self.inner)
    }

    /// Books a debug shell for `user` (at most [`terminal::MAX_SHELLS_PER_USER`] each and
    /// [`terminal::MAX_SHELLS`] in all); the ticket gives the place back when dropped.
    pub fn book_shell(&self, user: i64) -> Result<terminal::ShellTicket, terminal::ShellLimit> {
        terminal::ShellTicket::book(self.inner.clone(), user)
    }

    /// Ends every open debug shell and its jobs (at shutdown).
    pub fn end_shells(&self) {
        let sessions = self.inner.shell_book.lock().unwrap_or_else(std::sync::PoisonError::into_inner).sessions();
        for session in sessions {
            terminal::kill_session(session);
        }
    }

    /// Starts a recorded run.
    pub fn submit(&self, run_pk: i64, plan: Plan) {
        let (stop, cancel) = watch::channel(false);
        let (finished, done) = watch::channel(false);
        let run_id = plan.run_id.clone();
        let inner = self.inner.clone();
        let key = run_id.clone();
        let mut active = self.inner.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tokio::spawn(async move {
            local::execute(inner.clone(), run_pk, plan, cancel).await;
            let mut active = inner.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if active.get(&key).is_some_and(|r| r.pk == run_pk) {
                active.remove(&key);
            }
            drop(active);
            inner.opened.notify_waiters();
            let _ = finished.send(true);
        });
        active.insert(run_id, Running { pk: run_pk, stop, done });
    }

    /// Cancels a run and waits until its processes are gone and its state is recorded;
    /// `false` if it was not running here. Every caller waits, not only the first.
    pub async fn cancel(&self, run_id: &str) -> bool {
        let mut done = {
            let active = self.inner.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match active.get(run_id) {
                Some(running) => {
                    let _ = running.stop.send(true);
                    running.done.clone()
                }
                None => return false,
            }
        };
        let _ = done.wait_for(|d| *d).await;
        true
    }

    /// Kills whatever still carries one of these run ids: debug shells and their jobs, and
    /// processes a run left behind.
    pub async fn kill_tagged(&self, run_ids: Vec<String>) {
        let engine_id = self.inner.engine_id.clone();
        let found = tokio::task::spawn_blocking(move || {
            let ids: std::collections::HashSet<&str> = run_ids.iter().map(String::as_str).collect();
            orphans::find(&engine_id, &ids)
        })
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "scanning for a run's processes failed"))
        .unwrap_or_default();
        for found in found {
            process::kill_group(found.group);
        }
    }

    /// Removes what a run left on disk: its scratch folder and its logs.
    pub async fn remove_run(&self, run_id: &str) {
        match tokio::fs::remove_dir_all(self.inner.run_dir(run_id)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(run_id, error = %e, "could not remove a run's folder");
            }
            _ => {}
        }
    }

    /// Cancels every run in flight (at shutdown), waiting at most `limit`.
    pub async fn cancel_all(&self, limit: Duration) {
        let ids: Vec<String> = {
            let active = self.inner.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            active.keys().cloned().collect()
        };
        let all = futures_util::future::join_all(ids.iter().map(|id| self.cancel(id)));
        let _ = tokio::time::timeout(limit, all).await;
    }

    /// Ends, in a true state, the runs a previous server process left unfinished: their
    /// leftover processes are killed (found by their environment, so even a task whose start
    /// was never recorded is), tasks that had started failed, waiting tasks cancelled. Debug
    /// shells it left are killed too: nobody is at their terminals any more.
    pub async fn reconcile(&self, db: &Db) -> Result<usize, DbError> {
        let mut conn = db.read().await?;
        let stale = rows::active(&mut conn.tx(), rows::Engine::Local).await?;
        let mut tasks = Vec::new();
        for run in &stale {
            tasks.push((run.clone(), rows::tasks_of(&mut conn.tx(), run.id).await?));
        }
        drop(conn);
        let scanned = orphans::scan(&self.inner.engine_id);
        let orphans = orphans::of_runs(&scanned, &stale.iter().map(|run| run.run_id.as_str()).collect());
        let mut groups = orphans::shells(&scanned);
        groups.extend(orphans.iter().map(|orphan| orphan.group));
        for group in groups {
            process::kill_group(group);
        }
        let writer = &self.inner.writer;
        for (run, run_tasks) in &tasks {
            for task in run_tasks {
                let started = orphans.iter().any(|o| o.run_id == run.run_id && o.task == task.name);
                let (status, message) = match RunStatus::parse(&task.status).unwrap_or(RunStatus::Pending) {
                    RunStatus::Running => (RunStatus::Failed, INTERRUPTED),
                    RunStatus::Pending if started => (RunStatus::Failed, INTERRUPTED),
                    RunStatus::Pending => (RunStatus::Cancelled, "not run: the server stopped"),
                    _ => continue,
                };
                writer.task(
                    run.id,
                    &task.name,
                    TaskChanges {
                        status: Some(status.as_str().into()),
                        message: Some(message.into()),
                        pid: Some(None),
                        finished_at: Some(Some(crate::db::now())),
                        ..TaskChanges::default()
                    },
                );
            }
            writer.run(
                run.id,
                RunChanges {
                    status: Some(RunStatus::Failed.as_str().into()),
                    message: Some(INTERRUPTED.into()),
                    finished_at: Some(Some(crate::db::now())),
                    ..RunChanges::default()
                },
            );
        }
        writer.flush().await;
        Ok(stale.len())
    }
}
