//! Queries on `background_jobs`: the periodic jobs of the server, claimed by one replica at a
//! time with a lease (PostgreSQL: the row is taken with `FOR UPDATE SKIP LOCKED`; SQLite: its
//! single writer), and what each pass left (last run, next run, last error).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::background_jobs;
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = background_jobs)]
pub struct JobRow {
    pub name: String,
    pub next_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_started_at: Option<NaiveDateTime>,
    pub last_finished_at: Option<NaiveDateTime>,
    pub last_error: String,
    pub failures: i64,
    pub passes: i64,
}

/// Creates the job's row if it has none (due at once).
pub async fn ensure(tx: &mut Tx<'_>, name: &str, now: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(background_jobs::table)
        .values((background_jobs::name.eq(name), background_jobs::next_at.eq(now)))
        .on_conflict(background_jobs::name)
        .do_nothing()
        .execute(c)
        .await)?;
    Ok(())
}

/// Takes the job for `owner` until `lease_until` when it is due and nobody holds a lease on
/// it; `false` when it is not due or another replica has it. Call inside a transaction.
pub async fn claim(
    tx: &mut Tx<'_>,
    name: &str,
    owner: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<bool, DbError> {
    let free = background_jobs::lease_until.is_null().or(background_jobs::lease_until.lt(now));
    let due = background_jobs::name.eq(name).and(background_jobs::next_at.le(now)).and(free);
    let found: Option<String> = match tx {
        Tx::Postgres(c) => background_jobs::table
            .filter(due)
            .select(background_jobs::name)
            .for_update()
            .skip_locked()
            .first(&mut **c)
            .await
            .optional()?,
        Tx::Sqlite(c) => {
            background_jobs::table.filter(due).select(background_jobs::name).first(&mut **c).await.optional()?
        }
    };
    if found.is_none() {
        return Ok(false);
    }
    let taken = with_tx!(tx, |c| diesel::update(background_jobs::table.filter(due))
        .set((
            background_jobs::lease_owner.eq(owner),
            background_jobs::lease_until.eq(lease_until),
            background_jobs::last_started_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(taken == 1)
}

/// Ends `owner`'s pass: frees the lease and sets the next run and the outcome (`error`
/// empty when it went well).
pub async fn finish(
    tx: &mut Tx<'_>,
    name: &str,
    owner: &str,
    now: NaiveDateTime,
    next_at: NaiveDateTime,
    error: &str,
) -> Result<(), DbError> {
    let mine =
        background_jobs::table.filter(background_jobs::name.eq(name)).filter(background_jobs::lease_owner.eq(owner));
    if error.is_empty() {
        with_tx!(tx, |c| diesel::update(mine).set(background_jobs::failures.eq(0)).execute(c).await)?;
    } else {
        with_tx!(tx, |c| diesel::update(mine)
            .set(background_jobs::failures.eq(background_jobs::failures + 1))
            .execute(c)
            .await)?;
    }
    with_tx!(tx, |c| diesel::update(mine)
        .set((
            background_jobs::lease_owner.eq(None::<String>),
            background_jobs::lease_until.eq(None::<NaiveDateTime>),
            background_jobs::last_finished_at.eq(now),
            background_jobs::next_at.eq(next_at),
            background_jobs::last_error.eq(error),
            background_jobs::passes.eq(background_jobs::passes + 1),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

/// The job's row.
pub async fn get(tx: &mut Tx<'_>, name: &str) -> Result<Option<JobRow>, DbError> {
    Ok(with_tx!(tx, |c| background_jobs::table.find(name).select(JobRow::as_select()).first(c).await.optional())?)
}

/// Every job, by name.
pub async fn all(tx: &mut Tx<'_>) -> Result<Vec<JobRow>, DbError> {
    Ok(with_tx!(tx, |c| background_jobs::table.order(background_jobs::name).select(JobRow::as_select()).load(c).await)?)
}
