//! State writes of the engines, batched: events queue up while a transaction commits and
//! the next transaction writes all of them, so hundreds of quick tasks cost a handful of
//! commits instead of one each. Nothing polls: the engine sends, the writer drains.

use tokio::sync::{mpsc, oneshot};

use crate::db::runs::{self as rows, RunChanges, TaskChanges};
use crate::db::{Db, DbError};
use crate::transaction;

/// Tries per batch before it is given up (a locked or lost database recovers meanwhile).
const WRITE_TRIES: u32 = 6;

/// One change to record.
pub enum Event {
    Run {
        pk: i64,
        changes: RunChanges,
    },
    Task {
        run_pk: i64,
        name: String,
        changes: TaskChanges,
    },
    /// Answered once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
}

/// The sending side, cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Event>,
}

impl Writer {
    /// Starts the writer task.
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(db, rx));
        Self { tx }
    }

    pub fn run(&self, pk: i64, changes: RunChanges) {
        let _ = self.tx.send(Event::Run { pk, changes });
    }

    pub fn task(&self, run_pk: i64, name: &str, changes: TaskChanges) {
        let _ = self.tx.send(Event::Task { run_pk, name: name.to_owned(), changes });
    }

    /// Waits until everything sent so far is in the database.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Event::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write_batch(db: &Db, batch: &[Event]) -> Result<(), DbError> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        for event in batch {
            match event {
                Event::Run { pk, changes } => rows::update_run(tx, *pk, changes).await?,
                Event::Task { run_pk, name, changes } => rows::update_task(tx, *run_pk, name, changes).await?,
                Event::Flush(_) => {}
            }
        }
        Ok::<_, DbError>(())
    })
}

async fn write_loop(db: Db, mut rx: mpsc::UnboundedReceiver<Event>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(next) = rx.try_recv() {
            batch.push(next);
        }
        let mut tries = 0;
        while let Err(e) = write_batch(&db, &batch).await {
            tries += 1;
            if tries == WRITE_TRIES {
                tracing::error!(error = %e, events = batch.len(), "could not record run states");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100 << tries)).await;
        }
        for event in batch {
            if let Event::Flush(done) = event {
                let _ = done.send(());
            }
        }
    }
}
