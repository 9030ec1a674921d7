//! One attempt of a task as a process of this machine: its own process group (so a timeout
//! or cancel kills everything it started), its output piped through the server into the
//! attempt's log file and to live subscribers, and its resource usage (CPU time from
//! `wait4`; peak memory from its cgroup, else `wait4`) for right-sizing. The process is
//! prepared by the sandbox and started on its spawner thread.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use app::model::Attempt;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, watch};
use wait4::Wait4;

use super::sandbox::{Prepared, on_spawner, thread_join};

/// A piece of a task's output as it is written: which attempt, where in its log, what.
#[derive(Debug, Clone)]
pub struct LogChunk {
    pub attempt: u32,
    pub offset: u64,
    pub data: std::sync::Arc<[u8]>,
}

/// How long output is still copied after the task's process group is gone.
const PUMP_GRACE: Duration = Duration::from_secs(2);

/// Where and how one attempt runs.
pub struct Launch {
    pub prepared: Prepared,
    /// The task's program, for the message when it cannot start.
    pub program: String,
    /// The memory limit as the task gave it, for the message when it is exceeded.
    pub memory_limit: String,
    pub log: PathBuf,
    pub timeout: Option<Duration>,
    pub number: u32,
    /// Live subscribers of the task's output.
    pub live: broadcast::Sender<LogChunk>,
}

/// Kills a process group; it may be gone already.
pub fn kill_group(pid: i64) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// Starts the prepared process in a process group of its own, on the spawner thread.
async fn spawn(prepared: &Prepared) -> std::io::Result<std::process::Child> {
    let mut command = prepared.command();
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let join = prepared.thread_join.clone();
    on_spawner(move || thread_join::while_inside(join.as_ref(), || command.spawn())).await??
}

/// Copies stdout and stderr, as they come, into the log file and to live subscribers.
async fn pump(
    mut out: impl AsyncRead + Unpin,
    mut err: impl AsyncRead + Unpin,
    log: File,
    live: broadcast::Sender<LogChunk>,
    attempt: u32,
) {
    let mut log = tokio::fs::File::from_std(log);
    let (mut a, mut b) = ([0u8; 8192], [0u8; 8192]);
    let (mut out_open, mut err_open) = (true, true);
    let mut offset = 0u64;
    while out_open || err_open {
        let data = tokio::select! {
            n = out.read(&mut a), if out_open => match n { Ok(0) | Err(_) => { out_open = false; continue } Ok(n) => &a[..n] },
            n = err.read(&mut b), if err_open => match n { Ok(0) | Err(_) => { err_open = false; continue } Ok(n) => &b[..n] },
        };
        if log.write_all(data).await.is_err() {
            break;
        }
        let _ = live.send(LogChunk { attempt, offset, data: data.into() });
        offset += data.len() as u64;
    }
    let _ = log.flush().await;
}

/// Runs one attempt to its end; `on_start` gets the process (group) id.
pub async fn run(mut launch: Launch, mut cancel: watch::Receiver<bool>, on_start: impl FnOnce(i64)) -> Attempt {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let mut attempt = Attempt {
        number: launch.number,
        started_at,
        exit_code: None,
        message: String::new(),
        wall_ms: 0,
        cpu_ms: None,
        max_rss_kb: None,
    };
    let group = launch.prepared.group.take();
    let mut child = match spawn(&launch.prepared).await {
        Ok(child) => child,
        Err(e) => {
            attempt.message = format!("could not start {:?}: {e}", launch.program);
            if let Some(group) = group {
                let _ = tokio::task::spawn_blocking(move || group.release()).await;
            }
            return attempt;
        }
    };
    let pid = i64::from(child.id());
    on_start(pid);
    let log = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&launch.log);
    let pump = match (log, child.stdout.take(), child.stderr.take()) {
        (Ok(log), Some(out), Some(err)) => {
            let out = tokio::process::ChildStdout::from_std(out);
            let err = tokio::process::ChildStderr::from_std(err);
            match (out, err) {
                (Ok(out), Ok(err)) => Some(tokio::spawn(pump(out, err, log, launch.live.clone(), launch.number))),
                _ => None,
            }
        }
        _ => None,
    };
    // A thread of its own per waiting process: the blocking pool stays free for file and
    // database work however many tasks run.
    let (reaped, mut waiting) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let ended = child.wait4();
        let usage = group.map(|group| {
            let usage = group.usage();
            group.release();
            usage
        });
        let _ = reaped.send((ended, usage));
    });
    let deadline = async {
        match launch.timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    let ended = tokio::select! {
        ended = &mut waiting => ended,
        () = deadline => {
            kill_group(pid);
            attempt.message = format!("timed out after {} s", launch.timeout.map_or(0, |t| t.as_secs()));
            waiting.await
        }
        true = cancelled(&mut cancel) => {
            kill_group(pid);
            attempt.message = "cancelled".into();
            waiting.await
        }
    };
    // A sandbox ends with its first process; unsandboxed, whatever the task left in its
    // process group goes now (the group outlives its reaped leader only while it has members,
    // so its id cannot have been reused).
    if !launch.prepared.sandboxed {
        kill_group(pid);
    }
    if let Some(mut pump) = pump {
        // A child that left the process group may hold the pipes open: stop copying then.
        if tokio::time::timeout(PUMP_GRACE, &mut pump).await.is_err() {
            pump.abort();
        }
    }
    attempt.wall_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    match ended {
        Ok((Ok(usage), measured)) => {
            attempt.exit_code = usage.status.code();
            // Without a cgroup only an unsandboxed task is the server's child to measure, and
            // its peak memory would count the server pages the fork shared: left unknown.
            let waited = usage.rusage.utime + usage.rusage.stime;
            let waited = (!launch.prepared.sandboxed).then(|| u64::try_from(waited.as_millis()).unwrap_or(u64::MAX));
            attempt.cpu_ms = measured.and_then(|m| m.cpu_ns).map(|ns| ns / 1_000_000).or(waited);
            attempt.max_rss_kb = measured.and_then(|m| m.peak_bytes).map(|bytes| bytes / 1024);
            if measured.is_some_and(|m| m.oom_killed) {
                attempt.message = format!("out of memory: killed at its memory limit of {}", launch.memory_limit);
            } else if attempt.exit_code.is_none() && attempt.message.is_empty() {
                attempt.message = "killed by a signal".into();
            }
        }
        Ok((Err(e), _)) => attempt.message = format!("lost the process: {e}"),
        Err(_) => attempt.message = "lost the process".into(),
    }
    attempt
}

/// Resolves `true` once the run is cancelled (never, if the canceller is gone).
pub async fn cancelled(cancel: &mut watch::Receiver<bool>) -> bool {
    cancel.wait_for(|c| *c).await.is_ok()
}

/// Whether the attempt succeeded.
pub fn succeeded(attempt: &Attempt) -> bool {
    attempt.exit_code == Some(0) && attempt.message.is_empty()
}
