//! One long-lived thread starts every task and shell process. Bubblewrap ties a sandbox's
//! life to the thread that started it (`--die-with-parent` is a parent-death signal, sent
//! when that *thread* ends), so sandboxes must not be started from pool threads that come
//! and go; and a sandbox whose server is gone dies with it.

use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel};

type Job = Box<dyn FnOnce() + Send>;

fn spawner() -> &'static Sender<Job> {
    static SPAWNER: OnceLock<Sender<Job>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (jobs, queue) = channel::<Job>();
        let started = std::thread::Builder::new().name("cubist-spawner".into()).spawn(move || {
            for job in queue {
                // A failing start must not end the thread (and with it every sandbox).
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        });
        if let Err(e) = started {
            tracing::error!(error = %e, "could not start the process-starting thread");
        }
        jobs
    })
}

/// Runs `start` on the spawner thread (inside the caller's Tokio runtime, so it may create
/// Tokio child processes) and returns its result.
pub async fn on_spawner<R: Send + 'static>(start: impl FnOnce() -> R + Send + 'static) -> std::io::Result<R> {
    let (done, result) = tokio::sync::oneshot::channel();
    let runtime = tokio::runtime::Handle::current();
    let job: Job = Box::new(move || {
        let _entered = runtime.enter();
        let _ = done.send(start());
    });
    spawner().send(job).map_err(|_| std::io::Error::other("the process-starting thread is gone"))?;
    result.await.map_err(|_| std::io::Error::other("starting the process failed"))
}
