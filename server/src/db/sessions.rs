//! Queries on `sessions`: browser sign-ins, stored by the hash of their cookie value.

use app::model::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{sessions, users};
use super::users::UserRow;
use super::{DbError, Tx};
use crate::with_tx;

pub async fn insert(
    tx: &mut Tx<'_>,
    token_hash: &str,
    csrf_token: &str,
    user: UserId,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::csrf_token.eq(csrf_token),
            sessions::user_id.eq(user.0),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

/// The unexpired session with this hash: its CSRF token, when it expires, and its user.
pub async fn find_valid(
    tx: &mut Tx<'_>,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<(String, NaiveDateTime, UserRow)>, DbError> {
    Ok(with_tx!(tx, |c| sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .select((sessions::csrf_token, sessions::expires_at, UserRow::as_select()))
        .first(c)
        .await
        .optional())?)
}

pub async fn delete(tx: &mut Tx<'_>, token_hash: &str) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(c).await)?;
    Ok(())
}

/// Signs a user out everywhere (used when an account is deactivated or its password reset).
pub async fn delete_for_user(tx: &mut Tx<'_>, user: UserId) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(sessions::table.filter(sessions::user_id.eq(user.0))).execute(c).await)?;
    Ok(())
}

pub async fn delete_expired(tx: &mut Tx<'_>, now: NaiveDateTime) -> Result<usize, DbError> {
    Ok(with_tx!(tx, |c| diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(c).await)?)
}
