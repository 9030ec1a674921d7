//! What a sandboxed process sees, as bubblewrap arguments: the host's system folders
//! read-only, its own folders and mounts at their paths, private `/tmp`, `/proc` and `/dev`,
//! and nothing else of the host. Pure: the same layout always gives the same arguments, so it
//! is tested without running anything.

use std::path::{Path, PathBuf};

/// Top-level system folders; on merged-/usr systems most are links into `/usr`.
const SYSTEM_FOLDERS: [&str; 7] = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// What programs read from `/etc` to start, resolve names, speak TLS and find their locale;
/// nothing else of the host's configuration is shown.
pub const ETC_ENTRIES: [&str; 28] = [
    "ssl/certs",
    "ssl/openssl.cnf",
    "alternatives",
    "bash.bashrc",
    "ca-certificates",
    "ca-certificates.conf",
    "debian_version",
    "gai.conf",
    "gitconfig",
    "group",
    "host.conf",
    "hosts",
    "inputrc",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "locale.alias",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "pki",
    "profile",
    "protocols",
    "python3",
    "resolv.conf",
    "services",
];

/// The fixed search path inside the sandbox.
pub const TASK_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One piece of the host's system as the sandbox shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SystemEntry {
    /// A link kept as a link (`/bin -> usr/bin`).
    Link { target: String, at: String },
    /// A folder or file shown read-only when it exists.
    ReadOnly(String),
    /// A host folder shown read-only at another path.
    ReadOnlyAt { host: String, at: String },
}

/// The host's system folders, read once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    entries: Vec<SystemEntry>,
    /// The `/etc` entries one by one, for a sandbox that places something under `/etc`
    /// (the read-only copy cannot hold new mount points).
    etc_entries: Vec<SystemEntry>,
}

impl System {
    /// Reads the host: system folders, the chosen `/etc` entries (from `etc_copy` when there
    /// is one, see [`super::etc_copy`]) and the administrator's extra read-only folders.
    pub fn of_host(extra_readonly: &[PathBuf], etc_copy: Option<&Path>) -> Self {
        let mut entries = Vec::new();
        for folder in SYSTEM_FOLDERS {
            match std::fs::symlink_metadata(folder) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    if let Ok(target) = std::fs::read_link(folder) {
                        entries.push(SystemEntry::Link { target: target.display().to_string(), at: folder.into() });
                    }
                }
                Ok(_) => entries.push(SystemEntry::ReadOnly(folder.into())),
                Err(_) => {}
            }
        }
        let etc_entries: Vec<SystemEntry> =
            ETC_ENTRIES.iter().map(|e| SystemEntry::ReadOnly(format!("/etc/{e}"))).collect();
        match etc_copy {
            Some(copy) => entries.push(SystemEntry::ReadOnlyAt { host: copy.display().to_string(), at: "/etc".into() }),
            None => entries.extend(etc_entries.iter().cloned()),
        }
        entries.extend(extra_readonly.iter().map(|p| SystemEntry::ReadOnly(p.display().to_string())));
        Self { entries, etc_entries }
    }
}

/// A folder of the sandbox beyond the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A host folder shown at `at`.
    Bind { host: PathBuf, at: String, writable: bool },
    /// A memory-backed folder of at most `bytes`.
    Tmpfs { at: String, bytes: Option<u64> },
    /// An empty folder in the sandbox's own root, gone with it.
    Dir { at: String },
}

impl Entry {
    fn at(&self) -> &str {
        match self {
            Self::Bind { at, .. } | Self::Tmpfs { at, .. } | Self::Dir { at } => at,
        }
    }
}

/// Everything one sandboxed process is started with.
#[derive(Debug, Clone)]
pub struct Layout<'a> {
    pub system: &'a System,
    pub entries: Vec<Entry>,
    /// The whole environment of the process (nothing else is inherited).
    pub env: Vec<(String, String)>,
    /// The working directory, a path inside the sandbox.
    pub cwd: String,
    pub network: bool,
    /// Keep the caller's terminal (debug shells); tasks get a session of their own so they
    /// cannot type into any terminal.
    pub terminal: bool,
    pub argv: &'a [String],
}

fn push(args: &mut Vec<String>, items: &[&str]) {
    args.extend(items.iter().map(|s| (*s).to_owned()));
}

/// Whether `at` is a path the sandbox may place something at: absolute, not the root, no
/// `..`, and not inside what the sandbox itself provides (but for `/dev/shm`, which tasks
/// size with a memory mount).
fn placeable(at: &str) -> bool {
    let path = Path::new(at);
    path.is_absolute()
        && at != "/"
        && !at.split('/').any(|seg| seg == "..")
        && (path.starts_with("/dev/shm") || !["/proc", "/dev"].iter().any(|own| path.starts_with(own)))
}

/// The bubblewrap arguments for `layout`, ending with the command.
pub fn arguments(layout: &Layout<'_>) -> Vec<String> {
    let mut args = Vec::with_capacity(64 + 3 * layout.env.len());
    push(
        &mut args,
        &[
            "--unshare-user",
            "--disable-userns",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "cubist",
            "--die-with-parent",
            "--cap-drop",
            "ALL",
        ],
    );
    if !layout.network {
        push(&mut args, &["--unshare-net"]);
    }
    if !layout.terminal {
        push(&mut args, &["--new-session"]);
    }
    // Something placed under /etc (a mount, the working directory) needs the entries one by
    // one instead of the read-only copy, which cannot hold new mount points.
    let under_etc = |at: &str| Path::new(at).starts_with("/etc");
    let etc_used = layout.entries.iter().any(|e| under_etc(e.at())) || under_etc(&layout.cwd);
    for entry in &layout.system.entries {
        let entries = match entry {
            SystemEntry::ReadOnlyAt { at, .. } if etc_used && at == "/etc" => layout.system.etc_entries.as_slice(),
            other => std::slice::from_ref(other),
        };
        for entry in entries {
            match entry {
                SystemEntry::Link { target, at } => push(&mut args, &["--symlink", target, at]),
                SystemEntry::ReadOnly(path) => push(&mut args, &["--ro-bind-try", path, path]),
                SystemEntry::ReadOnlyAt { host, at } => push(&mut args, &["--ro-bind", host, at]),
            }
        }
    }
    push(&mut args, &["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]);
    // Parents before children, so a mount inside another mount is not hidden by it.
    let mut entries: Vec<&Entry> = layout.entries.iter().filter(|e| placeable(e.at())).collect();
    entries.sort_by_key(|e| e.at().trim_end_matches('/').matches('/').count());
    for entry in entries {
        match entry {
            Entry::Bind { host, at, writable } => {
                let flag = if *writable { "--bind" } else { "--ro-bind" };
                args.push(flag.into());
                args.push(host.display().to_string());
                args.push(at.clone());
            }
            Entry::Tmpfs { at, bytes } => {
                if let Some(bytes) = bytes {
                    args.push("--size".into());
                    args.push(bytes.to_string());
                }
                push(&mut args, &["--tmpfs", at]);
            }
            Entry::Dir { at } => push(&mut args, &["--dir", at]),
        }
    }
    args.push("--clearenv".into());
    for (key, value) in &layout.env {
        push(&mut args, &["--setenv", key, value]);
    }
    push(&mut args, &["--chdir", &layout.cwd, "--"]);
    args.extend(layout.argv.iter().cloned());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system() -> System {
        System {
            entries: vec![
                SystemEntry::ReadOnly("/usr".into()),
                SystemEntry::Link { target: "usr/bin".into(), at: "/bin".into() },
                SystemEntry::ReadOnlyAt { host: "/srv/d/sandbox-etc".into(), at: "/etc".into() },
            ],
            etc_entries: vec![SystemEntry::ReadOnly("/etc/passwd".into())],
        }
    }

    fn position(args: &[String], window: &[&str]) -> Option<usize> {
        args.windows(window.len()).position(|w| w.iter().zip(window).all(|(a, b)| a == b))
    }

    #[test]
    fn a_task_is_confined_to_its_folders_and_environment() {
        let system = system();
        let argv = vec!["sh".to_owned(), "-c".to_owned(), "echo hi".to_owned()];
        let layout = Layout {
            system: &system,
            entries: vec![
                Entry::Tmpfs { at: "/mnt/data/shm".into(), bytes: Some(4 << 30) },
                Entry::Bind { host: "/srv/d/volumes/ws/ann".into(), at: "/mnt/data".into(), writable: true },
                Entry::Bind { host: "/srv/d/runs/r1/work".into(), at: "/work".into(), writable: true },
                Entry::Bind { host: "/etc/cubist".into(), at: "/proc/self".into(), writable: true },
                Entry::Tmpfs { at: "/dev/shm".into(), bytes: Some(1 << 30) },
                Entry::Dir { at: "/".into() },
            ],
            env: vec![("KFJ_RUN_ID".into(), "r1".into()), ("PATH".into(), TASK_PATH.into())],
            cwd: "/work".into(),
            network: false,
            terminal: false,
            argv: &argv,
        };
        let args = arguments(&layout);
        for flag in ["--unshare-pid", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session"] {
            assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
        }
        assert!(position(&args, &["--cap-drop", "ALL"]).is_some());
        assert!(args.iter().any(|a| a == "--unshare-net"), "network off unshares it");
        assert!(position(&args, &["--ro-bind-try", "/usr", "/usr"]).is_some());
        assert!(position(&args, &["--symlink", "usr/bin", "/bin"]).is_some());
        let work = position(&args, &["--bind", "/srv/d/runs/r1/work", "/work"]).expect("work folder bound");
        let mount = position(&args, &["--bind", "/srv/d/volumes/ws/ann", "/mnt/data"]).expect("mount bound");
        let shm = position(&args, &["--size", "4294967296", "--tmpfs", "/mnt/data/shm"]).expect("sized tmpfs");
        assert!(work < mount && mount < shm, "parents before children: {args:?}");
        assert!(position(&args, &["--size", "1073741824", "--tmpfs", "/dev/shm"]).is_some(), "shared memory sized");
        assert!(!args.iter().any(|a| a == "/proc/self" || a == "/etc/cubist"), "nothing placed over /proc");
        assert!(position(&args, &["--dir", "/"]).is_none(), "nothing placed over the root");
        let clear = position(&args, &["--clearenv"]).expect("environment cleared");
        let set = position(&args, &["--setenv", "KFJ_RUN_ID", "r1"]).expect("environment set");
        assert!(clear < set);
        assert_eq!(&args[args.len() - 6..], ["--chdir", "/work", "--", "sh", "-c", "echo hi"]);
    }

    #[test]
    fn a_mount_under_etc_gets_the_entries_one_by_one() {
        let system = system();
        let argv = vec!["true".to_owned()];
        let mut layout = Layout {
            system: &system,
            entries: Vec::new(),
            env: Vec::new(),
            cwd: "/work".into(),
            network: true,
            terminal: false,
            argv: &argv,
        };
        let copy = ["--ro-bind", "/srv/d/sandbox-etc", "/etc"];
        assert!(position(&arguments(&layout), &copy).is_some(), "one bind of the copy");
        layout.entries.push(Entry::Dir { at: "/etc/creds".into() });
        let args = arguments(&layout);
        assert!(position(&args, &copy).is_none(), "{args:?}");
        assert!(position(&args, &["--ro-bind-try", "/etc/passwd", "/etc/passwd"]).is_some(), "{args:?}");
    }

    #[test]
    fn a_debug_shell_keeps_its_terminal_and_the_network_stays_on_by_default() {
        let system = system();
        let argv = vec!["/bin/bash".to_owned()];
        let layout = Layout {
            system: &system,
            entries: Vec::new(),
            env: Vec::new(),
            cwd: "/work".into(),
            network: true,
            terminal: true,
            argv: &argv,
        };
        let args = arguments(&layout);
        assert!(!args.iter().any(|a| a == "--new-session" || a == "--unshare-net"), "{args:?}");
    }

    #[test]
    fn the_host_system_is_read_only_and_links_stay_links() {
        let system = System::of_host(&[PathBuf::from("/opt/conda")], None);
        assert!(system.entries.contains(&SystemEntry::ReadOnly("/etc/passwd".into())));
        let copied = System::of_host(&[], Some(Path::new("/srv/d/sandbox-etc")));
        let etc = SystemEntry::ReadOnlyAt { host: "/srv/d/sandbox-etc".into(), at: "/etc".into() };
        assert!(
            copied.entries.contains(&etc) && !copied.entries.contains(&SystemEntry::ReadOnly("/etc/passwd".into()))
        );
        assert!(system.entries.contains(&SystemEntry::ReadOnly("/opt/conda".into())));
        assert!(!system.entries.iter().any(|e| matches!(e, SystemEntry::ReadOnly(p) if p == "/etc")));
        match std::fs::symlink_metadata("/bin") {
            Ok(meta) if meta.file_type().is_symlink() => {
                assert!(system.entries.iter().any(|e| matches!(e, SystemEntry::Link { at, .. } if at == "/bin")));
            }
            Ok(_) => assert!(system.entries.contains(&SystemEntry::ReadOnly("/bin".into()))),
            Err(_) => {}
        }
    }
}
