//! Queries on `oidc_logins`: single sign-on attempts between the redirect to the provider
//! and its callback. Each is taken at most once.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::oidc_logins;
use super::{DbError, Tx};
use crate::with_tx;

pub async fn insert(
    tx: &mut Tx<'_>,
    state_hash: &str,
    nonce: &str,
    pkce_verifier: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(oidc_logins::table)
        .values((
            oidc_logins::state_hash.eq(state_hash),
            oidc_logins::nonce.eq(nonce),
            oidc_logins::pkce_verifier.eq(pkce_verifier),
            oidc_logins::created_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

/// Removes and returns the attempt's (nonce, PKCE verifier) if it started after `not_before`.
pub async fn take(
    tx: &mut Tx<'_>,
    state_hash: &str,
    not_before: NaiveDateTime,
) -> Result<Option<(String, String)>, DbError> {
    let found: Option<(String, String, NaiveDateTime)> = with_tx!(tx, |c| oidc_logins::table
        .find(state_hash)
        .select((oidc_logins::nonce, oidc_logins::pkce_verifier, oidc_logins::created_at))
        .first(c)
        .await
        .optional())?;
    let deleted = with_tx!(tx, |c| diesel::delete(oidc_logins::table.find(state_hash)).execute(c).await)?;
    Ok(found.filter(|(_, _, at)| deleted == 1 && *at >= not_before).map(|(n, v, _)| (n, v)))
}

pub async fn delete_older_than(tx: &mut Tx<'_>, cutoff: NaiveDateTime) -> Result<usize, DbError> {
    Ok(with_tx!(tx, |c| diesel::delete(oidc_logins::table.filter(oidc_logins::created_at.lt(cutoff)))
        .execute(c)
        .await)?)
}
