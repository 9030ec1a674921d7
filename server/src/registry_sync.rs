//! Keeps registry pull Secrets where they belong: each repository's Secret in every
//! pipeline namespace of every Kubernetes cluster (the namespaces of the org projects on
//! it), and gone from them once the repository is deleted or its Secret renamed. Saving a
//! repository records what is wanted in the same transaction; this worker does it right
//! after, and tries failed clusters again every minute, so a cluster that is down shows as
//! `failed` with the reason until it is back, instead of being skipped.

use std::sync::Arc;
use std::time::Duration;

use app::model::SecretSyncState;
use cubist_kube::clusters::Clusters;
use cubist_kube::registry_secrets::{self, RegistryAccount};
use tokio::sync::Notify;

use crate::crypto::SecretBox;
use crate::db::registry_syncs::{self as syncs, SyncRow};
use crate::db::{self, Db, DbError};

/// How often failed syncs are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(60);
/// How long one cluster may take to answer for one Secret.
const CLUSTER_LIMIT: Duration = Duration::from_secs(30);

/// Wakes the worker.
#[derive(Clone)]
pub struct RegistrySync {
    wake: Arc<Notify>,
}

impl RegistrySync {
    /// Starts the worker; `names` are the Kubernetes clusters Secrets go to (a repository
    /// saved before a cluster was added gets its Secret there too).
    pub fn start(db: Db, secrets: SecretBox, clusters: Arc<Clusters>, names: Vec<String>) -> Self {
        let wake = Arc::new(Notify::new());
        let wake_for_worker = wake.clone();
        tokio::spawn(async move {
            let ensured = async {
                let mut conn = db.write().await?;
                syncs::ensure(&mut conn.tx(), &names, db::now()).await
            };
            if let Err(e) = ensured.await {
                tracing::warn!(error = %e, "could not plan registry pull secrets for new clusters");
            }
            work(db, secrets, clusters, wake_for_worker).await;
        });
        Self { wake }
    }

    /// Asks for a pass now (what was saved is committed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

async fn work(db: Db, secrets: SecretBox, clusters: Arc<Clusters>, wake: Arc<Notify>) {
    loop {
        if let Err(e) = pass(&db, &secrets, &clusters).await {
            tracing::warn!(error = %e, "could not sync registry pull secrets");
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(RETRY_EVERY) => {}
        }
    }
}

/// Does every sync that is due, one after the other.
async fn pass(db: &Db, secrets: &SecretBox, clusters: &Clusters) -> Result<(), DbError> {
    let due = syncs::due(&mut db.read().await?.tx()).await?;
    for row in due {
        let outcome = match clusters.client(&row.cluster) {
            None => Err(format!("the cluster '{}' cannot be reached: it has no usable kubeconfig", row.cluster)),
            Some(client) => {
                let namespaces = syncs::pipeline_namespaces(&mut db.read().await?.tx(), &row.cluster).await?;
                match account_of(db, secrets, &row).await? {
                    Err(e) => Err(e),
                    Ok(account) => {
                        let done = async {
                            match &account {
                                Some(account) => registry_secrets::apply(client, &namespaces, &account.borrow()).await,
                                None => registry_secrets::remove(client, &namespaces, &row.secret_name).await,
                            }
                        };
                        match tokio::time::timeout(CLUSTER_LIMIT, done).await {
                            Err(_) => Err(format!("no answer within {} s", CLUSTER_LIMIT.as_secs())),
                            Ok(outcomes) => summary(&outcomes),
                        }
                    }
                }
            }
        };
        let mut conn = db.write().await?;
        let mut tx = conn.tx();
        match (outcome, row.repository_id) {
            (Ok(_), None) => syncs::forget(&mut tx, &row).await?,
            (Ok(message), Some(_)) => {
                syncs::settle(&mut tx, &row, SecretSyncState::Applied, &message, db::now()).await?
            }
            (Err(message), _) => syncs::settle(&mut tx, &row, SecretSyncState::Failed, &message, db::now()).await?,
        }
    }
    Ok(())
}

/// A repository's account with its password opened.
struct Account {
    secret_name: String,
    server: String,
    username: String,
    password: String,
}

impl Account {
    fn borrow(&self) -> RegistryAccount<'_> {
        RegistryAccount {
            secret_name: &self.secret_name,
            server: &self.server,
            username: &self.username,
            password: &self.password,
        }
    }
}

/// The account a sync writes; `None` when the Secret is to be removed (or its repository
/// is gone); an error when its password cannot be opened.
async fn account_of(db: &Db, secrets: &SecretBox, row: &SyncRow) -> Result<Result<Option<Account>, String>, DbError> {
    let Some(id) = row.repository_id else { return Ok(Ok(None)) };
    let Some(repo) = db::registry::repository(&mut db.read().await?.tx(), id).await? else { return Ok(Ok(None)) };
    let Some(password) = secrets.open(&repo.password_enc) else {
        return Ok(Err("the stored password cannot be opened with this server's key".into()));
    };
    let account =
        Account { secret_name: row.secret_name.clone(), server: repo.server, username: repo.username, password };
    Ok(Ok(Some(account)))
}

/// `Ok` with how many namespaces were done, or `Err` naming each namespace that failed.
fn summary<E: std::fmt::Display>(outcomes: &[(String, Result<(), E>)]) -> Result<String, String> {
    let failed: Vec<String> =
        outcomes.iter().filter_map(|(ns, r)| r.as_ref().err().map(|e| format!("{ns}: {e}"))).collect();
    if failed.is_empty() { Ok(format!("{} namespaces", outcomes.len())) } else { Err(failed.join("; ")) }
}
