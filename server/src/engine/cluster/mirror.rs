//! What a new cluster state of a run changes in its records: only the run and the tasks that
//! changed since the last state, so a status change costs a write of what changed and not a
//! rewrite of every task.

use app::model::{Attempt, RunStatus};
use chrono::{DateTime, Utc};
use cubist_kube::run_state::{AttemptState, RunState, TaskState};

use crate::db::runs::{RunChanges, TaskChanges};

fn naive(time: Option<DateTime<Utc>>) -> Option<chrono::NaiveDateTime> {
    time.map(|t| t.naive_utc())
}

/// The ended attempts of a task as the run page shows them (as with the local engine, a
/// running attempt is the one after them).
pub fn attempts(states: &[AttemptState]) -> Vec<Attempt> {
    states
        .iter()
        .zip(1u32..)
        .filter(|(state, _)| !state.status.is_active())
        .map(|(state, number)| {
            let started_at = state.started_at.unwrap_or_else(Utc::now);
            let wall = state.finished_at.map(|end| (end - started_at).num_milliseconds());
            Attempt {
                number,
                started_at,
                exit_code: state.exit_code,
                message: state.message.clone(),
                wall_ms: wall.and_then(|ms| u64::try_from(ms).ok()).unwrap_or(0),
                cpu_ms: None,
                max_rss_kb: None,
            }
        })
        .collect()
}

fn task_changes(state: &TaskState) -> TaskChanges {
    TaskChanges {
        status: Some(state.status.as_str().into()),
        message: Some(state.message.clone()),
        pid: None,
        started_at: Some(naive(state.started_at)),
        finished_at: Some(naive(state.finished_at)),
        attempts: Some(serde_json::to_string(&attempts(&state.attempts)).unwrap_or_else(|_| "[]".into())),
    }
}

/// The writes that bring the records from `last` (nothing yet: `None`) to `now`; the run's
/// own change is `None` when only tasks changed. A finished run's status is left out: it
/// is written once the output of its pods is copied.
pub fn changes(last: Option<&RunState>, now: &RunState) -> (Option<RunChanges>, Vec<(String, TaskChanges)>) {
    let tasks = now
        .tasks
        .iter()
        .filter(|task| last.and_then(|l| l.tasks.iter().find(|t| t.name == task.name)) != Some(*task))
        .map(|task| (task.name.clone(), task_changes(task)))
        .collect();
    let run_moved =
        last.is_none_or(|l| (l.status, l.started_at, &l.message) != (now.status, now.started_at, &now.message));
    let run = (run_moved && now.status.is_active()).then(|| RunChanges {
        status: Some(now.status.as_str().into()),
        message: Some(now.message.clone()),
        started_at: Some(naive(now.started_at)),
        finished_at: None,
    });
    (run, tasks)
}

/// The write that records a run's end.
pub fn ended(now: &RunState) -> RunChanges {
    let message = match now.status {
        RunStatus::Failed => {
            let failed: Vec<&str> =
                now.tasks.iter().filter(|t| t.status == RunStatus::Failed).map(|t| t.name.as_str()).collect();
            if failed.is_empty() { now.message.clone() } else { format!("failed: {}", failed.join(", ")) }
        }
        _ => now.message.clone(),
    };
    RunChanges {
        status: Some(now.status.as_str().into()),
        message: Some(message),
        started_at: Some(naive(now.started_at)),
        finished_at: Some(naive(now.finished_at).or_else(|| Some(crate::db::now()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: u32) -> Option<DateTime<Utc>> {
        Some(chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 2, 3, 0, second).unwrap())
    }

    fn task(name: &str, status: RunStatus, pods: usize) -> TaskState {
        let attempt = |i: usize| AttemptState {
            node_id: format!("{name}-{i}"),
            status,
            started_at: at(1),
            finished_at: (status != RunStatus::Running).then(|| at(4)).flatten(),
            exit_code: (status == RunStatus::Failed).then_some(3),
            message: String::new(),
        };
        TaskState {
            name: name.into(),
            status,
            started_at: at(1),
            finished_at: None,
            message: String::new(),
            attempts: (0..pods).map(attempt).collect(),
        }
    }

    fn run(status: RunStatus, tasks: Vec<TaskState>) -> RunState {
        RunState { status, started_at: at(0), finished_at: None, message: String::new(), tasks }
    }

    #[test]
    fn only_what_changed_is_written() {
        let first = run(RunStatus::Running, vec![task("a", RunStatus::Running, 1), task("b", RunStatus::Pending, 0)]);
        let (whole, tasks) = changes(None, &first);
        assert!(whole.is_some());
        assert_eq!(tasks.len(), 2, "a first state writes every task");
        let (same, none) = changes(Some(&first), &first);
        assert!(same.is_none() && none.is_empty(), "an unchanged state writes nothing");
        let next = run(RunStatus::Running, vec![task("a", RunStatus::Succeeded, 1), task("b", RunStatus::Pending, 0)]);
        let (whole, tasks) = changes(Some(&first), &next);
        assert!(whole.is_none(), "the run itself did not change");
        assert_eq!(tasks.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(tasks[0].1.status.as_deref(), Some("succeeded"));
    }

    #[test]
    fn a_finished_run_is_written_by_its_end_only() {
        let first = run(RunStatus::Running, vec![task("a", RunStatus::Running, 1)]);
        let done = run(RunStatus::Failed, vec![task("a", RunStatus::Failed, 2)]);
        let (whole, tasks) = changes(Some(&first), &done);
        assert!(whole.is_none(), "the end waits for the output to be copied");
        assert_eq!(tasks.len(), 1);
        let end = ended(&done);
        assert_eq!(end.status.as_deref(), Some("failed"));
        assert_eq!(end.message.as_deref(), Some("failed: a"));
        assert!(end.finished_at.flatten().is_some());
    }

    #[test]
    fn attempts_are_numbered_with_their_exit_codes_and_times() {
        let got = attempts(&task("a", RunStatus::Failed, 2).attempts);
        assert_eq!(
            got.iter().map(|a| (a.number, a.exit_code, a.wall_ms)).collect::<Vec<_>>(),
            [(1, Some(3), 3000), (2, Some(3), 3000)]
        );
        let mut retrying = task("a", RunStatus::Failed, 2);
        retrying.attempts[1].status = RunStatus::Running;
        let got: Vec<u32> = attempts(&retrying.attempts).iter().map(|a| a.number).collect();
        assert_eq!(got, [1], "the running attempt is not listed yet");
    }
}
