//! Queries on `permissions`.

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{PermissionId, UserId};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{permissions, role_permissions, user_roles};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = permissions)]
pub struct PermissionRow {
    pub id: i64,
    pub action: String,
    pub resource: String,
}

impl PermissionRow {
    /// The typed key; `None` for a row the running code no longer knows.
    pub fn key(&self) -> Option<PermissionKey> {
        Some(PermissionKey::new(Action::parse(&self.action)?, Resource::parse(&self.resource)?))
    }
}

/// Inserts the missing permissions of `keys`.
pub async fn ensure(tx: &mut Tx<'_>, keys: &[PermissionKey]) -> Result<(), DbError> {
    for key in keys {
        with_tx!(tx, |c| diesel::insert_into(permissions::table)
            .values((permissions::action.eq(key.action.as_str()), permissions::resource.eq(key.resource.as_str())))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
    }
    Ok(())
}

/// Every permission, ordered by resource then action.
pub async fn all(tx: &mut Tx<'_>) -> Result<Vec<PermissionRow>, DbError> {
    Ok(with_tx!(tx, |c| permissions::table
        .order((permissions::resource.asc(), permissions::action.asc()))
        .select(PermissionRow::as_select())
        .load(c)
        .await)?)
}

/// How many of `ids` exist.
pub async fn count_existing(tx: &mut Tx<'_>, ids: &[PermissionId]) -> Result<usize, DbError> {
    let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
    let n: i64 = with_tx!(tx, |c| permissions::table.filter(permissions::id.eq_any(ids)).count().get_result(c).await)?;
    Ok(n.max(0) as usize)
}

/// The permissions a user holds through all their roles, in one query.
pub async fn of_user(tx: &mut Tx<'_>, user: UserId) -> Result<Vec<PermissionKey>, DbError> {
    let rows: Vec<PermissionRow> = with_tx!(tx, |c| user_roles::table
        .inner_join(role_permissions::table.on(role_permissions::role_id.eq(user_roles::role_id)))
        .inner_join(permissions::table.on(permissions::id.eq(role_permissions::permission_id)))
        .filter(user_roles::user_id.eq(user.0))
        .select(PermissionRow::as_select())
        .distinct()
        .load(c)
        .await)?;
    let mut keys: Vec<PermissionKey> = rows.iter().filter_map(PermissionRow::key).collect();
    keys.sort();
    Ok(keys)
}
