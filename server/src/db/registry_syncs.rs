//! Queries on `registry_secret_syncs`: where each registry pull Secret must be (or must go)
//! on each cluster, and how the last attempt went.

use app::domain::project_expand::OrgExpand;
use app::model::{ProjectKind, SecretSyncState};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::schema::{projects, registry_secret_syncs as syncs};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = syncs)]
pub struct SyncRow {
    pub id: i64,
    pub secret_name: String,
    pub cluster: String,
    /// The repository whose Secret it is; `None`: the Secret is to be removed.
    pub repository_id: Option<i64>,
    pub state: String,
    pub message: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = syncs)]
struct NewSync<'a> {
    secret_name: &'a str,
    cluster: &'a str,
    repository_id: Option<i64>,
    state: &'static str,
    message: &'static str,
    updated_at: NaiveDateTime,
}

impl<'a> NewSync<'a> {
    /// The repository's Secret wanted on `cluster`, to be written.
    fn pending(secret_name: &'a str, cluster: &'a str, repository: i64, now: NaiveDateTime) -> Self {
        let state = SecretSyncState::Pending.as_str();
        Self { secret_name, cluster, repository_id: Some(repository), state, message: "", updated_at: now }
    }
}

/// The repository's Secret named `secret_name` is wanted on each of `clusters` (again).
pub async fn want(
    tx: &mut Tx<'_>,
    repository: i64,
    secret_name: &str,
    clusters: &[String],
    now: NaiveDateTime,
) -> Result<(), DbError> {
    // One statement per cluster (a handful): SQLite takes no batch upsert.
    for cluster in clusters {
        let row = NewSync::pending(secret_name, cluster, repository, now);
        with_tx!(tx, |c| diesel::insert_into(syncs::table)
            .values(&row)
            .on_conflict((syncs::secret_name, syncs::cluster))
            .do_update()
            .set((
                syncs::repository_id.eq(excluded(syncs::repository_id)),
                syncs::state.eq(excluded(syncs::state)),
                syncs::message.eq(excluded(syncs::message)),
                syncs::updated_at.eq(excluded(syncs::updated_at)),
            ))
            .execute(c)
            .await)?;
    }
    Ok(())
}

/// Every repository's Secret is wanted on each of `clusters` where nothing is recorded for
/// it yet (clusters added to the configuration since).
pub async fn ensure(tx: &mut Tx<'_>, clusters: &[String], now: NaiveDateTime) -> Result<(), DbError> {
    for (repository, secret_name) in super::registry::hubsecrets(tx).await? {
        for cluster in clusters {
            let row = NewSync::pending(&secret_name, cluster, repository, now);
            with_tx!(tx, |c| diesel::insert_into(syncs::table)
                .values(&row)
                .on_conflict((syncs::secret_name, syncs::cluster))
                .do_nothing()
                .execute(c)
                .await)?;
        }
    }
    Ok(())
}

/// The repository's Secrets other than `keep` are to be removed (it was renamed or deleted).
pub async fn release(tx: &mut Tx<'_>, repository: i64, keep: Option<&str>, now: NaiveDateTime) -> Result<(), DbError> {
    let keep = keep.unwrap_or_default().to_owned();
    with_tx!(tx, |c| diesel::update(
        syncs::table.filter(syncs::repository_id.eq(repository)).filter(syncs::secret_name.ne(keep))
    )
    .set((
        syncs::repository_id.eq(None::<i64>),
        syncs::state.eq(SecretSyncState::Pending.as_str()),
        syncs::message.eq(""),
        syncs::updated_at.eq(now),
    ))
    .execute(c)
    .await)?;
    Ok(())
}

/// Every sync of `cluster` is to be done again (its namespaces changed).
pub async fn redo_cluster(tx: &mut Tx<'_>, cluster: &str, now: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(syncs::table.filter(syncs::cluster.eq(cluster)))
        .set((syncs::state.eq(SecretSyncState::Pending.as_str()), syncs::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(())
}

/// Syncs still to do: pending, and failed ones (tried again).
pub async fn due(tx: &mut Tx<'_>) -> Result<Vec<SyncRow>, DbError> {
    let open = [SecretSyncState::Pending.as_str(), SecretSyncState::Failed.as_str()];
    Ok(with_tx!(tx, |c| syncs::table
        .filter(syncs::state.eq_any(open))
        .order(syncs::id.asc())
        .select(SyncRow::as_select())
        .load(c)
        .await)?)
}

/// Records how a sync went, unless it was changed meanwhile (then it is due again anyway).
pub async fn settle(
    tx: &mut Tx<'_>,
    row: &SyncRow,
    state: SecretSyncState,
    message: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let same = syncs::table.filter(syncs::id.eq(row.id)).filter(syncs::updated_at.eq(row.updated_at));
    with_tx!(tx, |c| diesel::update(same)
        .set((syncs::state.eq(state.as_str()), syncs::message.eq(message), syncs::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(())
}

/// Forgets a removal that is done, unless it was changed meanwhile.
pub async fn forget(tx: &mut Tx<'_>, row: &SyncRow) -> Result<(), DbError> {
    let same = syncs::table
        .filter(syncs::id.eq(row.id))
        .filter(syncs::updated_at.eq(row.updated_at))
        .filter(syncs::repository_id.is_null());
    with_tx!(tx, |c| diesel::delete(same).execute(c).await)?;
    Ok(())
}

/// The syncs of these repositories.
pub async fn of_repositories(tx: &mut Tx<'_>, ids: &[i64]) -> Result<Vec<SyncRow>, DbError> {
    Ok(with_tx!(tx, |c| syncs::table
        .filter(syncs::repository_id.eq_any(ids))
        .order((syncs::repository_id.asc(), syncs::cluster.asc()))
        .select(SyncRow::as_select())
        .load(c)
        .await)?)
}

/// The namespaces pipelines of org projects on `cluster` run in.
pub async fn pipeline_namespaces(tx: &mut Tx<'_>, cluster: &str) -> Result<Vec<String>, DbError> {
    let expands: Vec<String> = with_tx!(tx, |c| projects::table
        .filter(projects::kind.eq(ProjectKind::Org.as_str()))
        .select(projects::expand)
        .load(c)
        .await)?;
    let mut namespaces: Vec<String> = expands
        .iter()
        .filter_map(|text| serde_json::from_str::<OrgExpand>(text).ok())
        .filter(|expand| expand.cluster == cluster)
        .map(|expand| expand.pipeline_namespace().to_owned())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    Ok(namespaces)
}
