//! The sandbox's configuration: whether local tasks are isolated (`CUBIST_SANDBOX`), who
//! they run as when the server is root (`CUBIST_TASK_USER`), whether they reach the network
//! (`CUBIST_TASK_NETWORK`), extra read-only host folders they see (`CUBIST_SANDBOX_READONLY`)
//! and where bubblewrap is (`CUBIST_BWRAP`).

use std::path::PathBuf;

/// Whether local tasks and debug shells run isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Under bubblewrap; tasks are refused when it cannot be set up.
    Bubblewrap,
    /// As plain processes of the server's user: only for a single-user machine, shown as a
    /// warning to everyone.
    Off,
}

/// The unprivileged user tasks run as when the server runs as root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskUser {
    pub uid: u32,
    pub gid: u32,
}

/// `nobody:nogroup` on Debian.
pub const DEFAULT_TASK_USER: TaskUser = TaskUser { uid: 65534, gid: 65534 };

/// Everything the sandbox is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSettings {
    pub isolation: Isolation,
    pub bwrap: PathBuf,
    pub task_user: TaskUser,
    pub network: bool,
    pub readonly: Vec<PathBuf>,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            isolation: Isolation::Bubblewrap,
            bwrap: PathBuf::from("/usr/bin/bwrap"),
            task_user: DEFAULT_TASK_USER,
            network: true,
            readonly: Vec::new(),
        }
    }
}

/// The raw values, each from its variable or the same key of `cubist.toml`.
#[derive(Debug, Default)]
pub struct SandboxVars {
    pub sandbox: Option<String>,
    pub bwrap: Option<String>,
    pub task_user: Option<String>,
    pub task_network: Option<String>,
    pub readonly: Option<String>,
}

/// A value that cannot be used: the variable and the problem.
pub type Problem = (&'static str, String);

fn parse_isolation(text: &str) -> Result<Isolation, Problem> {
    match text.trim().to_ascii_lowercase().as_str() {
        "bubblewrap" | "bwrap" | "on" | "true" => Ok(Isolation::Bubblewrap),
        "off" | "false" | "none" => Ok(Isolation::Off),
        other => Err(("CUBIST_SANDBOX", format!("'{other}' is not bubblewrap or off"))),
    }
}

fn parse_task_user(text: &str) -> Result<TaskUser, Problem> {
    let problem = || ("CUBIST_TASK_USER", format!("'{text}' is not uid:gid, e.g. 65534:65534"));
    let (uid, gid) = text.trim().split_once(':').ok_or_else(problem)?;
    let uid: u32 = uid.parse().map_err(|_| problem())?;
    let gid: u32 = gid.parse().map_err(|_| problem())?;
    if uid == 0 || gid == 0 {
        return Err(("CUBIST_TASK_USER", "tasks never run as root: choose an unprivileged uid and gid".into()));
    }
    Ok(TaskUser { uid, gid })
}

fn parse_readonly(text: &str) -> Result<Vec<PathBuf>, Problem> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if !p.starts_with('/') || p.split('/').any(|seg| seg == "..") || p == "/" {
                Err(("CUBIST_SANDBOX_READONLY", format!("'{p}' is not an absolute folder path below /")))
            } else {
                Ok(PathBuf::from(p))
            }
        })
        .collect()
}

/// Reads the settings; unset values keep their defaults.
pub fn parse(vars: SandboxVars) -> Result<SandboxSettings, Problem> {
    let mut settings = SandboxSettings::default();
    if let Some(text) = vars.sandbox {
        settings.isolation = parse_isolation(&text)?;
    }
    if let Some(path) = vars.bwrap {
        if !path.starts_with('/') {
            return Err(("CUBIST_BWRAP", format!("'{path}' is not an absolute path")));
        }
        settings.bwrap = PathBuf::from(path);
    }
    if let Some(text) = vars.task_user {
        settings.task_user = parse_task_user(&text)?;
    }
    if let Some(text) = vars.task_network {
        settings.network = crate::config::parse_bool("CUBIST_TASK_NETWORK", text.trim())
            .map_err(|e| ("CUBIST_TASK_NETWORK", e.problem))?;
    }
    if let Some(text) = vars.readonly {
        settings.readonly = parse_readonly(&text)?;
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_isolate_as_nobody_with_network() {
        let settings = parse(SandboxVars::default()).expect("defaults parse");
        assert_eq!(settings.isolation, Isolation::Bubblewrap);
        assert_eq!(settings.task_user, DEFAULT_TASK_USER);
        assert!(settings.network);
    }

    #[test]
    fn reads_every_value_and_names_the_variable_at_fault() {
        let settings = parse(SandboxVars {
            sandbox: Some("off".into()),
            bwrap: Some("/opt/bwrap".into()),
            task_user: Some("1500:1600".into()),
            task_network: Some("false".into()),
            readonly: Some("/opt/conda, /srv/models".into()),
        })
        .expect("valid values");
        assert_eq!(settings.isolation, Isolation::Off);
        assert_eq!(settings.task_user, TaskUser { uid: 1500, gid: 1600 });
        assert!(!settings.network);
        assert_eq!(settings.readonly, vec![PathBuf::from("/opt/conda"), PathBuf::from("/srv/models")]);

        let fault = |vars: SandboxVars| parse(vars).expect_err("refused").0;
        assert_eq!(fault(SandboxVars { sandbox: Some("maybe".into()), ..SandboxVars::default() }), "CUBIST_SANDBOX");
        assert_eq!(fault(SandboxVars { task_user: Some("0:0".into()), ..SandboxVars::default() }), "CUBIST_TASK_USER");
        assert_eq!(
            fault(SandboxVars { task_user: Some("nobody".into()), ..SandboxVars::default() }),
            "CUBIST_TASK_USER"
        );
        assert_eq!(fault(SandboxVars { bwrap: Some("bwrap".into()), ..SandboxVars::default() }), "CUBIST_BWRAP");
        assert_eq!(
            fault(SandboxVars { readonly: Some("/opt/../etc".into()), ..SandboxVars::default() }),
            "CUBIST_SANDBOX_READONLY"
        );
        assert_eq!(
            fault(SandboxVars { task_network: Some("sometimes".into()), ..SandboxVars::default() }),
            "CUBIST_TASK_NETWORK"
        );
    }
}
