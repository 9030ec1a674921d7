//! Paths inside a task's container (working directories, mount paths): absolute and
//! normalised, so a path never climbs out with `..`, and never into the kernel's own file
//! systems (`/proc`, `/sys`, `/dev` but for `/dev/shm`) where a task has no business working.

/// Why a path inside the container is refused, as a message for the field's error.
pub fn check_container_path(path: &str) -> Result<(), String> {
    check_normalised(path)?;
    let under = |root: &str| path == root || path.starts_with(&format!("{root}/"));
    if ["/proc", "/sys"].into_iter().any(under) || (under("/dev") && !under("/dev/shm")) {
        return Err("must not be inside /proc, /sys or /dev (but for /dev/shm)".into());
    }
    Ok(())
}

/// Why a path is not absolute and normalised: no `..` or `.` segments, no `//`, no control
/// characters (the rule for paths of the host too).
pub fn check_normalised(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("must be an absolute path starting with '/'".into());
    }
    if path.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    if segments.iter().any(|segment| *segment == ".." || *segment == ".") {
        return Err("must not contain '..' or '.' segments".into());
    }
    if segments.iter().rev().skip(1).any(|segment| segment.is_empty()) {
        return Err("must not contain '//'".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::check_container_path;

    #[test]
    fn ordinary_paths_pass() {
        for path in ["/", "/mnt", "/mnt/ann/project", "/dev/shm", "/dev/shm/cache", "/work/..data", "/process"] {
            assert_eq!(check_container_path(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn climbing_relative_and_kernel_paths_are_refused() {
        for path in [
            "relative",
            "../etc",
            "/mnt/../../etc",
            "/mnt/./x",
            "/proc",
            "/proc/1/environ",
            "/sys/fs",
            "/dev",
            "/dev/mem",
            "/a\n/b",
            "",
            "//proc/1/environ",
            "/mnt//x",
            "//",
        ] {
            assert!(check_container_path(path).is_err(), "{path}");
        }
    }

    proptest! {
        #[test]
        fn an_accepted_path_never_climbs(segments in proptest::collection::vec("[a-z.]{1,4}", 0..6)) {
            let path = format!("/{}", segments.join("/"));
            if check_container_path(&path).is_ok() {
                prop_assert!(!segments.iter().any(|s| s == ".." || s == "."));
            }
        }
    }
}
