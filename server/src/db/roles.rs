//! Queries on `roles` and their permissions.

use std::collections::HashMap;

use app::domain::pagination::PageRequest;
use app::model::{PermissionId, RoleId, RoleKind};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{role_permissions, roles, user_roles};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub created_at: NaiveDateTime,
}

impl RoleRow {
    pub fn kind(&self) -> RoleKind {
        RoleKind::parse(&self.kind).unwrap_or(RoleKind::Custom)
    }
}

pub async fn by_id(tx: &mut Tx<'_>, id: RoleId) -> Result<Option<RoleRow>, DbError> {
    Ok(with_tx!(tx, |c| roles::table.find(id.0).select(RoleRow::as_select()).first(c).await.optional())?)
}

pub async fn by_name(tx: &mut Tx<'_>, name: &str) -> Result<Option<RoleRow>, DbError> {
    Ok(with_tx!(tx, |c| roles::table
        .filter(roles::name.eq(name))
        .select(RoleRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// One page of roles by name, optionally filtered by name and without personal roles.
pub async fn page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    name_contains: Option<&str>,
    personal: bool,
) -> Result<(Vec<RoleRow>, u64), DbError> {
    // A macro, not a closure: the boxed query's type depends on the backend of each arm.
    macro_rules! filtered {
        () => {{
            let mut q = roles::table.into_boxed();
            if let Some(text) = name_contains {
                q = q.filter(super::lower(roles::name).like(super::contains_pattern(text)).escape('\\'));
            }
            if !personal {
                q = q.filter(roles::kind.ne(RoleKind::Personal.as_str()));
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order(roles::name.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(RoleRow::as_select())
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

/// How many of `ids` exist.
pub async fn count_existing(tx: &mut Tx<'_>, ids: &[RoleId]) -> Result<usize, DbError> {
    let ids: Vec<i64> = ids.iter().map(|r| r.0).collect();
    let n: i64 = with_tx!(tx, |c| roles::table.filter(roles::id.eq_any(ids)).count().get_result(c).await)?;
    Ok(n.max(0) as usize)
}

/// Creates the role if missing and returns its id either way.
pub async fn ensure(tx: &mut Tx<'_>, name: &str, kind: RoleKind, now: NaiveDateTime) -> Result<RoleId, DbError> {
    if let Some(row) = by_name(tx, name).await? {
        return Ok(RoleId(row.id));
    }
    insert(tx, name, kind, now).await
}

pub async fn insert(tx: &mut Tx<'_>, name: &str, kind: RoleKind, now: NaiveDateTime) -> Result<RoleId, DbError> {
    Ok(RoleId(with_tx!(tx, |c| diesel::insert_into(roles::table)
        .values((roles::name.eq(name), roles::kind.eq(kind.as_str()), roles::created_at.eq(now)))
        .returning(roles::id)
        .get_result(c)
        .await)?))
}

pub async fn rename(tx: &mut Tx<'_>, id: RoleId, name: &str) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(roles::table.find(id.0)).set(roles::name.eq(name)).execute(c).await)?;
    Ok(())
}

pub async fn delete(tx: &mut Tx<'_>, id: RoleId) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(roles::table.find(id.0)).execute(c).await)?;
    Ok(())
}

/// Permission ids of the given roles, in one query.
pub async fn permission_map(tx: &mut Tx<'_>, ids: &[i64]) -> Result<HashMap<i64, Vec<PermissionId>>, DbError> {
    let rows: Vec<(i64, i64)> = with_tx!(tx, |c| role_permissions::table
        .filter(role_permissions::role_id.eq_any(ids.to_vec()))
        .order((role_permissions::role_id, role_permissions::permission_id))
        .select((role_permissions::role_id, role_permissions::permission_id))
        .load(c)
        .await)?;
    let mut map: HashMap<i64, Vec<PermissionId>> = HashMap::new();
    for (role, perm) in rows {
        map.entry(role).or_default().push(PermissionId(perm));
    }
    Ok(map)
}

/// Number of users bound to each of the given roles, in one query.
pub async fn user_counts(tx: &mut Tx<'_>, ids: &[i64]) -> Result<HashMap<i64, u64>, DbError> {
    let rows: Vec<(i64, i64)> = with_tx!(tx, |c| user_roles::table
        .filter(user_roles::role_id.eq_any(ids.to_vec()))
        .group_by(user_roles::role_id)
        .select((user_roles::role_id, diesel::dsl::count_star()))
        .load(c)
        .await)?;
    Ok(rows.into_iter().map(|(r, n)| (r, n.max(0) as u64)).collect())
}

/// Replaces the role's permissions with `perms`.
pub async fn set_permissions(tx: &mut Tx<'_>, role: RoleId, perms: &[PermissionId]) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(role_permissions::table.filter(role_permissions::role_id.eq(role.0)))
        .execute(c)
        .await)?;
    grant(tx, role, perms).await
}

/// Adds `perms` to the role, skipping those it has.
pub async fn grant(tx: &mut Tx<'_>, role: RoleId, perms: &[PermissionId]) -> Result<(), DbError> {
    for perm in perms {
        with_tx!(tx, |c| diesel::insert_into(role_permissions::table)
            .values((role_permissions::role_id.eq(role.0), role_permissions::permission_id.eq(perm.0)))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
    }
    Ok(())
}
