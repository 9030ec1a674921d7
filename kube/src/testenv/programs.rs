//! Where the control plane's programs are: built by `scripts/testenv-build.sh` into
//! `CUBIST_TESTENV_BIN` (default `/var/tmp/cubist-testenv/bin`), beside two files naming the
//! Go module folders that hold Argo's CRDs and kwok's stages.

use std::path::{Path, PathBuf};

use super::StartError;

pub const ETCD: &str = "etcd";
pub const APISERVER: &str = "kube-apiserver";
pub const CONTROLLER_MANAGER: &str = "kube-controller-manager";
pub const SCHEDULER: &str = "kube-scheduler";
pub const KWOK: &str = "kwok";
pub const ARGO: &str = "workflow-controller";

/// The folder of the built programs.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("CUBIST_TESTENV_BIN").map_or_else(|| PathBuf::from("/var/tmp/cubist-testenv/bin"), PathBuf::from)
}

/// The path of `program`, if it is built.
pub fn program(program: &str) -> Result<PathBuf, StartError> {
    let path = bin_dir().join(program);
    if path.is_file() {
        Ok(path)
    } else {
        Err(StartError(format!("{} is missing: run scripts/testenv-build.sh (the test command does)", path.display())))
    }
}

/// The Go module folder the build script recorded in `file` (`argo-module-dir`, ...).
pub fn module_dir(file: &str) -> Result<PathBuf, StartError> {
    let recorded = bin_dir().join(file);
    let text = std::fs::read_to_string(&recorded)
        .map_err(|e| StartError(format!("cannot read {}: {e}; run scripts/testenv-build.sh", recorded.display())))?;
    let dir = PathBuf::from(text.trim());
    if dir.is_dir() { Ok(dir) } else { Err(StartError(format!("{} is not in the Go module cache", dir.display()))) }
}

/// Reads a file of a module folder.
pub fn read(dir: &Path, relative: &str) -> Result<String, StartError> {
    let path = dir.join(relative);
    std::fs::read_to_string(&path).map_err(|e| StartError(format!("cannot read {}: {e}", path.display())))
}
