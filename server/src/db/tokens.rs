//! Queries on `api_tokens`: bearer tokens for programs, stored by hash.

use app::model::{TokenId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{api_tokens, users};
use super::users::UserRow;
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewTokenRow<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

pub async fn insert(tx: &mut Tx<'_>, row: &NewTokenRow<'_>) -> Result<TokenRow, DbError> {
    Ok(with_tx!(tx, |c| diesel::insert_into(api_tokens::table)
        .values(row)
        .returning(TokenRow::as_returning())
        .get_result(c)
        .await)?)
}

/// The user's tokens that are not revoked, newest first.
pub async fn of_user(tx: &mut Tx<'_>, user: UserId) -> Result<Vec<TokenRow>, DbError> {
    Ok(with_tx!(tx, |c| api_tokens::table
        .filter(api_tokens::user_id.eq(user.0))
        .filter(api_tokens::revoked_at.is_null())
        .order(api_tokens::id.desc())
        .select(TokenRow::as_select())
        .load(c)
        .await)?)
}

/// Revokes one of the user's tokens; `false` if there is no such live token.
pub async fn revoke(tx: &mut Tx<'_>, user: UserId, id: TokenId, now: NaiveDateTime) -> Result<bool, DbError> {
    Ok(with_tx!(tx, |c| diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id.0))
            .filter(api_tokens::user_id.eq(user.0))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(c)
    .await)?
        == 1)
}

/// The live token with this hash: its id, when it was last used, when it expires, and its
/// user.
pub async fn find_valid(
    tx: &mut Tx<'_>,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<(i64, Option<NaiveDateTime>, Option<NaiveDateTime>, UserRow)>, DbError> {
    Ok(with_tx!(tx, |c| api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.is_null().or(api_tokens::expires_at.gt(now)))
        .select((api_tokens::id, api_tokens::last_used_at, api_tokens::expires_at, UserRow::as_select()))
        .first(c)
        .await
        .optional())?)
}

/// Revokes every live token of a user (password reset, deactivation).
pub async fn revoke_all(tx: &mut Tx<'_>, user: UserId, now: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(
        api_tokens::table.filter(api_tokens::user_id.eq(user.0)).filter(api_tokens::revoked_at.is_null())
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(c)
    .await)?;
    Ok(())
}

pub async fn touch(tx: &mut Tx<'_>, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(c)
        .await)?;
    Ok(())
}
