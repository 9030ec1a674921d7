//! Starting a process inside its cgroup without a helper: on cgroup version 1 threads move
//! one by one, so the spawner thread steps into the task's groups, forks (the child starts
//! inside), and steps back home. This saves the `sh` that otherwise joins the groups before
//! it execs bubblewrap (about two milliseconds a task). Only where the server may write the
//! groups' `tasks` files and its own (as root); elsewhere the helper joins.

use std::path::PathBuf;

/// The `tasks` files a thread writes its id into: the group's, and home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadJoin {
    pub into: Vec<PathBuf>,
    pub home: Vec<PathBuf>,
}

fn move_thread(files: &[PathBuf]) -> std::io::Result<()> {
    let tid = nix::unistd::gettid().to_string();
    files.iter().try_for_each(|file| std::fs::write(file, &tid))
}

/// Runs `start` with the calling thread inside the group (when `join` is given), then moves
/// the thread home again, whatever `start` did.
pub fn while_inside<R>(join: Option<&ThreadJoin>, start: impl FnOnce() -> R) -> std::io::Result<R> {
    let Some(join) = join else { return Ok(start()) };
    if let Err(e) = move_thread(&join.into) {
        let _ = move_thread(&join.home);
        return Err(e);
    }
    let started = start();
    move_thread(&join.home)?;
    Ok(started)
}
