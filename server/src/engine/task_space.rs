//! Where a task's files are and where it sees them: the run's work folder at `/work` (the
//! default working directory), each mount at its path (a `pvc` is the user's folder of the
//! claim under the data dir, a shared claim its whole folder, memory a tmpfs of its size, a
//! host path as given, config maps and secrets from the data dir's folders of those names
//! when there are some), and a working directory outside them in the sandbox's own root.
//! The server creates the folders without following links (a task may have planted one) and
//! gives them to the task's user.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

use app::domain::mounts::MountSource;
use app::domain::plan::TaskPlan;

use super::sandbox::{Entry, TaskUser};

/// Where the run's work folder appears inside the sandbox.
pub const WORK: &str = "/work";

/// Folders the server creates between the data dir and a task's folders: traversable, not
/// listable.
const PASSAGE_MODE: u32 = 0o711;

/// A folder to create: a base that exists and a path below it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Folder {
    base: PathBuf,
    below: PathBuf,
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
    let in_data =
        |path: &Path| Folder { base: data.to_path_buf(), below: path.strip_prefix(data).unwrap_or(path).into() };
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
                let host = volumes.join(claim).join(&task.mount_user);
                folders.push(in_data(&host));
                Entry::Bind { host, at, writable: true }
            }
            MountSource::PvcShare { claim } | MountSource::Storage { claim } => {
                let host = volumes.join(claim);
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
    let holder = entries
        .iter()
        .rev()
        .filter_map(|e| match e {
            Entry::Bind { host, at, writable: true } => is_within(&cwd, at).map(|rest| (at.len(), Some(host), rest)),
            Entry::Bind { at, .. } | Entry::Tmpfs { at, .. } | Entry::Dir { at } => {
                is_within(&cwd, at).map(|rest| (at.len(), None, rest))
            }
        })
        .max_by_key(|(len, ..)| *len);
    let host_cwd = match holder {
        Some((_, Some(host), rest)) => {
            let host_cwd = host.join(&rest);
            if !rest.is_empty() {
                folders.push(Folder { base: host.clone(), below: PathBuf::from(rest) });
            }
            host_cwd
        }
        Some((_, None, rest)) if rest.is_empty() => work.clone(),
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

/// Creates `below` under `base` one folder at a time, refusing links and anything that is
/// not a folder; the last folder is given to `owner`, the ones before it stay passable.
fn make_folder(folder: &Folder, owner: Option<TaskUser>) -> std::io::Result<()> {
    let mut path = folder.base.clone();
    let parts: Vec<Component<'_>> = folder.below.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            return Err(std::io::Error::other(format!("{} is not a plain folder path", folder.below.display())));
        };
        path.push(name);
        let last = i + 1 == parts.len();
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_dir() => {}
            Ok(_) => return Err(std::io::Error::other(format!("{} is not a folder", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mode = if last && owner.is_some() { 0o700 } else { PASSAGE_MODE };
                match std::fs::DirBuilder::new().mode(mode).create(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                    _ => {}
                }
            }
            Err(e) => return Err(e),
        }
        if last && let Some(user) = owner {
            std::os::unix::fs::lchown(&path, Some(user.uid), Some(user.gid))?;
        }
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
