//! Copies the output of a run's pods into the run's log files while they run, and offers it
//! live to followers of the task, as the local engine does with its processes. A running
//! attempt is followed; once it has ended its whole output is read once more and what had
//! not arrived is kept (a followed stream may end early or never). A pod whose output
//! cannot be read leaves a line saying why in the attempt's log.

use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;
use std::time::Duration;

use cubist_kube::{Client, pod_logs};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::io::AsyncWriteExt;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use super::ClusterInner;
use crate::engine::process::LogChunk;

/// One attempt whose pod started.
pub struct Copy {
    pub run_id: String,
    pub task: String,
    pub number: u32,
    pub node_id: String,
    pub namespace: String,
    pub workflow: String,
    /// Turns true when the attempt has ended.
    pub ended: watch::Receiver<bool>,
    /// The task's live output.
    pub live: broadcast::Sender<LogChunk>,
    /// A log already copied for this ended attempt stays as it is (after a restart).
    pub keep_existing: bool,
}

/// How long a followed stream may still deliver after its attempt ended before the rest is
/// read in one go instead (a kubelet may hold a followed stream open).
const DRAIN: Duration = Duration::from_millis(200);
/// Tries at listing a Workflow's pods.
const LIST_TRIES: u32 = 4;

/// Starts copying the output of these attempts (all of one run) as a task of `set`.
pub fn start_all(set: &mut JoinSet<()>, inner: Arc<ClusterInner>, client: Client, copies: Vec<Copy>) {
    let Some(first) = copies.first() else { return };
    let (namespace, workflow) = (first.namespace.clone(), first.workflow.clone());
    set.spawn(async move {
        let mut pods = pod_logs::pods_by_node(&client, &namespace, &workflow).await;
        for attempt in 1..LIST_TRIES {
            if pods.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
            pods = pod_logs::pods_by_node(&client, &namespace, &workflow).await;
        }
        let each = copies.into_iter().map(|copy| {
            let pod = match &pods {
                Ok(pods) => pods.get(&copy.node_id).cloned().ok_or_else(|| "its pod is gone".to_owned()),
                Err(e) => Err(format!("its pods could not be listed: {e}")),
            };
            copy_one(&inner, &client, copy, pod)
        });
        futures_util::future::join_all(each).await;
    });
}

/// Where an attempt's output goes: its log file and its live followers.
struct Sink {
    file: tokio::fs::File,
    live: broadcast::Sender<LogChunk>,
    attempt: u32,
    offset: u64,
}

impl Sink {
    async fn write(&mut self, data: Vec<u8>) -> std::io::Result<()> {
        let written = self.file.write_all(&data).await;
        let len = data.len() as u64;
        let _ = self.live.send(LogChunk { attempt: self.attempt, offset: self.offset, data: data.into() });
        self.offset += len;
        written
    }
}

/// Opens an attempt's log file afresh (only the server may read it).
async fn open_log(path: &std::path::Path) -> std::io::Result<tokio::fs::File> {
    if let Some(dir) = path.parent() {
        let dir = dir.to_owned();
        tokio::task::spawn_blocking(move || std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir))
            .await
            .map_err(std::io::Error::other)??;
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true).mode(0o600);
    options.open(path).await
}

async fn copy_one(inner: &ClusterInner, client: &Client, copy: Copy, pod: Result<String, String>) {
    let path = inner.files.attempt_log(&copy.run_id, &copy.task, copy.number);
    if copy.keep_existing && tokio::fs::metadata(&path).await.is_ok_and(|m| m.len() > 0) {
        return;
    }
    let file = match open_log(&path).await {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot write a pod's output");
            return;
        }
    };
    let mut sink = Sink { file, live: copy.live.clone(), attempt: copy.number, offset: 0 };
    let outcome = match pod {
        Ok(pod) => copy_pod(client, &copy, &pod, &mut sink).await,
        Err(e) => Err(e),
    };
    if let Err(e) = outcome {
        let _ = sink.write(format!("[the pod's output could not be read: {e}]\n").into_bytes()).await;
    }
    let _ = sink.file.flush().await;
}

/// Follows a running attempt's output; once the attempt has ended, reads the whole output
/// and keeps what had not arrived.
async fn copy_pod(client: &Client, copy: &Copy, pod: &str, sink: &mut Sink) -> Result<(), String> {
    if !*copy.ended.borrow() {
        match pod_logs::output(client, &copy.namespace, pod, true).await {
            Ok(output) => {
                if let Err(e) = pump(output, Some(copy.ended.clone()), sink).await {
                    tracing::debug!(pod, error = %e, "a followed pod's output broke off; it is read again at its end");
                }
            }
            Err(e) => tracing::debug!(pod, error = %e, "cannot follow a pod's output; it is read at its end"),
        }
        // Its end (or the run's: then the switch is gone).
        let _ = copy.ended.clone().wait_for(|e| *e).await;
    }
    let output = pod_logs::output(client, &copy.namespace, pod, false).await.map_err(|e| e.to_string())?;
    let mut skip = sink.offset;
    let rest = output.map(move |chunk| {
        chunk.map(|mut data| {
            let cut = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
            skip -= cut as u64;
            data.drain(..cut);
            data
        })
    });
    pump(rest.boxed(), None, sink).await
}

/// Writes the output until it ends, or (given the attempt's end signal) until [`DRAIN`]
/// after the attempt ended.
async fn pump(
    mut output: BoxStream<'static, std::io::Result<Vec<u8>>>,
    ended: Option<watch::Receiver<bool>>,
    sink: &mut Sink,
) -> Result<(), String> {
    let deadline = async move {
        match ended {
            Some(mut ended) => {
                let _ = ended.wait_for(|e| *e).await;
                tokio::time::sleep(DRAIN).await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    loop {
        let chunk = tokio::select! {
            chunk = output.next() => chunk,
            () = &mut deadline => return Ok(()),
        };
        match chunk {
            None => return Ok(()),
            Some(Ok(data)) if data.is_empty() => {}
            Some(Ok(data)) => sink.write(data).await.map_err(|e| format!("cannot write the log: {e}"))?,
            Some(Err(e)) => return Err(format!("reading it broke off: {e}")),
        }
    }
}
