//! One attempt of a task as a process of this machine: its own process group (so a timeout
//! or cancel kills everything it started), its output piped through the server into the
//! attempt's log file and to live subscribers, and its resource usage (CPU time and peak
//! memory, from `wait4`) for right-sizing.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use app::model::Attempt;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, watch};
use wait4::Wait4;

/// A piece of a task's output as it is written: which attempt, where in its log, what.
#[derive(Debug, Clone)]
pub struct LogChunk {
    pub attempt: u32,
    pub offset: u64,
    pub data: std::sync::Arc<[u8]>,
}

/// How long output is still copied after the task's process group is gone.
const PUMP_GRACE: Duration = Duration::from_secs(2);

/// Environment variables of the server passed on to tasks.
pub const INHERITED_ENV: [&str; 4] = ["PATH", "HOME", "LANG", "TZ"];

/// Where and how one attempt runs.
pub struct Launch<'a> {
    pub argv: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: &'a Path,
    /// The data dir of the server starting it ([`super::orphans::ENGINE_VAR`]).
    pub engine_dir: &'a Path,
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

fn spawn(launch: &Launch<'_>) -> std::io::Result<std::process::Child> {
    let (program, args) = launch.argv.split_first().ok_or_else(|| std::io::Error::other("empty command"))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(launch.cwd)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for key in INHERITED_ENV {
        if let Ok(value) = std::env::var(key) {
            command.env(key, value);
        }
    }
    command.envs(launch.env.iter().map(|(k, v)| (k, v))).env(super::orphans::ENGINE_VAR, launch.engine_dir);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn()
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
pub async fn run(launch: Launch<'_>, mut cancel: watch::Receiver<bool>, on_start: impl FnOnce(i64)) -> Attempt {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let mut attempt = Attempt {
        number: launch.number,
        started_at,
        exit_code: None,
        message: String::new(),
        wall_ms: 0,
        cpu_ms: 0,
        max_rss_kb: 0,
    };
    let mut child = match spawn(&launch) {
        Ok(child) => child,
        Err(e) => {
            attempt.message = format!("could not start {:?}: {e}", launch.argv.first().map_or("", String::as_str));
            return attempt;
        }
    };
    let pid = i64::from(child.id());
    on_start(pid);
    let pump = match (File::create(&launch.log), child.stdout.take(), child.stderr.take()) {
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
        let _ = reaped.send(child.wait4());
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
    kill_group(pid);
    if let Some(mut pump) = pump {
        // A child that left the process group may hold the pipes open: stop copying then.
        if tokio::time::timeout(PUMP_GRACE, &mut pump).await.is_err() {
            pump.abort();
        }
    }
    attempt.wall_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    match ended {
        Ok(Ok(usage)) => {
            attempt.exit_code = usage.status.code();
            let cpu = usage.rusage.utime + usage.rusage.stime;
            attempt.cpu_ms = u64::try_from(cpu.as_millis()).unwrap_or(u64::MAX);
            attempt.max_rss_kb = usage.rusage.maxrss / 1024;
            if attempt.exit_code.is_none() && attempt.message.is_empty() {
                attempt.message = "killed by a signal".into();
            }
        }
        Ok(Err(e)) => attempt.message = format!("lost the process: {e}"),
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
