//! Debug shells on this machine: an interactive shell in a pseudo-terminal, in the task's
//! sandbox (its folders, mounts, environment and limits), started in its working directory
//! as the leader of a session of its own, so that ending it (terminal closed, task cleared,
//! server stopping) ends every job it started.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::sandbox::{Prepared, Spec, cgroup, on_spawner, thread_join};
use super::task_space::{self, TaskSpace};
use super::{Inner, orphans};

/// Most debug shells open at once on one server.
pub const MAX_SHELLS: usize = 16;

/// Most debug shells one user may have open at once.
pub const MAX_SHELLS_PER_USER: usize = 4;

/// How long a shell has to end after its terminal hangs up before it is killed.
const HANGUP_GRACE: Duration = Duration::from_millis(500);

/// What a shell is started with: the task's environment, folders and limits.
pub struct ShellLaunch {
    pub program: PathBuf,
    pub env: Vec<(String, String)>,
    pub space: TaskSpace,
    pub limits: cgroup::Limits,
}

/// A running shell: its terminal, its process (the leader of its session) and its cgroup.
pub struct Shell {
    pub pty: pty_process::Pty,
    pub child: tokio::process::Child,
    pub session: i64,
    pub group: Option<cgroup::Group>,
}

/// The shell program of this machine: bash when there is one, else the POSIX shell.
pub fn shell_program() -> PathBuf {
    ["/bin/bash", "/usr/bin/bash", "/bin/sh"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

/// Starts the shell on a terminal of `cols` × `rows`; its folders are created when missing.
pub async fn spawn(inner: Arc<Inner>, launch: &ShellLaunch, cols: u16, rows: u16) -> std::io::Result<Shell> {
    let mut argv = vec![launch.program.display().to_string()];
    if launch.program.ends_with("bash") {
        argv.extend(["--noprofile", "--norc", "-i"].map(String::from));
    } else {
        argv.push("-i".into());
    }
    let mut env = launch.env.clone();
    env.extend([
        ("TERM".to_owned(), "xterm-256color".to_owned()),
        ("PS1".to_owned(), prompt_for(Path::new(&launch.space.cwd))),
    ]);
    let (space, limits) = (launch.space.clone(), launch.limits);
    let prepared = tokio::task::spawn_blocking(move || {
        task_space::prepare(&space, inner.sandbox.task_owner())?;
        inner.sandbox.prepare(Spec {
            argv: &argv,
            tags: inner.tags(&env, true),
            env: &env,
            entries: space.entries.clone(),
            cwd: space.cwd.clone(),
            host_cwd: space.host_cwd.clone(),
            terminal: true,
            limits,
        })
    })
    .await
    .map_err(std::io::Error::other)??;
    let started = start_on_terminal(&prepared, cols, rows).await;
    match started {
        Ok((pty, child, session)) => Ok(Shell { pty, child, session, group: prepared.group }),
        Err(e) => {
            if let Some(group) = prepared.group {
                let _ = tokio::task::spawn_blocking(move || group.release()).await;
            }
            Err(e)
        }
    }
}

/// Starts the prepared shell on a new pseudo-terminal of `cols` × `rows`.
async fn start_on_terminal(
    prepared: &Prepared,
    cols: u16,
    rows: u16,
) -> std::io::Result<(pty_process::Pty, tokio::process::Child, i64)> {
    let (pty, pts) = pty_process::open().map_err(std::io::Error::other)?;
    pty.resize(pty_process::Size::new(rows, cols)).map_err(std::io::Error::other)?;
    let mut command = pty_process::Command::new(&prepared.program);
    if let Some(user) = prepared.user {
        command = command.uid(user.uid).gid(user.gid);
    }
    let command = command
        .args(&prepared.args)
        .current_dir(&prepared.cwd)
        .env_clear()
        .envs(prepared.env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true);
    let join = prepared.thread_join.clone();
    let child = on_spawner(move || thread_join::while_inside(join.as_ref(), || command.spawn(pts)))
        .await??
        .map_err(std::io::Error::other)?;
    let session = child.id().map(i64::from).ok_or_else(|| std::io::Error::other("the shell ended at once"))?;
    Ok((pty, child, session))
}

/// A prompt saying where the shell is (the user, the task's folder).
fn prompt_for(cwd: &Path) -> String {
    let folder = cwd.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!("[debug {folder}]$ ")
}

/// Ends the shell and every job of its session: a hang-up first, then a kill of whatever
/// is still there; then frees its cgroup. Returns the shell's exit code, if it exited by
/// itself.
pub async fn end(child: &mut tokio::process::Child, session: i64, group: Option<cgroup::Group>) -> Option<i32> {
    if let Ok(pid) = i32::try_from(session) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGHUP);
    }
    let status = tokio::time::timeout(HANGUP_GRACE, child.wait()).await.ok().and_then(Result::ok);
    kill_session(session);
    let code = match status {
        Some(status) => status.code(),
        None => child.wait().await.ok().and_then(|s| s.code()),
    };
    if let Some(group) = group {
        let _ = tokio::task::spawn_blocking(move || group.release()).await;
    }
    code
}

/// Kills every process group of a session (found by scanning, so that a reaped leader's
/// process id, free for reuse, is never signalled).
pub fn kill_session(session: i64) {
    for group in orphans::session_groups(session) {
        super::process::kill_group(group);
    }
}

/// The open debug shells of a server.
#[derive(Debug, Default)]
pub struct ShellBook {
    per_user: HashMap<i64, usize>,
    total: usize,
    sessions: HashSet<i64>,
}

/// Which limit refused a shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellLimit {
    /// The user holds [`MAX_SHELLS_PER_USER`] already.
    User,
    /// The server holds [`MAX_SHELLS`] already.
    Server,
}

impl ShellBook {
    pub fn sessions(&self) -> Vec<i64> {
        self.sessions.iter().copied().collect()
    }
}

/// A booked place for one user's shell; dropping it gives the place back.
pub struct ShellTicket {
    inner: Arc<Inner>,
    user: i64,
    session: Option<i64>,
}

impl ShellTicket {
    /// Books a place for `user`, unless they or the server hold the most allowed already.
    pub(super) fn book(inner: Arc<Inner>, user: i64) -> Result<Self, ShellLimit> {
        {
            let mut book = inner.shell_book.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if book.total >= MAX_SHELLS {
                return Err(ShellLimit::Server);
            }
            let held = book.per_user.entry(user).or_default();
            if *held >= MAX_SHELLS_PER_USER {
                return Err(ShellLimit::User);
            }
            *held += 1;
            book.total += 1;
        }
        Ok(Self { inner, user, session: None })
    }

    /// Records the shell's session, so that a stopping server ends it.
    pub fn started(&mut self, session: i64) {
        self.session = Some(session);
        self.inner.shell_book.lock().unwrap_or_else(std::sync::PoisonError::into_inner).sessions.insert(session);
    }
}

impl Drop for ShellTicket {
    fn drop(&mut self) {
        let mut book = self.inner.shell_book.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        book.total = book.total.saturating_sub(1);
        if let Some(held) = book.per_user.get_mut(&self.user) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                book.per_user.remove(&self.user);
            }
        }
        if let Some(session) = self.session {
            book.sessions.remove(&session);
        }
    }
}
