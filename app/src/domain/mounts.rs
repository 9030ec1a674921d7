//! The volume-mount grammar shared by projects, templates, tasks and notebooks:
//! `source(kind):/mount/path`, several entries separated by `,` or `;`.
//!
//! Parsing gives typed mounts and errors that quote the bad entry; printing gives the
//! canonical string, which parses back to the same mounts. A `/host/path:/mnt` entry
//! without a kind is read as a host path, as the original system did.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::container_path::{check_container_path, check_normalised};

/// What is mounted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MountSource {
    /// The user's own sub-directory `<user>` of a PVC, shown at the mount path (on both engines).
    Pvc {
        claim: String,
    },
    /// A whole PVC shared by everyone.
    PvcShare {
        claim: String,
    },
    /// External storage exposed as a PVC, mounted whole.
    Storage {
        claim: String,
    },
    /// A directory of the node.
    HostPath {
        path: String,
    },
    /// An NFS export, `server/path`.
    Nfs {
        server: String,
        path: String,
    },
    ConfigMap {
        name: String,
    },
    Secret {
        name: String,
    },
    /// A memory-backed scratch volume of `gib` GiB.
    Memory {
        gib: u32,
    },
}

/// One mount: a source at a path inside the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    pub source: MountSource,
    pub mount_path: String,
}

/// A problem in a mount string, quoting the entry at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountError {
    pub entry: String,
    pub problem: String,
}

impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}': {}", self.entry, self.problem)
    }
}

const KINDS: &str = "pvc, pvc-share, storage, hostpath, nfs, configmap, secret, memory";

fn is_k8s_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn check_path(path: &str, what: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("{what} must be an absolute path starting with '/'"));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '(' | ')')) {
        return Err(format!("{what} must not contain spaces, ',', ';' or parentheses"));
    }
    if path.split('/').any(|seg| seg == "..") {
        return Err(format!("{what} must not contain '..'"));
    }
    Ok(())
}

/// Parses a size such as `4G`, `4Gi` or `512M` into whole GiB (at least 1).
fn parse_gib(size: &str) -> Option<u32> {
    let upper = size.trim().to_ascii_uppercase();
    let (digits, unit) = upper.split_at(upper.find(|c: char| !c.is_ascii_digit()).unwrap_or(upper.len()));
    let n: u32 = digits.parse().ok()?;
    match unit {
        "G" | "GI" => Some(n),
        "M" | "MI" => Some(n.div_ceil(1024).max(1)),
        _ => None,
    }
    .filter(|g| *g > 0 && *g <= 1024)
}

fn parse_entry(entry: &str) -> Result<Mount, MountError> {
    let fail = |problem: String| MountError { entry: entry.to_owned(), problem };
    let (left, mount_path) = match entry.find("):") {
        Some(i) => (&entry[..=i], &entry[i + 2..]),
        None => match entry.rfind(':') {
            Some(i) if entry.starts_with('/') => (&entry[..i], &entry[i + 1..]),
            _ => return Err(fail("expected source(kind):/path, e.g. workspace(pvc):/mnt".into())),
        },
    };
    let mount_path = mount_path.trim();
    check_path(mount_path, "the mount path").map_err(fail)?;
    if mount_path.trim_end_matches('/').is_empty() {
        return Err(fail("the mount path must not be '/'".into()));
    }
    let (source, kind) = match left.strip_suffix(')').and_then(|l| l.rsplit_once('(')) {
        Some((source, kind)) => (source.trim(), kind.trim().to_ascii_lowercase()),
        None => (left.trim(), "hostpath".to_owned()),
    };
    // Host paths (administrators') may show devices and kernel files; nothing else may.
    let path_rule = if kind == "hostpath" { check_normalised } else { check_container_path };
    path_rule(mount_path).map_err(|problem| fail(format!("the mount path {problem}")))?;
    if source.is_empty() {
        return Err(fail("the source before '(' is empty".into()));
    }
    let name = |what: &str| {
        if is_k8s_name(source) {
            Ok(source.to_owned())
        } else {
            Err(fail(format!("'{source}' is not a valid {what} name (lowercase letters, digits, '-' and '.')")))
        }
    };
    let source = match kind.as_str() {
        "pvc" => MountSource::Pvc { claim: name("PVC")? },
        "pvc-share" => MountSource::PvcShare { claim: name("PVC")? },
        "storage" => MountSource::Storage { claim: name("PVC")? },
        "configmap" => MountSource::ConfigMap { name: name("ConfigMap")? },
        "secret" => MountSource::Secret { name: name("Secret")? },
        "hostpath" => {
            check_path(source, "a host path").map_err(fail)?;
            MountSource::HostPath { path: source.to_owned() }
        }
        "nfs" => {
            let (server, path) = source.split_once('/').ok_or_else(|| fail("an NFS source is server/path".into()))?;
            if server.is_empty()
                || !server.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':')
            {
                return Err(fail(format!("'{server}' is not an NFS server address")));
            }
            let path = format!("/{path}");
            check_path(&path, "the NFS path").map_err(fail)?;
            MountSource::Nfs { server: server.to_owned(), path }
        }
        "memory" => {
            let gib =
                parse_gib(source).ok_or_else(|| fail(format!("'{source}' is not a size like 4G (1G to 1024G)")))?;
            MountSource::Memory { gib }
        }
        other => return Err(fail(format!("unknown kind '{other}' (one of {KINDS})"))),
    };
    Ok(Mount { source, mount_path: mount_path.to_owned() })
}

/// Parses a mount string. Empty entries are ignored; a mount path used twice is an error.
pub fn parse_mounts(text: &str) -> Result<Vec<Mount>, MountError> {
    let mut mounts: Vec<Mount> = Vec::new();
    for entry in text.split([',', ';', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
        let mount = parse_entry(entry)?;
        if mounts.iter().any(|m| same_path(&m.mount_path, &mount.mount_path)) {
            return Err(MountError {
                entry: entry.to_owned(),
                problem: format!("{} is mounted twice", mount.mount_path),
            });
        }
        mounts.push(mount);
    }
    Ok(mounts)
}

fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Merges mount lists in order of priority: the first mount at each path wins.
pub fn merge_mounts<'a>(lists: impl IntoIterator<Item = &'a [Mount]>) -> Vec<Mount> {
    let mut merged: Vec<Mount> = Vec::new();
    for mount in lists.into_iter().flatten() {
        if !merged.iter().any(|m| same_path(&m.mount_path, &mount.mount_path)) {
            merged.push(mount.clone());
        }
    }
    merged
}

impl fmt::Display for Mount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (source, kind) = match &self.source {
            MountSource::Pvc { claim } => (claim.clone(), "pvc"),
            MountSource::PvcShare { claim } => (claim.clone(), "pvc-share"),
            MountSource::Storage { claim } => (claim.clone(), "storage"),
            MountSource::HostPath { path } => (path.clone(), "hostpath"),
            MountSource::Nfs { server, path } => (format!("{server}{path}"), "nfs"),
            MountSource::ConfigMap { name } => (name.clone(), "configmap"),
            MountSource::Secret { name } => (name.clone(), "secret"),
            MountSource::Memory { gib } => (format!("{gib}G"), "memory"),
        };
        write!(f, "{source}({kind}):{}", self.mount_path)
    }
}

/// The canonical string of a mount list (entries joined with `,`).
pub fn format_mounts(mounts: &[Mount]) -> String {
    mounts.iter().map(Mount::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reference_examples() {
        let m = parse_mounts(
            "kubeflow-user-workspace(pvc):/mnt, /data/k8s/kubeflow/pipeline/workspace/xxxx(hostpath):/mnt2; \
             4G(memory):/dev/shm;kubernetes-config(configmap):/root/.kube",
        )
        .unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].source, MountSource::Pvc { claim: "kubeflow-user-workspace".into() });
        assert_eq!(m[2].source, MountSource::Memory { gib: 4 });
        assert_eq!(m[3].mount_path, "/root/.kube");
        let text = format_mounts(&m);
        assert_eq!(parse_mounts(&text).unwrap(), m);
        assert_eq!(
            text,
            "kubeflow-user-workspace(pvc):/mnt,/data/k8s/kubeflow/pipeline/workspace/xxxx(hostpath):/mnt2,\
             4G(memory):/dev/shm,kubernetes-config(configmap):/root/.kube"
        );
    }

    #[test]
    fn other_kinds_and_shorthand() {
        let m = parse_mounts("10.0.0.5/exports/data(nfs):/data;shared(pvc-share):/shared;creds(secret):/etc/creds")
            .unwrap();
        assert_eq!(m[0].source, MountSource::Nfs { server: "10.0.0.5".into(), path: "/exports/data".into() });
        let host = parse_mounts("/var/run/docker.sock:/var/run/docker.sock").unwrap();
        assert_eq!(host[0].to_string(), "/var/run/docker.sock(hostpath):/var/run/docker.sock");
        assert!(parse_mounts(" ; ,").unwrap().is_empty());
    }

    #[test]
    fn errors_quote_the_bad_entry() {
        let e = parse_mounts("a(pvc):/mnt,b(bucket):/b").unwrap_err();
        assert_eq!(e.entry, "b(bucket):/b");
        assert!(e.problem.contains("unknown kind 'bucket'"));
        for bad in [
            "a(pvc)",
            "a(pvc):mnt",
            "(pvc):/x",
            "Bad_Name(pvc):/x",
            "lots(memory):/dev/shm",
            "relative(hostpath):/x",
            "a(pvc):/x/../y",
        ] {
            assert!(parse_mounts(bad).is_err(), "{bad}");
        }
        let e = parse_mounts("a(pvc):/mnt;b(pvc):/mnt/").unwrap_err();
        assert!(e.problem.contains("twice"));
    }

    #[test]
    fn merge_keeps_the_first_mount_per_path() {
        let project = parse_mounts("workspace(pvc):/mnt").unwrap();
        let template = parse_mounts("other(pvc):/mnt/,4G(memory):/dev/shm").unwrap();
        let merged = merge_mounts([project.as_slice(), template.as_slice()]);
        assert_eq!(format_mounts(&merged), "workspace(pvc):/mnt,4G(memory):/dev/shm");
    }

    fn mount_strategy() -> impl Strategy<Value = Mount> {
        let name = "[a-z][a-z0-9-]{0,20}[a-z0-9]";
        let path = "(/[a-z0-9_]{1,8}){1,4}";
        let source = prop_oneof![
            name.prop_map(|claim| MountSource::Pvc { claim }),
            name.prop_map(|claim| MountSource::PvcShare { claim }),
            name.prop_map(|name| MountSource::ConfigMap { name }),
            name.prop_map(|name| MountSource::Secret { name }),
            path.prop_map(|path| MountSource::HostPath { path }),
            (1u32..=1024).prop_map(|gib| MountSource::Memory { gib }),
            ("[a-z0-9.]{1,12}", path).prop_map(|(server, path)| MountSource::Nfs { server, path }),
        ];
        (source, path).prop_map(|(source, mount_path)| Mount { source, mount_path })
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,120}") {
            let _ = parse_mounts(&s);
        }

        #[test]
        fn canonical_strings_round_trip(mounts in proptest::collection::vec(mount_strategy(), 0..6)) {
            let mut unique: Vec<Mount> = Vec::new();
            for m in mounts {
                if !unique.iter().any(|u| same_path(&u.mount_path, &m.mount_path)) {
                    unique.push(m);
                }
            }
            let text = format_mounts(&unique);
            let parsed = parse_mounts(&text).unwrap();
            prop_assert_eq!(&parsed, &unique);
            prop_assert_eq!(format_mounts(&parsed), text);
        }
    }
}
