//! A task's output as Server-Sent Events: what was written so far, then every new chunk as
//! the engine broadcasts it (an `attempt` event announces a retry, output already sent is
//! never repeated); the stream ends with the task. A task that has not started is waited
//! for, and followed from its first byte once it starts.

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};

use crate::domain::runs::{Follow, MoreOutput};
use crate::engine::process::LogChunk;

type Receiver = tokio::sync::broadcast::Receiver<LogChunk>;

/// Where the next chunk comes from: a task still to start, or its live output.
enum Source {
    Waiting(BoxFuture<'static, Option<(Receiver, Vec<u8>, u64)>>),
    Live(Receiver),
}

/// The event stream of a followed log.
pub fn events(follow: Follow) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    let first = (!follow.so_far.is_empty()).then(|| Event::default().data(String::from_utf8_lossy(&follow.so_far)));
    let source = follow.next.map(|next| match next {
        MoreOutput::Live(rx) => Source::Live(rx),
        MoreOutput::Waiting(waiting) => Source::Waiting(Box::pin(waiting.started())),
    });
    let live = futures_util::stream::unfold(
        (source, follow.attempt, follow.end),
        |(source, mut attempt, mut sent)| async move {
            let mut rx = match source? {
                Source::Live(rx) => rx,
                Source::Waiting(started) => {
                    let (rx, so_far, end) = started.await?;
                    if !so_far.is_empty() {
                        return Some((vec![text_event(&so_far)], (Some(Source::Live(rx)), attempt, end)));
                    }
                    rx
                }
            };
            loop {
                match rx.recv().await {
                    Ok(chunk) => {
                        let end = chunk.offset + chunk.data.len() as u64;
                        if chunk.attempt > attempt {
                            attempt = chunk.attempt;
                            sent = 0;
                            if chunk.offset > 0 {
                                continue;
                            }
                            let event = Event::default().event("attempt").data(attempt.to_string());
                            return Some((
                                vec![event, text_event(&chunk.data)],
                                (Some(Source::Live(rx)), attempt, end),
                            ));
                        }
                        if chunk.attempt < attempt || end <= sent {
                            continue;
                        }
                        let skip = usize::try_from(sent.saturating_sub(chunk.offset)).unwrap_or(0);
                        sent = end;
                        return Some((vec![text_event(&chunk.data[skip..])], (Some(Source::Live(rx)), attempt, sent)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    let events = futures_util::stream::iter(first).chain(live.flat_map(futures_util::stream::iter)).map(Ok);
    Sse::new(events).keep_alive(KeepAlive::default())
}

fn text_event(data: &[u8]) -> Event {
    Event::default().data(String::from_utf8_lossy(data))
}
