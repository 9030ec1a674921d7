//! Starting a process inside its cgroup without a helper: on cgroup version 1 threads move
//! one by one, so the spawner thread steps into the task's groups, forks (the child starts
//! inside), and steps back home. This saves the `sh` that otherwise joins the groups before
//! it execs bubblewrap (about two milliseconds a task). Only where the server may write the
//! groups' `tasks` files and its own (as root); elsewhere, or once stepping home has failed,
//! the helper joins.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// The `tasks` files a thread writes its id into: the group's, and home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadJoin {
    pub into: Vec<PathBuf>,
    pub home: Vec<PathBuf>,
}

/// Set once stepping home failed: later processes join through the helper instead.
static BROKEN: AtomicBool = AtomicBool::new(false);

/// Whether threads may still step into groups.
pub fn usable() -> bool {
    !BROKEN.load(Ordering::Relaxed)
}

fn move_thread(files: &[PathBuf]) -> std::io::Result<()> {
    let tid = nix::unistd::gettid().to_string();
    files.iter().try_for_each(|file| std::fs::write(file, &tid))
}

/// Brings the thread home when dropped, even when starting the process panicked.
struct Home<'a>(&'a [PathBuf]);

impl Drop for Home<'_> {
    fn drop(&mut self) {
        if let Err(e) = move_thread(self.0) {
            BROKEN.store(true, Ordering::Relaxed);
            tracing::error!(error = %e, "the process-starting thread could not return to the server's cgroup; tasks now join theirs through a helper");
        }
    }
}

/// Runs `start` with the calling thread inside the group (when `join` is given), then moves
/// the thread home again whatever `start` did. Only entering can fail: a started process is
/// always handed back.
pub fn while_inside<R>(join: Option<&ThreadJoin>, start: impl FnOnce() -> R) -> std::io::Result<R> {
    let Some(join) = join else { return Ok(start()) };
    let home = Home(&join.home);
    move_thread(&join.into)?;
    let started = start();
    drop(home);
    Ok(started)
}
