//! Isolation of local tasks and debug shells. Each attempt and shell runs under bubblewrap in
//! namespaces of its own (user, mount, pid, ipc, uts; network when turned off), sees the
//! host's system read-only, its own folders and mounts, a private `/tmp`, `/proc` and `/dev`,
//! and nothing else: not the data dir, not other runs, not the server's processes or
//! environment. It has no capabilities, runs as an unprivileged user when the server is
//! root, and sits in a cgroup that limits and measures its memory. When the sandbox cannot be
//! set up, tasks are refused (fail closed) unless an administrator turned isolation off.

pub mod cgroup;
mod etc_copy;
pub mod layout;
pub mod settings;
mod spawner;
pub mod thread_join;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub use layout::Entry;
pub use settings::{Isolation, SandboxSettings, TaskUser};
pub use spawner::on_spawner;
pub use thread_join::ThreadJoin;

/// Drops root for the task user before bubblewrap starts (util-linux, always on Debian).
const SETPRIV: &str = "/usr/bin/setpriv";

/// Joins the cgroups named before `--`, then runs the rest: the one way to put a process in
/// its group before it starts anything.
const JOIN_GROUPS: &str = r#"while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@""#;

/// Whether tasks can run, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Isolated,
    /// Isolation turned off by the administrator.
    Off,
    /// Isolation wanted but impossible here: tasks and shells are refused with this reason.
    Unavailable(String),
}

/// What a sandboxed process is to run and see.
pub struct Spec<'a> {
    pub argv: &'a [String],
    /// The environment inside (the plan's), beside a minimal PATH, HOME and LANG.
    pub env: &'a [(String, String)],
    pub entries: Vec<Entry>,
    /// The working directory inside the sandbox.
    pub cwd: String,
    /// The working directory when isolation is off (a host folder).
    pub host_cwd: PathBuf,
    /// A debug shell keeps its terminal.
    pub terminal: bool,
    pub limits: cgroup::Limits,
    /// Variables on the process the server starts (not inside), to find it after a crash.
    pub tags: Vec<(String, String)>,
}

/// A process ready to start: program, arguments, its whole environment, working directory,
/// and the cgroup it joins first.
#[derive(Debug)]
pub struct Prepared {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub group: Option<cgroup::Group>,
    /// Whether it runs in a sandbox (not a child the server can wait for and measure).
    pub sandboxed: bool,
    /// The user the process is started as (set when the server is root).
    pub user: Option<TaskUser>,
    /// Set when the spawning thread joins the group itself (see [`thread_join`]); otherwise
    /// the command starts with a helper that joins it.
    pub thread_join: Option<ThreadJoin>,
}

impl Prepared {
    /// The command that starts it: its program, arguments, whole environment, working
    /// directory and user; the caller adds standard streams and a process group.
    pub fn command(&self) -> std::process::Command {
        use std::os::unix::process::CommandExt;
        let mut command = std::process::Command::new(&self.program);
        command.args(&self.args).current_dir(&self.cwd).env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(user) = self.user {
            command.uid(user.uid).gid(user.gid);
        }
        command
    }
}

/// The server's sandbox: its settings, the host's system as tasks see it, the cgroups, and
/// whether it works.
pub struct Sandbox {
    settings: SandboxSettings,
    system: layout::System,
    cgroups: Option<cgroup::Hierarchy>,
    /// Set when the server runs as root: tasks become this user.
    drop_to: Option<TaskUser>,
    readiness: Readiness,
}

/// How long the start-up check of the sandbox may take.
const PROBE_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Variables of the server passed on to tasks when isolation is off.
const HOST_ENV: [&str; 4] = ["PATH", "HOME", "LANG", "TZ"];

/// Lets the task's user pass through the data dir to the folders bound into its sandbox
/// (`0711`: not list it), and keeps the files directly in it (database, key) to the server.
fn open_passage(data_dir: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o711))?;
    for entry in std::fs::read_dir(data_dir)?.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

impl Sandbox {
    /// Reads the host, finds the cgroups and, with isolation on, proves that a sandbox starts
    /// and cannot see `data_dir`.
    pub async fn start(settings: SandboxSettings, data_dir: &Path) -> Self {
        let readonly = settings.readonly.clone();
        let etc = data_dir.join("sandbox-etc");
        let host = tokio::task::spawn_blocking(move || {
            let copied = etc_copy::copy(&layout::ETC_ENTRIES, &etc)
                .inspect_err(
                    |e| tracing::warn!(error = %e, "could not copy /etc for tasks; binding its entries one by one"),
                )
                .is_ok();
            (cgroup::Hierarchy::detect(), layout::System::of_host(&readonly, copied.then_some(etc.as_path())))
        });
        let (cgroups, system) = match host.await {
            Ok((cgroups, system)) => (cgroups, system),
            Err(e) => (Err(e.to_string()), layout::System::of_host(&[], None)),
        };
        let cgroups = match cgroups {
            Ok(found) => Some(found),
            Err(why) => {
                tracing::warn!(%why, "no cgroup for tasks: they run without memory or CPU limits, their usage unmeasured");
                None
            }
        };
        let drop_to = running_as_root().then_some(settings.task_user);
        if drop_to.is_some() && settings.isolation == Isolation::Bubblewrap {
            let data_dir = data_dir.to_path_buf();
            let opened = tokio::task::spawn_blocking(move || open_passage(&data_dir)).await;
            if let Err(e) = opened.map_err(std::io::Error::other).and_then(|done| done) {
                tracing::warn!(error = %e, "could not make the data dir passable for tasks");
            }
        }
        let mut sandbox = Self { system, settings, cgroups, drop_to, readiness: Readiness::Isolated };
        sandbox.readiness = match sandbox.settings.isolation {
            Isolation::Off => {
                tracing::warn!("CUBIST_SANDBOX=off: local tasks and debug shells run unisolated as the server's user");
                Readiness::Off
            }
            Isolation::Bubblewrap => match tokio::time::timeout(PROBE_LIMIT, sandbox.probe(data_dir))
                .await
                .unwrap_or_else(|_| Err(format!("a sandbox did not start within {} s", PROBE_LIMIT.as_secs())))
            {
                Ok(()) => Readiness::Isolated,
                Err(why) => {
                    tracing::error!(%why, "local tasks and debug shells are refused");
                    Readiness::Unavailable(why)
                }
            },
        };
        sandbox
    }

    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Whether memory is limited and measured per task.
    pub fn has_cgroups(&self) -> bool {
        self.cgroups.is_some()
    }

    /// Who owns the folders tasks write to (`None`: the server's own user).
    pub fn task_owner(&self) -> Option<TaskUser> {
        match self.readiness {
            Readiness::Off => None,
            _ => self.drop_to,
        }
    }

    /// `Err` with the reason when tasks cannot run here.
    pub fn check(&self) -> Result<(), String> {
        match &self.readiness {
            Readiness::Unavailable(why) => Err(format!(
                "local tasks run isolated and the sandbox cannot be set up on this machine: {why}. Install \
                 bubblewrap (apt-get install bubblewrap) and allow user namespaces, or, on a single-user machine \
                 only, set CUBIST_SANDBOX=off"
            )),
            _ => Ok(()),
        }
    }

    /// The process to start for `spec`; its cgroup is created here (blocking: call it off the
    /// async threads or where a few file writes do not matter).
    pub fn prepare(&self, spec: Spec<'_>) -> std::io::Result<Prepared> {
        if let Readiness::Unavailable(why) = &self.readiness {
            return Err(std::io::Error::other(format!("the sandbox cannot be set up: {why}")));
        }
        let isolated = self.readiness != Readiness::Off;
        // The process starts as the task user, joins its group (version 1: the group's
        // `cgroup.procs` is the task user's) and execs bubblewrap. Moving into a version-2
        // group needs write access up to the common ancestor: there, `sh` joins as root and
        // `setpriv` drops to the task user before bubblewrap.
        let v2 = matches!(self.cgroups, Some(cgroup::Hierarchy::V2 { .. }));
        let (user, setpriv) = match self.drop_to.filter(|_| isolated) {
            Some(user) if v2 => (None, Some(user)),
            other => (other, None),
        };
        let group = match &self.cgroups {
            Some(hierarchy) => Some(hierarchy.create(spec.limits, user)?),
            None => None,
        };
        let mut chain: Vec<String> = Vec::new();
        let home = self
            .cgroups
            .as_ref()
            .and_then(cgroup::Hierarchy::home_tasks_files)
            .filter(|_| running_as_root() && thread_join::usable());
        let thread_join = match (&group, home) {
            (Some(group), Some(home)) => Some(ThreadJoin { into: group.tasks_files(), home }),
            _ => None,
        };
        if let Some(group) = group.as_ref().filter(|_| thread_join.is_none()) {
            chain.extend(["/bin/sh", "-c", JOIN_GROUPS, "cubist-sandbox"].map(String::from));
            chain.extend(group.procs_files().iter().map(|p| p.display().to_string()));
            chain.push("--".into());
        }
        let mut env: Vec<(String, String)>;
        let cwd = if !isolated {
            env = HOST_ENV.iter().filter_map(|k| Some(((*k).to_owned(), std::env::var(k).ok()?))).collect();
            env.extend(spec.env.iter().cloned());
            chain.extend(spec.argv.iter().cloned());
            spec.host_cwd
        } else {
            if let Some(user) = setpriv {
                chain.extend([
                    SETPRIV.to_owned(),
                    format!("--reuid={}", user.uid),
                    format!("--regid={}", user.gid),
                    "--clear-groups".into(),
                    "--inh-caps=-all".into(),
                    "--bounding-set=-all".into(),
                    "--".into(),
                ]);
            }
            let mut inside = vec![
                ("PATH".to_owned(), layout::TASK_PATH.to_owned()),
                ("HOME".to_owned(), "/tmp".to_owned()),
                ("LANG".to_owned(), "C.UTF-8".to_owned()),
            ];
            for (key, value) in spec.env {
                match inside.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1.clone_from(value),
                    None => inside.push((key.clone(), value.clone())),
                }
            }
            env = vec![("PATH".into(), layout::TASK_PATH.into())];
            chain.push(self.settings.bwrap.display().to_string());
            chain.extend(layout::arguments(&layout::Layout {
                system: &self.system,
                entries: spec.entries,
                env: inside,
                cwd: spec.cwd,
                network: self.settings.network,
                terminal: spec.terminal,
                argv: spec.argv,
            }));
            PathBuf::from("/")
        };
        env.extend(spec.tags);
        let mut chain = chain.into_iter();
        let program = chain.next().ok_or_else(|| std::io::Error::other("empty command"))?;
        Ok(Prepared { program, args: chain.collect(), env, cwd, group, sandboxed: isolated, user, thread_join })
    }

    /// Starts a sandbox that checks it cannot see the data dir.
    async fn probe(&self, data_dir: &Path) -> Result<(), String> {
        if !self.settings.bwrap.exists() {
            return Err(format!("bubblewrap is not installed at {}", self.settings.bwrap.display()));
        }
        let v2 = matches!(self.cgroups, Some(cgroup::Hierarchy::V2 { .. }));
        if self.drop_to.is_some() && v2 && !Path::new(SETPRIV).exists() {
            return Err(format!("{SETPRIV} (util-linux) is needed to run tasks as an unprivileged user"));
        }
        let argv = ["/bin/sh", "-c", r#"test ! -e "$1""#, "probe", &data_dir.display().to_string()].map(String::from);
        // Binding a folder of the data dir proves the task's user can reach it.
        let runs = data_dir.join("runs");
        tokio::fs::create_dir_all(&runs).await.map_err(|e| format!("{}: {e}", runs.display()))?;
        if self.drop_to.is_some() {
            tokio::fs::set_permissions(&runs, std::fs::Permissions::from_mode(0o711))
                .await
                .map_err(|e| format!("{}: {e}", runs.display()))?;
        }
        let prepared = self
            .prepare(Spec {
                argv: &argv,
                env: &[],
                entries: vec![Entry::Bind { host: runs, at: "/work".into(), writable: false }],
                cwd: "/".into(),
                host_cwd: PathBuf::from("/"),
                terminal: false,
                limits: cgroup::Limits::default(),
                tags: Vec::new(),
            })
            .map_err(|e| format!("cannot create the task's cgroup: {e}"))?;
        // Started as tasks are (inside the group), so a group that cannot be joined shows now.
        let mut command = tokio::process::Command::from(prepared.command());
        command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let join = prepared.thread_join.clone();
        let fail = |e: std::io::Error| format!("cannot run {}: {e}", prepared.program);
        let child = on_spawner(move || thread_join::while_inside(join.as_ref(), || command.spawn()))
            .await
            .map_err(fail)?
            .map_err(fail)?
            .map_err(fail)?;
        let output = child.wait_with_output().await.map_err(fail)?;
        if let Some(group) = prepared.group {
            let _ = tokio::task::spawn_blocking(move || group.release()).await;
        }
        match output.status.code() {
            Some(0) => Ok(()),
            Some(1) if output.stderr.is_empty() => Err("a sandbox could see the data directory".into()),
            _ => Err(format!(
                "bubblewrap failed: {} (the task user must be able to pass through every folder down to {})",
                String::from_utf8_lossy(&output.stderr).trim(),
                data_dir.display()
            )),
        }
    }
}
