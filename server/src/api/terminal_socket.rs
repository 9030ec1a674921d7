//! Carries a debug shell's terminal over a WebSocket: binary frames are bytes both ways,
//! text frames from the browser are control messages (resize). When the shell ends, the
//! socket is closed with its exit status; when the socket goes, the shell and its jobs end.

use app::model::{TERMINAL_CLOSE_EXITED, TerminalControl, terminal_size};
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use pty_process::{OwnedReadPty, OwnedWritePty, Size};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::domain::debug_shells::OpenShell;
use crate::engine::terminal;

/// Longest wait for the last output once the shell has exited.
const DRAIN: std::time::Duration = std::time::Duration::from_millis(300);

/// Why the terminal ended.
enum Ended {
    BrowserLeft,
    ShellExited,
}

/// Serves the terminal until either side goes.
pub async fn serve(socket: WebSocket, open: OpenShell) {
    let OpenShell { shell, place } = open;
    let terminal::Shell { pty, mut child, session } = shell;
    let (mut output, input) = pty.into_split();
    let (mut sink, mut stream) = socket.split();
    let ended = tokio::select! {
        () = keystrokes(&mut stream, input) => Ended::BrowserLeft,
        () = screen(&mut output, &mut sink) => Ended::ShellExited,
        _ = child.wait() => Ended::ShellExited,
    };
    match ended {
        Ended::BrowserLeft => {
            terminal::end(&mut child, session).await;
        }
        Ended::ShellExited => {
            let _ = tokio::time::timeout(DRAIN, screen(&mut output, &mut sink)).await;
            let code = terminal::end(&mut child, session).await;
            let reason = code.map_or_else(|| "ended by a signal".to_owned(), |code| format!("exit {code}"));
            let frame = CloseFrame { code: TERMINAL_CLOSE_EXITED, reason: reason.into() };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
    }
    tracing::info!(session, "debug shell closed");
    drop(place);
}

/// Copies the browser's keystrokes into the terminal and applies its resizes; returns when
/// the browser closes the socket.
async fn keystrokes(stream: &mut SplitStream<WebSocket>, mut input: OwnedWritePty) {
    while let Some(Ok(message)) = stream.next().await {
        match message {
            Message::Binary(bytes) => {
                if input.write_all(&bytes).await.is_err() {
                    return std::future::pending().await;
                }
            }
            Message::Text(text) => {
                if let Ok(TerminalControl::Resize { cols, rows }) = serde_json::from_str(&text) {
                    let (cols, rows) = terminal_size(cols, rows);
                    let _ = input.resize(Size::new(rows, cols));
                }
            }
            Message::Close(_) => return,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

/// Copies the terminal's output to the browser; returns when the terminal closes (the shell
/// and everything holding it are gone) or the browser cannot be written to.
async fn screen(output: &mut OwnedReadPty, sink: &mut SplitSink<WebSocket, Message>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match output.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if sink.send(Message::Binary(Bytes::copy_from_slice(&buf[..n]))).await.is_err() {
                    return;
                }
            }
        }
    }
}
