//! Debug shells of single tasks: what a shell would be opened with, and the control
//! messages a browser terminal sends beside its keystrokes.

use serde::{Deserialize, Serialize};

/// The shell `GET /api/v1/tasks/{id}/debug` opens when asked to upgrade to a WebSocket
/// (asked without the upgrade, the route answers with this description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DebugShell {
    /// The single-task run id the shell carries (`run-<pipeline id>-<task id>`); clearing
    /// the task ends the shell.
    pub run_id: String,
    pub task: String,
    /// Program of the shell.
    pub shell: String,
    /// Working directory the shell starts in.
    pub workdir: String,
    /// Where the shell runs: `host` for the local engine, `pod <namespace>/<pod> on <cluster>`
    /// for a task of a project on a Kubernetes cluster.
    pub location: String,
}

/// A text frame from the terminal; binary frames carry keystrokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TerminalControl {
    /// The terminal's size changed.
    Resize { cols: u16, rows: u16 },
}

/// Close code of a shell that ended by itself; the reason says how (`exit 0`).
pub const TERMINAL_CLOSE_EXITED: u16 = 4000;

/// A terminal size within what a pseudo-terminal accepts.
pub fn terminal_size(cols: u16, rows: u16) -> (u16, u16) {
    (cols.clamp(2, 1000), rows.clamp(1, 500))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_messages_have_a_stable_shape() {
        let text = r#"{"type":"resize","cols":120,"rows":40}"#;
        assert_eq!(
            serde_json::from_str::<TerminalControl>(text).ok(),
            Some(TerminalControl::Resize { cols: 120, rows: 40 })
        );
        assert!(serde_json::from_str::<TerminalControl>(r#"{"type":"resize","cols":-1,"rows":4}"#).is_err());
    }

    #[test]
    fn sizes_are_kept_in_range() {
        assert_eq!(terminal_size(0, 0), (2, 1));
        assert_eq!(terminal_size(80, 24), (80, 24));
        assert_eq!(terminal_size(u16::MAX, u16::MAX), (1000, 500));
    }
}
