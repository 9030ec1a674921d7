//! Keeping the permission catalog and the built-in roles in step with the code: at every
//! start, every permission a route or menu entry needs exists, `Admin` holds all of them and
//! `Gamma` all but the admin areas.

use std::collections::BTreeSet;

use app::domain::menu::menu_permissions;
use app::domain::permissions::PermissionKey;
use app::model::{PermissionId, RoleKind};

use super::Result;
use crate::db::{self, Db, permissions, roles};
use crate::transaction;

pub const ADMIN_ROLE: &str = "Admin";
pub const GAMMA_ROLE: &str = "Gamma";

/// The catalog: what the routes declare plus what the menu needs.
pub fn catalog(route_permissions: impl IntoIterator<Item = PermissionKey>) -> BTreeSet<PermissionKey> {
    route_permissions.into_iter().chain(menu_permissions()).collect()
}

/// Creates missing permissions and grants them to the built-in roles.
pub async fn sync(db: &Db, catalog: &BTreeSet<PermissionKey>) -> Result<()> {
    let keys: Vec<PermissionKey> = catalog.iter().copied().collect();
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let now = db::now();
        permissions::ensure(tx, &keys).await?;
        let rows = permissions::all(tx).await?;
        let admin = roles::ensure(tx, ADMIN_ROLE, RoleKind::Builtin, now).await?;
        let gamma = roles::ensure(tx, GAMMA_ROLE, RoleKind::Builtin, now).await?;
        let known: Vec<(PermissionId, PermissionKey)> =
            rows.iter().filter_map(|r| r.key().map(|k| (PermissionId(r.id), k))).collect();
        let all: Vec<PermissionId> = known.iter().map(|(id, _)| *id).collect();
        let gamma_perms: Vec<PermissionId> = known.iter().filter(|(_, k)| k.in_gamma()).map(|(id, _)| *id).collect();
        roles::set_permissions(tx, admin, &all).await?;
        roles::set_permissions(tx, gamma, &gamma_perms).await?;
        Ok::<_, super::Error>(())
    })
}
