//! The sandbox's `/etc`: a copy, made at start under the data dir, of the few entries
//! programs need (users, name resolution, certificates, the loader's cache, the time zone),
//! shown read-only with one bind instead of one per entry (each bind costs about a third of a
//! millisecond per task). Only world-readable files are copied, links inside folders stay
//! links (their targets are under `/usr`), and a top-level link is copied as what it points
//! to (`resolv.conf` often points into `/run`, which sandboxes do not see).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn world_readable(meta: &std::fs::Metadata) -> bool {
    meta.permissions().mode() & 0o004 != 0
}

fn copy_entry(from: &Path, to: &Path, follow: bool) -> std::io::Result<()> {
    let Ok(link_meta) = std::fs::symlink_metadata(from) else { return Ok(()) };
    if link_meta.file_type().is_symlink() && !follow {
        return std::os::unix::fs::symlink(std::fs::read_link(from)?, to);
    }
    let Ok(meta) = std::fs::metadata(from) else { return Ok(()) };
    if meta.is_dir() {
        std::fs::create_dir(to)?;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
        for child in std::fs::read_dir(from)?.filter_map(Result::ok) {
            copy_entry(&child.path(), &to.join(child.file_name()), false)?;
        }
    } else if meta.is_file() && world_readable(&meta) {
        std::fs::copy(from, to)?;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o644))?;
    }
    Ok(())
}

/// Replaces `into` with a copy of `entries` of the host's `/etc` (paths relative to it).
pub fn copy(entries: &[&str], into: &Path) -> std::io::Result<()> {
    if into.exists() {
        std::fs::remove_dir_all(into)?;
    }
    std::fs::create_dir_all(into)?;
    std::fs::set_permissions(into, std::fs::Permissions::from_mode(0o755))?;
    for entry in entries {
        let to = into.join(entry);
        if let Some(parent) = to.parent().filter(|p| !p.exists()) {
            std::fs::create_dir_all(parent)?;
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755))?;
        }
        copy_entry(&Path::new("/etc").join(entry), &to, true)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_what_everyone_may_read_and_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let into = dir.path().join("etc");
        copy(&["passwd", "ssl/certs", "shadow", "no-such-entry"], &into).expect("copied");
        assert_eq!(std::fs::read(into.join("passwd")).ok(), std::fs::read("/etc/passwd").ok());
        assert!(!into.join("shadow").exists(), "a file only root may read is never copied");
        assert!(!into.join("no-such-entry").exists());
        if Path::new("/etc/ssl/certs").is_dir() {
            assert!(into.join("ssl/certs").is_dir());
        }
        copy(&["hosts"], &into).expect("copied again");
        assert!(!into.join("passwd").exists() && into.join("hosts").exists(), "a new copy replaces the old");
    }
}
