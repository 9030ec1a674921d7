//! A cgroup per task attempt and debug shell: a memory limit and CPU quota from the task's
//! resources, the CPU time and peak memory of the task alone (not the server pages a fork
//! shares; a sandbox's processes are not children the server can wait for), and whether the
//! kernel killed it for running out of memory. Version 2 where the server's cgroup delegates
//! the memory controller; version 1 (memory, cpu and cpuacct hierarchies) where the machine
//! mounts those. Where neither can be written, tasks run without limits and unmeasured.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The folder under the server's own cgroup holding every task's group.
const TASKS: &str = "cubist-tasks";

/// The CPU quota's period, in microseconds.
const CPU_PERIOD_US: u64 = 100_000;

/// Which cgroup version, and where this server's task groups go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hierarchy {
    V1 { memory: PathBuf, cpu: Option<PathBuf>, cpuacct: Option<PathBuf> },
    V2 { tasks: PathBuf },
}

/// The limits of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub memory_bytes: Option<u64>,
    pub cpu_milli: Option<u32>,
}

/// What a group measured once its processes are gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub peak_bytes: Option<u64>,
    pub cpu_ns: Option<u64>,
    pub oom_killed: bool,
}

/// One attempt's (or shell's) group: its folder in each hierarchy (one in version 2).
#[derive(Debug)]
pub struct Group {
    v2: bool,
    memory: PathBuf,
    cpu: Option<PathBuf>,
    cpuacct: Option<PathBuf>,
    /// Out-of-memory kills counted before this use of the group.
    oom_baseline: u64,
    /// The limits last written (each write to a memory cgroup costs about two milliseconds
    /// on some kernels, so unchanged ones are not written again).
    limits: Limits,
}

/// Idle version-1 groups, kept for the next attempt: making a memory cgroup costs a few
/// milliseconds, resetting one a few microseconds.
static IDLE: std::sync::Mutex<Vec<Group>> = std::sync::Mutex::new(Vec::new());

/// Most idle groups kept.
const IDLE_MAX: usize = 64;

/// Page cache a finished attempt may leave charged to its group before the group is emptied
/// for the next one (emptying costs milliseconds; a little left over counts in the next peak).
const LEFT_OVER: u64 = 4 << 20;

/// The path of the first hierarchy in `/proc/self/cgroup` whose controllers include `name`
/// (`""` for the version-2 line).
fn own_path<'a>(proc_cgroup: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    proc_cgroup.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let matches = if name.is_empty() { controllers.is_empty() } else { controllers.split(',').any(|c| c == name) };
        matches.then_some((controllers, path))
    })
}

/// The mount of a version-1 hierarchy: `/sys/fs/cgroup/<controllers>` or one of its names.
fn v1_mount(controllers: &str, name: &str) -> Option<PathBuf> {
    [controllers, name]
        .iter()
        .map(|dir| Path::new("/sys/fs/cgroup").join(dir))
        .find(|dir| dir.join("cgroup.procs").exists())
}

fn below(mount: &Path, path: &str) -> PathBuf {
    mount.join(path.trim_start_matches('/')).join(TASKS)
}

/// How old an empty group must be before a starting server removes it: a group is joined
/// within milliseconds of its making, so an old empty one was left by a server that stopped
/// (the kernel refuses to remove a group that still holds processes).
const LEFT_BEHIND: Duration = Duration::from_secs(600);

/// Removes the empty groups servers left behind.
fn sweep(tasks: &Path) {
    let Ok(entries) = std::fs::read_dir(tasks) else { return };
    for entry in entries.filter_map(Result::ok) {
        let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if age.is_some_and(|age| age > LEFT_BEHIND) {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// Enables `controllers` for the children of a version-2 group. A group holding processes
/// cannot (the kernel's "no internal processes" rule), so the server's own processes move
/// first into a leaf of their own beside the task groups, as a delegated service must.
fn enable_v2(base: &Path, controllers: &str) -> Result<(), String> {
    let control = base.join("cgroup.subtree_control");
    if std::fs::write(&control, controllers).is_ok() {
        return Ok(());
    }
    let leaf = base.join("cubist-server");
    std::fs::create_dir_all(&leaf).map_err(|e| format!("{}: {e}", leaf.display()))?;
    let members = std::fs::read_to_string(base.join("cgroup.procs")).unwrap_or_default();
    for pid in members.lines() {
        // A process that ended meanwhile cannot move; the write below tells if any is left.
        let _ = std::fs::write(leaf.join("cgroup.procs"), pid);
    }
    std::fs::write(&control, controllers)
        .map_err(|e| format!("cannot enable {controllers} for the groups under {}: {e}", base.display()))
}

impl Hierarchy {
    /// Finds a hierarchy this server may create groups in, or says why there is none.
    pub fn detect() -> Result<Self, String> {
        let own = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| format!("/proc/self/cgroup: {e}"))?;
        if let Some((controllers, path)) = own_path(&own, "memory") {
            let mount = v1_mount(controllers, "memory").ok_or("the memory hierarchy is not mounted")?;
            let memory = below(&mount, path);
            std::fs::create_dir_all(&memory).map_err(|e| format!("{}: {e}", memory.display()))?;
            let tasks_of = |name: &str| {
                own_path(&own, name)
                    .and_then(|(controllers, path)| Some(below(&v1_mount(controllers, name)?, path)))
                    .filter(|dir| std::fs::create_dir_all(dir).is_ok())
            };
            let (cpu, cpuacct) = (tasks_of("cpu"), tasks_of("cpuacct"));
            // Mounted together, cpu and cpuacct are one folder.
            let cpuacct = cpuacct.filter(|acct| Some(acct) != cpu.as_ref());
            for dir in [Some(&memory), cpu.as_ref(), cpuacct.as_ref()].into_iter().flatten() {
                sweep(dir);
            }
            return Ok(Self::V1 { memory, cpu, cpuacct });
        }
        let (_, path) = own_path(&own, "").ok_or("no cgroup hierarchy")?;
        let base = Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
        let available = std::fs::read_to_string(base.join("cgroup.controllers")).unwrap_or_default();
        if !available.split_whitespace().any(|c| c == "memory") {
            return Err(format!("the memory controller is not delegated to {}", base.display()));
        }
        let wanted: Vec<&str> =
            ["+memory", "+cpu"].into_iter().filter(|c| available.split_whitespace().any(|a| a == &c[1..])).collect();
        let tasks = base.join(TASKS);
        std::fs::create_dir_all(&tasks).map_err(|e| format!("{}: {e}", tasks.display()))?;
        enable_v2(&base, &wanted.join(" "))?;
        enable_v2(&tasks, &wanted.join(" "))?;
        sweep(&tasks);
        Ok(Self::V2 { tasks })
    }

    /// The `tasks` files of the server's own version-1 groups (where its threads return).
    pub fn home_tasks_files(&self) -> Option<Vec<PathBuf>> {
        match self {
            Self::V1 { memory, cpu, cpuacct } => Some(
                [Some(memory), cpu.as_ref(), cpuacct.as_ref()]
                    .into_iter()
                    .flatten()
                    .filter_map(|dir| Some(dir.parent()?.join("tasks")))
                    .collect(),
            ),
            Self::V2 { .. } => None,
        }
    }

    /// A group with `limits` whose `cgroup.procs` `owner` may write (to join it): an idle one
    /// reset, or a new one; nothing is left behind when that fails.
    pub fn create(&self, limits: Limits, owner: Option<super::TaskUser>) -> std::io::Result<Group> {
        if matches!(self, Self::V1 { .. }) {
            // A sandbox's last processes leave its group a moment after the first one ends:
            // take an idle group that is empty already, never wait for one.
            let idle = {
                let mut idle = IDLE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let empty = idle.iter().position(Group::is_empty);
                empty.map(|at| idle.swap_remove(at))
            };
            if let Some(mut group) = idle {
                match group.reset(limits) {
                    Ok(()) => return Ok(group),
                    Err(_) => group.remove(),
                }
            }
        }
        let mut made = Group {
            v2: matches!(self, Self::V2 { .. }),
            memory: PathBuf::new(),
            cpu: None,
            cpuacct: None,
            oom_baseline: 0,
            limits,
        };
        let mut result = self.make(limits, &mut made);
        if let (Ok(()), Some(user), false) = (&result, owner, made.v2) {
            result = made
                .procs_files()
                .iter()
                .try_for_each(|procs| std::os::unix::fs::chown(procs, Some(user.uid), Some(user.gid)));
        }
        match result {
            Ok(()) => Ok(made),
            Err(e) => {
                if !made.memory.as_os_str().is_empty() {
                    made.remove();
                }
                Err(e)
            }
        }
    }

    fn make(&self, limits: Limits, group: &mut Group) -> std::io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let memory = limits.memory_bytes.map(|b| b.to_string());
        let quota = limits.cpu_milli.map(|m| (u64::from(m) * CPU_PERIOD_US / 1000).max(1000));
        let make = |root: &Path| {
            let dir = root.join(&name);
            std::fs::create_dir(&dir).map(|()| dir)
        };
        match self {
            Self::V1 { memory: memory_root, cpu, cpuacct } => {
                group.memory = make(memory_root)?;
                if let Some(bytes) = &memory {
                    std::fs::write(group.memory.join("memory.limit_in_bytes"), bytes)?;
                    let _ = std::fs::write(group.memory.join("memory.memsw.limit_in_bytes"), bytes);
                }
                if let Some(cpu) = cpu {
                    let dir = make(cpu)?;
                    group.cpu = Some(dir.clone());
                    if let Some(quota) = quota {
                        std::fs::write(dir.join("cpu.cfs_period_us"), CPU_PERIOD_US.to_string())?;
                        std::fs::write(dir.join("cpu.cfs_quota_us"), quota.to_string())?;
                    }
                }
                if let Some(cpuacct) = cpuacct {
                    group.cpuacct = Some(make(cpuacct)?);
                }
                Ok(())
            }
            Self::V2 { tasks } => {
                group.memory = make(tasks)?;
                if let Some(bytes) = &memory {
                    std::fs::write(group.memory.join("memory.max"), bytes)?;
                    let _ = std::fs::write(group.memory.join("memory.swap.max"), "0");
                }
                let _ = std::fs::write(group.memory.join("memory.oom.group"), "1");
                if let Some(quota) = quota {
                    let _ = std::fs::write(group.memory.join("cpu.max"), format!("{quota} {CPU_PERIOD_US}"));
                }
                Ok(())
            }
        }
    }
}

/// The value after `key` in a flat-keyed file such as `memory.events`.
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
}

impl Group {
    /// Makes an idle version-1 group as good as new: counters at zero, the new limits ("-1":
    /// none), and, when the last attempt left much page cache charged to it, no charged pages
    /// (which would count in the next peak).
    fn is_empty(&self) -> bool {
        Self::read(&self.memory, "cgroup.procs").is_some_and(|procs| procs.trim().is_empty())
    }

    fn reset(&mut self, limits: Limits) -> std::io::Result<()> {
        let write = |dir: &Path, file: &str, value: &str| std::fs::write(dir.join(file), value);
        let left = Self::read(&self.memory, "memory.usage_in_bytes").and_then(|t| t.trim().parse::<u64>().ok());
        if left.is_none_or(|bytes| bytes > LEFT_OVER) {
            write(&self.memory, "memory.force_empty", "0")?;
        }
        if limits.memory_bytes != self.limits.memory_bytes {
            let limit = limits.memory_bytes.map_or_else(|| "-1".to_owned(), |b| b.to_string());
            write(&self.memory, "memory.limit_in_bytes", &limit)?;
            let _ = write(&self.memory, "memory.memsw.limit_in_bytes", &limit);
        }
        write(&self.memory, "memory.max_usage_in_bytes", "0")?;
        if let Some(cpu) = self.cpu.as_ref().filter(|_| limits.cpu_milli != self.limits.cpu_milli) {
            let quota = limits
                .cpu_milli
                .map_or_else(|| "-1".to_owned(), |m| (u64::from(m) * CPU_PERIOD_US / 1000).max(1000).to_string());
            write(cpu, "cpu.cfs_quota_us", &quota)?;
        }
        if let Some(acct) = self.cpuacct.as_ref().or(self.cpu.as_ref()) {
            let _ = write(acct, "cpuacct.usage", "0");
        }
        self.oom_baseline = self.oom_kills();
        self.limits = limits;
        Ok(())
    }

    fn oom_kills(&self) -> u64 {
        let events = if self.v2 { "memory.events" } else { "memory.oom_control" };
        Self::read(&self.memory, events).and_then(|t| keyed(&t, "oom_kill")).unwrap_or(0)
    }

    /// Gives the group back once its processes are gone: kept for the next attempt
    /// (version 1), else removed.
    pub fn release(self) {
        if !self.v2 {
            let mut idle = IDLE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if idle.len() < IDLE_MAX {
                idle.push(self);
                return;
            }
        }
        self.remove();
    }

    fn dirs(&self) -> impl Iterator<Item = &PathBuf> {
        [Some(&self.memory), self.cpu.as_ref(), self.cpuacct.as_ref()].into_iter().flatten()
    }

    fn read(dir: &Path, file: &str) -> Option<String> {
        std::fs::read_to_string(dir.join(file)).ok()
    }

    /// The files a thread writes its id into to join the group (version 1).
    pub fn tasks_files(&self) -> Vec<PathBuf> {
        self.dirs().map(|d| d.join("tasks")).collect()
    }

    /// The files a process writes its id into to join the group.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs().map(|d| d.join("cgroup.procs")).collect()
    }

    /// The CPU time, peak memory and whether the kernel killed a process for going over the
    /// memory limit.
    pub fn usage(&self) -> Usage {
        let number = |dir: &Path, file: &str| Self::read(dir, file).and_then(|t| t.trim().parse::<u64>().ok());
        if self.v2 {
            Usage {
                peak_bytes: number(&self.memory, "memory.peak"),
                cpu_ns: Self::read(&self.memory, "cpu.stat")
                    .and_then(|t| keyed(&t, "usage_usec"))
                    .map(|us| us.saturating_mul(1000)),
                oom_killed: self.oom_kills() > self.oom_baseline,
            }
        } else {
            let accounting = self.cpuacct.as_ref().or(self.cpu.as_ref());
            Usage {
                peak_bytes: number(&self.memory, "memory.max_usage_in_bytes"),
                cpu_ns: accounting.and_then(|dir| number(dir, "cpuacct.usage")),
                oom_killed: self.oom_kills() > self.oom_baseline,
            }
        }
    }

    /// Removes the group once its last process is gone (the kernel frees a killed pid
    /// namespace a moment after its first process ends); waits at most about a second.
    pub fn remove(self) {
        for dir in self.dirs() {
            for _ in 0..50 {
                match std::fs::remove_dir(dir) {
                    Err(e) if e.raw_os_error() == Some(16) => std::thread::sleep(Duration::from_millis(20)),
                    _ => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_servers_own_groups_in_either_version() {
        let v1 = "12:pids:/x\n4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/";
        assert_eq!(own_path(v1, "memory"), Some(("memory", "/process_api/abc")));
        assert_eq!(own_path(v1, "cpu"), Some(("cpu,cpuacct", "/")));
        assert_eq!(own_path(v1, ""), Some(("", "/")));
        let v2 = "0::/system.slice/cubist.service\n";
        assert_eq!(own_path(v2, "memory"), None);
        assert_eq!(own_path(v2, ""), Some(("", "/system.slice/cubist.service")));
        assert_eq!(
            below(Path::new("/sys/fs/cgroup/memory"), "/a/b"),
            PathBuf::from("/sys/fs/cgroup/memory/a/b/cubist-tasks")
        );
    }

    #[test]
    fn reads_out_of_memory_kills_from_either_events_file() {
        let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
        let v2 = "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed(v1, "oom_kill"), Some(2));
        assert_eq!(keyed(v2, "oom_kill"), Some(1));
        assert_eq!(keyed("oom_kill_disable 0\n", "oom_kill"), None);
    }
}
