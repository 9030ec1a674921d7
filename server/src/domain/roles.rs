//! Roles and the permission catalog as administrators manage them. Built-in roles follow
//! the code and cannot be edited or deleted.

use app::domain::pagination::PageRequest;
use app::domain::validation::{FieldErrors, check_display_name};
use app::model::{Page, PageQuery, Permission, PermissionId, Role, RoleId, RoleInput, RoleKind, RoleQuery};

use super::{Error, Result, invalid};
use crate::db::roles::RoleRow;
use crate::db::{self, Db, Tx, permissions, roles};
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

async fn check_permissions(tx: &mut Tx<'_>, ids: &[PermissionId]) -> Result<Vec<PermissionId>> {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    if permissions::count_existing(tx, &unique).await? != unique.len() {
        return Err(invalid("permissions", "contains a permission that does not exist"));
    }
    Ok(unique)
}

async fn name_free(tx: &mut Tx<'_>, name: &str, except: Option<RoleId>) -> Result<()> {
    match roles::by_name(tx, name).await? {
        Some(row) if Some(RoleId(row.id)) != except => {
            Err(Error::Conflict { field: "name", message: "a role with this name exists".into() })
        }
        _ => Ok(()),
    }
}

pub async fn create(db: &Db, input: RoleInput) -> Result<Role> {
    check_input(&input)?;
    let mut conn = db.write().await?;
    let id = transaction!(&mut conn, |tx| {
        let name = input.name.trim();
        name_free(tx, name, None).await?;
        let perms = check_permissions(tx, &input.permissions).await?;
        let id = roles::insert(tx, name, RoleKind::Custom, db::now()).await?;
        roles::set_permissions(tx, id, &perms).await?;
        Ok::<_, Error>(id)
    })?;
    drop(conn);
    get(db, id).await
}

fn editable(row: Option<RoleRow>) -> Result<RoleRow> {
    let row = row.ok_or(Error::NotFound("role"))?;
    if row.kind() == RoleKind::Builtin {
        return Err(Error::Conflict {
            field: "kind",
            message: "built-in roles follow the code and cannot be changed; create a custom role instead".into(),
        });
    }
    Ok(row)
}

pub async fn update(db: &Db, id: RoleId, input: RoleInput) -> Result<Role> {
    check_input(&input)?;
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = editable(roles::by_id(tx, id).await?)?;
        let name = input.name.trim();
        if row.kind() == RoleKind::Personal && name != row.name {
            return Err(invalid("name", "a personal role keeps its user's name"));
        }
        name_free(tx, name, Some(id)).await?;
        let perms = check_permissions(tx, &input.permissions).await?;
        roles::rename(tx, id, name).await?;
        roles::set_permissions(tx, id, &perms).await?;
        Ok::<_, Error>(())
    })?;
    drop(conn);
    get(db, id).await
}

pub async fn delete(db: &Db, id: RoleId) -> Result<()> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        editable(roles::by_id(tx, id).await?)?;
        roles::delete(tx, id).await?;
        Ok::<_, Error>(())
    })
}
