//! Carries a debug shell's terminal over a WebSocket: binary frames are bytes both ways,
//! text frames from the browser are control messages (resize). When the shell ends, the
//! socket is closed with its exit status; when the socket goes (closed, or silent through
//! two pings), the shell and its jobs end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app::model::{TERMINAL_CLOSE_EXITED, TerminalControl, terminal_size};
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::domain::debug_shells::OpenShell;
use crate::engine::shell_io::{ShellInput, ShellParts};

/// Longest wait for the last output once the shell has exited.
const DRAIN: Duration = Duration::from_millis(300);

/// How often the browser is pinged; a browser silent for two of these is gone.
const PING_EVERY: Duration = Duration::from_secs(30);

/// Largest message a browser may send (a paste): bigger ones end the session.
pub const MAX_MESSAGE: usize = 1 << 20;

/// Why the terminal ended.
enum Ended {
    BrowserLeft,
    ShellExited,
}

/// When the browser was last heard from, in milliseconds since the session began, and
/// whether its typing is waiting for the shell (a full terminal input buffer: while the
/// shell does not read, the socket is not read either, so pongs cannot be heard).
struct Heard {
    start: Instant,
    at: AtomicU64,
    delivering: AtomicBool,
}

impl Heard {
    fn new(start: Instant) -> Self {
        Self { start, at: AtomicU64::new(0), delivering: AtomicBool::new(false) }
    }

    fn now(&self) {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.at.store(elapsed, Ordering::Relaxed);
    }

    /// Marks typing as waiting for the shell, or delivered (which counts as hearing it).
    fn delivering(&self, waiting: bool) {
        self.delivering.store(waiting, Ordering::Relaxed);
        if !waiting {
            self.now();
        }
    }

    /// Whether the browser is gone: silent through two pings, and not waiting on the shell.
    fn gone(&self) -> bool {
        let silent = self.start.elapsed().saturating_sub(Duration::from_millis(self.at.load(Ordering::Relaxed)));
        silent > 2 * PING_EVERY && !self.delivering.load(Ordering::Relaxed)
    }
}

/// Serves the terminal until either side goes.
pub async fn serve(socket: WebSocket, open: OpenShell) {
    let OpenShell { shell, ticket } = open;
    let ShellParts { mut output, input, mut life } = shell.into_parts();
    let (mut sink, mut stream) = socket.split();
    let heard = Heard::new(Instant::now());
    let ended = tokio::select! {
        () = keystrokes(&mut stream, input, &heard) => Ended::BrowserLeft,
        ended = screen(&mut output, &mut sink, &heard) => ended,
        () = life.exited() => Ended::ShellExited,
    };
    match ended {
        Ended::BrowserLeft => {
            life.end().await;
        }
        Ended::ShellExited => {
            let _ = tokio::time::timeout(DRAIN, screen(&mut output, &mut sink, &heard)).await;
            let reason = life.end().await;
            let frame = CloseFrame { code: TERMINAL_CLOSE_EXITED, reason: reason.into() };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
    }
    tracing::info!("debug shell closed");
    drop(ticket);
}

/// Copies the browser's keystrokes into the terminal and applies its resizes; returns when
/// the browser closes the socket.
async fn keystrokes(stream: &mut SplitStream<WebSocket>, mut input: ShellInput, heard: &Heard) {
    while let Some(Ok(message)) = stream.next().await {
        heard.now();
        match message {
            Message::Binary(bytes) => {
                heard.delivering(true);
                let written = input.write_all(&bytes).await;
                heard.delivering(false);
                if written.is_err() {
                    return std::future::pending().await;
                }
            }
            Message::Text(text) => {
                if let Ok(TerminalControl::Resize { cols, rows }) = serde_json::from_str(&text) {
                    let (cols, rows) = terminal_size(cols, rows);
                    input.resize(cols, rows).await;
                }
            }
            Message::Close(_) => return,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

/// Copies the terminal's output to the browser and pings it; returns when the terminal
/// closes (the shell and everything holding it are gone) or the browser is gone.
async fn screen(
    output: &mut (impl AsyncRead + Unpin),
    sink: &mut SplitSink<WebSocket, Message>,
    heard: &Heard,
) -> Ended {
    let mut buf = vec![0u8; 16 * 1024];
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        let sent = tokio::select! {
            read = output.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Ended::ShellExited,
                Ok(n) => sink.send(Message::Binary(Bytes::copy_from_slice(&buf[..n]))).await,
            },
            _ = pings.tick() => {
                if heard.gone() {
                    return Ended::BrowserLeft;
                }
                sink.send(Message::Ping(Bytes::new())).await
            }
        };
        if sent.is_err() {
            return Ended::BrowserLeft;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_is_gone_after_two_silent_pings_unless_its_typing_waits_for_the_shell() {
        let Some(long_ago) = Instant::now().checked_sub(3 * PING_EVERY) else { return };
        let heard = Heard::new(long_ago);
        assert!(heard.gone(), "silent since the start");
        heard.delivering(true);
        assert!(!heard.gone(), "its keystrokes are still being delivered");
        heard.delivering(false);
        assert!(!heard.gone(), "delivered keystrokes count as hearing it");
        assert!(!Heard::new(Instant::now()).gone());
    }
}
