//! Finds task processes through `/proc`: those carrying a run id (their run and task are
//! read from each process's own environment, `KFJ_RUN_ID` and `KFJ_TASK_NAME`, so a task
//! that started just before a crash is found even when its start was never recorded, and a
//! reused process id of an unrelated program is never touched), and the process groups of a
//! debug shell's session (a shell with job control puts each job in a group of its own), and
//! the debug shells a crashed server left behind.

use std::collections::HashSet;
use std::path::Path;

/// Environment variable naming the server that started a process (a digest of its data dir,
/// which it does not reveal), so that two servers on one machine (whose run ids may repeat)
/// never touch each other's.
pub const ENGINE_VAR: &str = "CUBIST_ENGINE";

/// The engine id of the server whose data dir is `data_dir`.
pub fn engine_id(data_dir: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    hex::encode(&digest[..8])
}

/// Environment variable marking debug shells (and whatever they start).
pub const SHELL_VAR: &str = "CUBIST_DEBUG_SHELL";

/// A leftover task process: its process group, run and task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub group: i64,
    pub run_id: String,
    pub task: String,
}

/// What a process's environment says about where it comes from.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tags {
    run_id: Option<String>,
    task: Option<String>,
    engine: Option<String>,
    shell: bool,
}

/// Every process with its process group and tags, started by the server `engine`.
pub fn scan(engine: &str) -> Vec<(i64, Tags)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i64>().ok())
        .filter_map(|pid| {
            let tags = tags(&std::fs::read(format!("/proc/{pid}/environ")).ok()?);
            if tags.engine.as_deref() != Some(engine) {
                return None;
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((group_and_session(&stat)?.0, tags))
        })
        .collect()
}

/// Every process started by the server `engine` whose environment names one of `run_ids`.
pub fn find(engine: &str, run_ids: &HashSet<&str>) -> Vec<Orphan> {
    if run_ids.is_empty() {
        return Vec::new();
    }
    of_runs(&scan(engine), run_ids)
}

/// The scanned processes whose environment names one of `run_ids`.
pub fn of_runs(scanned: &[(i64, Tags)], run_ids: &HashSet<&str>) -> Vec<Orphan> {
    scanned
        .iter()
        .filter_map(|(group, tags)| {
            let run_id = tags.run_id.clone().filter(|r| run_ids.contains(r.as_str()))?;
            Some(Orphan { group: *group, run_id, task: tags.task.clone()? })
        })
        .collect()
}

/// The process groups of debug shells (and their jobs) among the scanned processes.
pub fn shells(scanned: &[(i64, Tags)]) -> HashSet<i64> {
    scanned.iter().filter(|(_, tags)| tags.shell).map(|(group, _)| *group).collect()
}

/// The process groups of every process in session `session` (a shell's process id).
pub fn session_groups(session: i64) -> HashSet<i64> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return HashSet::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i64>().ok())
        .filter_map(|pid| group_and_session(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?))
        .filter(|(_, s)| *s == session)
        .map(|(group, _)| group)
        .collect()
}

/// The tags in a NUL-separated environment block.
fn tags(env: &[u8]) -> Tags {
    let mut tags = Tags::default();
    for var in env.split(|b| *b == 0) {
        let Some((key, value)) = var.iter().position(|b| *b == b'=').map(|at| var.split_at(at)) else { continue };
        let value = || Some(String::from_utf8_lossy(&value[1..]).into_owned());
        match key {
            b"KFJ_RUN_ID" => tags.run_id = value(),
            b"KFJ_TASK_NAME" => tags.task = value(),
            k if k == ENGINE_VAR.as_bytes() => tags.engine = value(),
            k if k == SHELL_VAR.as_bytes() => tags.shell = true,
            _ => {}
        }
    }
    tags
}

/// The process group and session in a `/proc/<pid>/stat` line (its fifth and sixth fields;
/// the command name in parentheses may itself hold spaces and parentheses).
fn group_and_session(stat: &str) -> Option<(i64, i64)> {
    let mut fields = stat.rsplit_once(") ")?.1.split_whitespace().skip(2);
    let group = fields.next()?.parse().ok().filter(|group| *group > 1)?;
    Some((group, fields.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tags_of_an_environment_block() {
        let env = b"PATH=/bin\0KFJ_TASK_NAME=fit\0KFJ_RUN_ID=run-7-abc\0CUBIST_ENGINE=/d\0HOME=/x\0";
        let expected = Tags {
            run_id: Some("run-7-abc".into()),
            task: Some("fit".into()),
            engine: Some("/d".into()),
            shell: false,
        };
        assert_eq!(tags(env), expected);
        assert!(tags(b"CUBIST_DEBUG_SHELL=1\0").shell);
        assert_eq!(tags(b"garbage\0=\0"), Tags::default());
    }

    #[test]
    fn reads_the_group_past_a_command_name_with_parentheses() {
        assert_eq!(group_and_session("42 (a) b) S 1 4242 4200 0"), Some((4242, 4200)));
        assert_eq!(group_and_session("42 (init) S 0 1 1"), None);
        assert_eq!(group_and_session("garbage"), None);
    }

    #[test]
    fn finds_a_child_process_by_its_environment() {
        use std::os::unix::process::CommandExt;
        let run_id = format!("run-orphan-test-{}", std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env("KFJ_RUN_ID", &run_id)
            .env("KFJ_TASK_NAME", "sleeper")
            .env(ENGINE_VAR, "/srv/one")
            .process_group(0)
            .spawn()
            .expect("sleep runs");
        // A process's environment shows in /proc only once the kernel has finished loading
        // its program, a moment after `spawn` returns on a busy machine.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut found = find("/srv/one", &HashSet::from([run_id.as_str()]));
        while found.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            found = find("/srv/one", &HashSet::from([run_id.as_str()]));
        }
        let other_server = find("/srv/two", &HashSet::from([run_id.as_str()]));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].task, "sleeper");
        assert!(other_server.is_empty(), "another server's process is never found");
        assert!(find("/srv/one", &HashSet::from(["run-nobody"])).is_empty());
    }
}
