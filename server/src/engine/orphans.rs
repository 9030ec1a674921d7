//! Finds the processes a previous server process left behind. Their run and task are read
//! from each process's own environment (`KFJ_RUN_ID`, `KFJ_TASK_NAME`), so a task that
//! started just before a crash is found even when its start was never recorded, and a
//! reused process id of an unrelated program is never touched.

use std::collections::HashSet;

/// A leftover task process: its process group, run and task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub group: i64,
    pub run_id: String,
    pub task: String,
}

/// Every process of this user whose environment names one of `run_ids`.
pub fn find(run_ids: &HashSet<&str>) -> Vec<Orphan> {
    if run_ids.is_empty() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i64>().ok())
        .filter_map(|pid| {
            let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
            let (run_id, task) = run_and_task(&env)?;
            if !run_ids.contains(run_id.as_str()) {
                return None;
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some(Orphan { group: process_group(&stat)?, run_id, task })
        })
        .collect()
}

/// The run id and task name in a NUL-separated environment block.
fn run_and_task(env: &[u8]) -> Option<(String, String)> {
    let mut run_id = None;
    let mut task = None;
    for var in env.split(|b| *b == 0) {
        if let Some(value) = var.strip_prefix(b"KFJ_RUN_ID=") {
            run_id = Some(String::from_utf8_lossy(value).into_owned());
        } else if let Some(value) = var.strip_prefix(b"KFJ_TASK_NAME=") {
            task = Some(String::from_utf8_lossy(value).into_owned());
        }
    }
    Some((run_id?, task?))
}

/// The process group in a `/proc/<pid>/stat` line (the fifth field; the command name in
/// parentheses may itself hold spaces and parentheses).
fn process_group(stat: &str) -> Option<i64> {
    let rest = stat.rsplit_once(") ")?.1;
    rest.split_whitespace().nth(2)?.parse().ok().filter(|group| *group > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_run_and_task_from_an_environment_block() {
        let env = b"PATH=/bin\0KFJ_TASK_NAME=fit\0KFJ_RUN_ID=run-7-abc\0HOME=/x\0";
        assert_eq!(run_and_task(env), Some(("run-7-abc".into(), "fit".into())));
        assert_eq!(run_and_task(b"PATH=/bin\0KFJ_RUN_ID=r\0"), None);
    }

    #[test]
    fn reads_the_group_past_a_command_name_with_parentheses() {
        assert_eq!(process_group("42 (a) b) S 1 4242 4242 0"), Some(4242));
        assert_eq!(process_group("42 (init) S 0 1 1"), None);
        assert_eq!(process_group("garbage"), None);
    }

    #[test]
    fn finds_a_child_process_by_its_environment() {
        let run_id = format!("run-orphan-test-{}", std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env("KFJ_RUN_ID", &run_id)
            .env("KFJ_TASK_NAME", "sleeper")
            .spawn()
            .expect("sleep runs");
        let found = find(&HashSet::from([run_id.as_str()]));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].task, "sleeper");
        assert!(find(&HashSet::from(["run-nobody"])).is_empty());
    }
}
