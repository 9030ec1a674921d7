//! A debug shell's terminal, whichever engine runs it: a shell on this server's pseudo
//! terminal (the local engine), or one in a task's debug pod through the cluster's exec. The
//! WebSocket terminal reads, writes, resizes and ends either the same way.

use std::pin::Pin;
use std::time::Duration;

use cubist_kube::debug_pods::{PodShell, PodShellEnd, PodTerminalSize};
use pty_process::{OwnedWritePty, Size};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::terminal::{self, Shell};

/// How long the end of a pod's shell waits for the cluster to report its exit code.
const EXIT_WAIT: Duration = Duration::from_secs(5);

/// An open debug shell.
pub enum ShellProcess {
    Host(Shell),
    Pod(PodShell),
}

/// What the user types, and the terminal's size.
pub enum ShellInput {
    Pty(OwnedWritePty),
    Pod(Pin<Box<dyn AsyncWrite + Send>>, PodTerminalSize),
}

/// The shell itself: waiting for its exit, and ending it.
pub enum ShellLife {
    Host { child: Box<tokio::process::Child>, session: i64, group: Option<super::sandbox::cgroup::Group> },
    Pod(PodShellEnd),
}

/// A shell taken apart: its screen, its keyboard and its life.
pub struct ShellParts {
    pub output: Pin<Box<dyn AsyncRead + Send>>,
    pub input: ShellInput,
    pub life: ShellLife,
}

impl ShellProcess {
    pub fn into_parts(self) -> ShellParts {
        match self {
            Self::Host(Shell { pty, child, session, group }) => {
                let (output, input) = pty.into_split();
                ShellParts {
                    output: Box::pin(output),
                    input: ShellInput::Pty(input),
                    life: ShellLife::Host { child: Box::new(child), session, group },
                }
            }
            Self::Pod(PodShell { output, input, size, end }) => {
                ShellParts { output, input: ShellInput::Pod(input, size), life: ShellLife::Pod(end) }
            }
        }
    }
}

impl ShellInput {
    pub async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Pty(pty) => pty.write_all(bytes).await,
            Self::Pod(stdin, _) => {
                stdin.write_all(bytes).await?;
                stdin.flush().await
            }
        }
    }

    pub async fn resize(&mut self, cols: u16, rows: u16) {
        match self {
            Self::Pty(pty) => {
                let _ = pty.resize(Size::new(rows, cols));
            }
            Self::Pod(_, size) => size.resize(cols, rows).await,
        }
    }
}

impl ShellLife {
    /// Returns once the shell has exited.
    pub async fn exited(&mut self) {
        match self {
            Self::Host { child, .. } => {
                let _ = child.wait().await;
            }
            Self::Pod(end) => {
                end.exited().await;
            }
        }
    }

    /// Ends the shell and everything it started, if it still runs; how it ended (`exit N`).
    pub async fn end(self) -> String {
        let (code, otherwise) = match self {
            Self::Host { mut child, session, group } => {
                (terminal::end(&mut child, session, group).await, "ended by a signal")
            }
            Self::Pod(mut end) => {
                end.stop();
                let code = tokio::time::timeout(EXIT_WAIT, end.exited()).await.ok().flatten();
                (code, "ended (the cluster reported no exit code)")
            }
        };
        code.map_or_else(|| otherwise.to_owned(), |code| format!("exit {code}"))
    }
}
