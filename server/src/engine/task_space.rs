//! Where a task's files are and where it sees them: the run's work folder at `/work` (the
//! default working directory), each mount at its path (a `pvc` is the user's folder of the
//! claim, `volumes/users/<claim>/<user>`; a shared claim `volumes/shared/<claim>`, a tree
//! apart, so sharing a claim never shows anyone's own folder; memory a tmpfs of its size, a
//! host path as given, config maps and secrets from the data dir's folders of those names
//! when there are some), and a working directory outside them in the sandbox's own root.
//! Every folder a sandbox binds has parents only the server can write, so no task can swap
//! it for a link; the server creates folders one level at a time through open folder
//! handles that refuse links (a task may have planted one below its own folder) and gives
//! them to the task's user.

use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat};
use nix::sys::stat::{Mode, fchmod, mkdirat};
use nix::unistd::{Gid, Uid, fchown};

use app::domain::mounts::MountSource;
use app::domain::plan::TaskPlan;

use super::sandbox::{Entry, TaskUser};

/// Where the run's work folder appears inside the sandbox.
pub const WORK: &str = "/work";

/// Folders the server creates between the data dir and a task's folders: traversable, not
/// listable.
const PASSAGE_MODE: nix::libc::mode_t = 0o711;

/// A folder to create: a base that exists, a path below it, and how many of the path's
/// last parts belong to the task (the rest are the server's passages).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Folder {
    base: PathBuf,
    below: PathBuf,
    owned: usize,
}

/// A task's folders and its view of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpace {
    pub entries: Vec<Entry>,
    /// The working directory inside the sandbox.
    pub cwd: String,
    /// The same folder on the host, for when isolation is off.
    pub host_cwd: PathBuf,
    folders: Vec<Folder>,
}

fn is_within(path: &str, at: &str) -> Option<String> {
    let rest = path.strip_prefix(at.trim_end_matches('/'))?;
    (rest.is_empty() || rest.starts_with('/')).then(|| rest.trim_start_matches('/').to_owned())
}

/// The run's work folder under the data dir.
pub fn work_dir(data_dir: &Path, run_id: &str) -> PathBuf {
    data_dir.join("runs").join(run_id).join("work")
}

/// The space of `task` in run `run_id` of the server whose data dir is `data`.
pub fn of_task(data: &Path, run_id: &str, task: &TaskPlan) -> TaskSpace {
    let work = work_dir(data, run_id);
    let in_data = |path: &Path| Folder {
        base: data.to_path_buf(),
        below: path.strip_prefix(data).unwrap_or(path).into(),
        owned: 1,
    };
    let mut entries = vec![Entry::Bind { host: work.clone(), at: WORK.into(), writable: true }];
    let mut folders = vec![in_data(&work)];
    for mount in &task.mounts {
        let at = mount.mount_path.trim_end_matches('/').to_owned();
        if at.is_empty() {
            continue;
        }
        let volumes = data.join("volumes");
        let entry = match &mount.source {
            MountSource::Pvc { claim } => {
                let host = volumes.join("users").join(claim).join(&task.mount_user);
                folders.push(in_data(&host));
                Entry::Bind { host, at, writable: true }
            }
            MountSource::PvcShare { claim } | MountSource::Storage { claim } => {
                let host = volumes.join("shared").join(claim);
                folders.push(in_data(&host));
                Entry::Bind { host, at, writable: true }
            }
            MountSource::HostPath { path } => Entry::Bind { host: PathBuf::from(path), at, writable: true },
            MountSource::Memory { gib } => Entry::Tmpfs { at, bytes: Some(u64::from(*gib) << 30) },
            MountSource::ConfigMap { name } => read_only_or_empty(data.join("configmaps").join(name), at),
            MountSource::Secret { name } => read_only_or_empty(data.join("secrets").join(name), at),
            MountSource::Nfs { .. } => Entry::Dir { at },
        };
        entries.push(entry);
    }
    let cwd = task.workdir.clone().unwrap_or_else(|| WORK.to_owned());
    // The innermost entry holding the working directory, and the path below it.
    let holder = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Bind { at, .. } | Entry::Tmpfs { at, .. } | Entry::Dir { at } => {
                is_within(&cwd, at).map(|rest| (at.len(), e, rest))
            }
        })
        .max_by_key(|(len, ..)| *len);
    let managed = |host: &PathBuf| host.starts_with(data);
    let host_cwd = match holder {
        Some((_, Entry::Bind { host, writable, .. }, rest)) => {
            // Below a writable folder of the data dir the server makes the rest for the task;
            // a read-only mount (a config map, a secret) or a host path (an administrator's)
            // is never written by the server.
            if !rest.is_empty() && *writable && managed(host) {
                let below = PathBuf::from(&rest);
                folders.push(Folder { base: host.clone(), owned: below.components().count(), below });
            }
            host.join(&rest)
        }
        Some((_, _, rest)) if rest.is_empty() => work.clone(),
        _ => {
            entries.push(Entry::Dir { at: cwd.clone() });
            work.join(cwd.trim_start_matches('/'))
        }
    };
    TaskSpace { entries, cwd, host_cwd, folders }
}

fn read_only_or_empty(host: PathBuf, at: String) -> Entry {
    if host.is_dir() { Entry::Bind { host, at, writable: false } } else { Entry::Dir { at } }
}

/// Opens a folder, refusing a link.
fn open_folder(parent: Option<&OwnedFd>, path: &Path) -> nix::Result<OwnedFd> {
    let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY;
    match parent {
        Some(parent) => openat(parent, path, flags, Mode::empty()),
        None => open(path, flags, Mode::empty()),
    }
}

/// Creates `below` under `base` one folder at a time through open folder handles, so no
/// link is ever followed: a part that is a link or not a folder is refused. The task's
/// parts are given to `owner`; the server's passages are `0711`.
fn make_folder(folder: &Folder, owner: Option<TaskUser>) -> std::io::Result<()> {
    let refused = |path: &Path, e: Errno| match e {
        Errno::ELOOP | Errno::ENOTDIR => std::io::Error::other(format!("{} is not a folder", path.display())),
        e => std::io::Error::other(format!("{}: {e}", path.display())),
    };
    let mut dir = open_folder(None, &folder.base).map_err(|e| refused(&folder.base, e))?;
    let parts: Vec<Component<'_>> = folder.below.components().collect();
    let first_owned = parts.len().saturating_sub(folder.owned);
    let mut path = folder.base.clone();
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            return Err(std::io::Error::other(format!("{} is not a plain folder path", folder.below.display())));
        };
        path.push(name);
        let task_part = i >= first_owned;
        match mkdirat(&dir, *name, Mode::from_bits_truncate(0o700)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(refused(&path, e)),
        }
        let next = open_folder(Some(&dir), Path::new(name)).map_err(|e| refused(&path, e))?;
        match (task_part, owner) {
            (true, Some(user)) => fchown(&next, Some(Uid::from_raw(user.uid)), Some(Gid::from_raw(user.gid)))
                .map_err(|e| refused(&path, e))?,
            (false, _) => fchmod(&next, Mode::from_bits_truncate(PASSAGE_MODE)).map_err(|e| refused(&path, e))?,
            (true, None) => {}
        }
        dir = next;
    }
    Ok(())
}

/// Creates the task's folders (blocking file work), given to `owner` when set.
pub fn prepare(space: &TaskSpace, owner: Option<TaskUser>) -> std::io::Result<()> {
    for folder in &space.folders {
        make_folder(folder, owner)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "task_space_tests.rs"]
mod tests;
