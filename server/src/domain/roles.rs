//! Roles and the permission catalog as administrators manage them. Built-in roles follow
//! the code and cannot be edited or deleted; delegated role managers grant only what they
//! hold and never change the roles they hold.

use std::collections::HashMap;

use app::domain::pagination::PageRequest;
use app::domain::permissions::PermissionKey;
use app::domain::validation::{FieldErrors, check_display_name};
use app::model::{Page, PageQuery, Permission, PermissionId, Role, RoleId, RoleInput, RoleKind, RoleQuery};

use super::access::delegation::{self, RoleFacts};
use super::{Error, Result, invalid};
use crate::auth::Identity;
use crate::db::roles::RoleRow;
use crate::db::{self, Db, Tx, permissions, roles, users};
use crate::transaction;

/// The permission catalog (bounded by the code, so paginated in memory).
pub async fn permissions(db: &Db, query: PageQuery) -> Result<Page<Permission>> {
    let page = PageRequest::from_query(query)?;
    let rows = permissions::all(&mut db.read().await?.tx()).await?;
    let all: Vec<Permission> = rows
        .into_iter()
        .filter_map(|r| {
            let key = r.key()?;
            Some(Permission {
                id: PermissionId(r.id),
                action: key.action,
                resource: key.resource,
                admin_only: !key.in_gamma(),
            })
        })
        .collect();
    let total = all.len() as u64;
    let items = all.into_iter().skip(page.offset() as usize).take(page.page_size as usize).collect();
    Ok(Page { items, total, page: page.page, page_size: page.page_size })
}

/// Roles with their permissions and user counts (three queries whatever the page size).
pub async fn list(db: &Db, query: RoleQuery) -> Result<Page<Role>> {
    let page = PageRequest::from_query(PageQuery { page: query.page, page_size: query.page_size })?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let filter = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let (rows, total) = roles::page(&mut tx, page, filter, query.personal.unwrap_or(true)).await?;
    let items = with_details(&mut tx, rows).await?;
    Ok(Page { items, total, page: page.page, page_size: page.page_size })
}

async fn with_details(tx: &mut Tx<'_>, rows: Vec<RoleRow>) -> Result<Vec<Role>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut perms = roles::permission_map(tx, &ids).await?;
    let counts = roles::user_counts(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Role {
            id: RoleId(r.id),
            kind: r.kind(),
            permissions: perms.remove(&r.id).unwrap_or_default(),
            user_count: counts.get(&r.id).copied().unwrap_or(0),
            name: r.name,
        })
        .collect())
}

pub async fn get(db: &Db, id: RoleId) -> Result<Role> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let row = roles::by_id(&mut tx, id).await?.ok_or(Error::NotFound("role"))?;
    Ok(with_details(&mut tx, vec![row]).await?.remove(0))
}

fn check_input(input: &RoleInput) -> Result<()> {
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    if name.is_empty() {
        errors.add("name", "is required");
    } else if name.chars().count() > 64 {
        errors.add("name", "must be at most 64 characters");
    }
    errors.check("name", check_display_name(name));
    Ok(errors.finish()?)
}

/// The permissions asked for, deduplicated, if they exist and the caller may grant them.
async fn check_permissions(tx: &mut Tx<'_>, caller: &Identity, ids: &[PermissionId]) -> Result<Vec<PermissionId>> {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    let known: HashMap<i64, Option<PermissionKey>> =
        permissions::all(tx).await?.into_iter().map(|r| (r.id, r.key())).collect();
    let mut wanted = Vec::with_capacity(unique.len());
    for id in &unique {
        match known.get(&id.0) {
            Some(Some(key)) => wanted.push(*key),
            // Rows this version does not know: only administrators hand them out.
            Some(None) if caller.is_admin() => {}
            Some(None) => return Err(invalid("permissions", "contains a permission this version does not know")),
            None => return Err(invalid("permissions", "contains a permission that does not exist")),
        }
    }
    delegation::grant(caller.into(), &caller.permissions, &wanted)?;
    Ok(unique)
}

/// The role if the caller may change or delete it.
async fn changeable(tx: &mut Tx<'_>, caller: &Identity, id: RoleId) -> Result<RoleRow> {
    let row = roles::by_id(tx, id).await?.ok_or(Error::NotFound("role"))?;
    let held = users::roles_of(tx, &[caller.user_id.0])
        .await?
        .get(&caller.user_id.0)
        .is_some_and(|rs| rs.iter().any(|r| r.id == id));
    delegation::role_change(caller.into(), RoleFacts { builtin: row.kind() == RoleKind::Builtin, held })?;
    Ok(row)
}

async fn name_free(tx: &mut Tx<'_>, name: &str, except: Option<RoleId>) -> Result<()> {
    match roles::by_name(tx, name).await? {
        Some(row) if Some(RoleId(row.id)) != except => {
            Err(Error::Conflict { field: "name", message: "a role with this name exists".into() })
        }
        _ => Ok(()),
    }
}

pub async fn create(db: &Db, caller: &Identity, input: RoleInput) -> Result<Role> {
    check_input(&input)?;
    let mut conn = db.write().await?;
    let id = transaction!(&mut conn, |tx| {
        let name = input.name.trim();
        name_free(tx, name, None).await?;
        let perms = check_permissions(tx, caller, &input.permissions).await?;
        let id = roles::insert(tx, name, RoleKind::Custom, db::now()).await?;
        roles::set_permissions(tx, id, &perms).await?;
        Ok::<_, Error>(id)
    })?;
    drop(conn);
    get(db, id).await
}

pub async fn update(db: &Db, caller: &Identity, id: RoleId, input: RoleInput) -> Result<Role> {
    check_input(&input)?;
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = changeable(tx, caller, id).await?;
        let name = input.name.trim();
        if row.kind() == RoleKind::Personal && name != row.name {
            return Err(invalid("name", "a personal role keeps its user's name"));
        }
        name_free(tx, name, Some(id)).await?;
        let perms = check_permissions(tx, caller, &input.permissions).await?;
        roles::rename(tx, id, name).await?;
        roles::set_permissions(tx, id, &perms).await?;
        Ok::<_, Error>(())
    })?;
    drop(conn);
    get(db, id).await
}

pub async fn delete(db: &Db, caller: &Identity, id: RoleId) -> Result<()> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        changeable(tx, caller, id).await?;
        roles::delete(tx, id).await?;
        Ok::<_, Error>(())
    })
}
