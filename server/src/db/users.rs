//! Queries on `users` and their role bindings.

use std::collections::HashMap;

use app::domain::pagination::PageRequest;
use app::model::{RoleId, RoleRef, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{roles, user_roles, users};
use super::{DbError, Tx};
use crate::with_tx;

/// A stored user, including the password hash (never serialised).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub nickname: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub language: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub login_count: i64,
    /// The single-sign-on identity (`oidc:<issuer>:<subject>` or `header:<name>`) it is linked to.
    pub external_id: Option<String>,
}

/// Columns of a new user.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub nickname: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub external_id: Option<&'a str>,
}

/// Columns an update may change; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges<'a> {
    pub nickname: Option<&'a str>,
    pub email: Option<Option<&'a str>>,
    pub password_hash: Option<&'a str>,
    pub active: Option<bool>,
    pub language: Option<Option<&'a str>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub async fn by_id(tx: &mut Tx<'_>, id: UserId) -> Result<Option<UserRow>, DbError> {
    Ok(with_tx!(tx, |c| users::table.find(id.0).select(UserRow::as_select()).first(c).await.optional())?)
}

pub async fn by_username(tx: &mut Tx<'_>, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(with_tx!(tx, |c| users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional())?)
}

pub async fn by_external_id(tx: &mut Tx<'_>, external_id: &str) -> Result<Option<UserRow>, DbError> {
    Ok(with_tx!(tx, |c| users::table
        .filter(users::external_id.eq(external_id))
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// Links a user to a single-sign-on identity.
pub async fn link_external(tx: &mut Tx<'_>, id: UserId, external_id: &str) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(users::table.find(id.0))
        .set(users::external_id.eq(Some(external_id)))
        .execute(c)
        .await)?;
    Ok(())
}

pub async fn email_taken(tx: &mut Tx<'_>, email: &str, except: Option<UserId>) -> Result<bool, DbError> {
    Ok(with_tx!(tx, |c| users::table
        .filter(users::email.eq(email))
        .filter(users::id.ne(except.map_or(-1, |u| u.0)))
        .select(users::id)
        .first::<i64>(c)
        .await
        .optional())?
    .is_some())
}

/// One page of users ordered by username, and the total count.
pub async fn page(tx: &mut Tx<'_>, page: PageRequest) -> Result<(Vec<UserRow>, u64), DbError> {
    let rows = with_tx!(tx, |c| users::table
        .order(users::username.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(UserRow::as_select())
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| users::table.count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

/// The roles of several users in one query.
pub async fn roles_of(tx: &mut Tx<'_>, ids: &[i64]) -> Result<HashMap<i64, Vec<RoleRef>>, DbError> {
    let rows: Vec<(i64, i64, String)> = with_tx!(tx, |c| user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq_any(ids.to_vec()))
        .order(roles::name.asc())
        .select((user_roles::user_id, roles::id, roles::name))
        .load(c)
        .await)?;
    let mut map: HashMap<i64, Vec<RoleRef>> = HashMap::new();
    for (user, id, name) in rows {
        map.entry(user).or_default().push(RoleRef { id: RoleId(id), name });
    }
    Ok(map)
}

pub async fn insert(tx: &mut Tx<'_>, row: &NewUserRow<'_>) -> Result<UserId, DbError> {
    Ok(UserId(with_tx!(tx, |c| diesel::insert_into(users::table)
        .values(row)
        .returning(users::id)
        .get_result(c)
        .await)?))
}

pub async fn update(tx: &mut Tx<'_>, id: UserId, changes: &UserChanges<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(users::table.find(id.0)).set(changes).execute(c).await)?;
    Ok(())
}

pub async fn record_login(tx: &mut Tx<'_>, id: UserId, at: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(users::table.find(id.0))
        .set((users::last_login_at.eq(Some(at)), users::login_count.eq(users::login_count + 1)))
        .execute(c)
        .await)?;
    Ok(())
}

/// Binds `role` to `user` unless it already is.
pub async fn add_role(tx: &mut Tx<'_>, user: UserId, role: RoleId) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(user_roles::table)
        .values((user_roles::user_id.eq(user.0), user_roles::role_id.eq(role.0)))
        .on_conflict_do_nothing()
        .execute(c)
        .await)?;
    Ok(())
}

/// Replaces the user's role bindings with `roles`.
pub async fn set_roles(tx: &mut Tx<'_>, user: UserId, roles: &[RoleId]) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(user_roles::table.filter(user_roles::user_id.eq(user.0))).execute(c).await)?;
    for role in roles {
        add_role(tx, user, *role).await?;
    }
    Ok(())
}

/// Active users among `names`: (id, username, email). Alerts reach only active accounts.
pub async fn ids_and_emails(tx: &mut Tx<'_>, names: &[String]) -> Result<Vec<(i64, String, Option<String>)>, DbError> {
    Ok(with_tx!(tx, |c| users::table
        .filter(users::username.eq_any(names))
        .filter(users::active.eq(true))
        .select((users::id, users::username, users::email))
        .load(c)
        .await)?)
}

/// The mail addresses of the active users among `ids`.
pub async fn emails_of(tx: &mut Tx<'_>, ids: &[i64]) -> Result<Vec<(i64, Option<String>)>, DbError> {
    Ok(with_tx!(tx, |c| users::table
        .filter(users::id.eq_any(ids))
        .filter(users::active.eq(true))
        .select((users::id, users::email))
        .load(c)
        .await)?)
}
