//! User accounts: listing, creating and editing users, and the provisioning every user gets
//! on first sign-in (personal role, `Gamma`, membership of project `public`).

use app::domain::language::Language;
use app::domain::pagination::PageRequest;
use app::domain::password::check_password;
use app::domain::username::check_username;
use app::domain::validation::{FieldErrors, check_display_name, check_email};
use app::model::{
    Me, MeUpdate, NewUser, Page, PageQuery, ProjectKind, ProjectRole, RoleId, RoleKind, RoleRef, TaskIsolation, User,
    UserId, UserUpdate,
};
use chrono::NaiveDateTime;

use super::access::delegation::{self, AccountChange};
use super::rbac::{ADMIN_ROLE, GAMMA_ROLE};
use super::{Error, Result, invalid};
use crate::auth::password;
use crate::db::users::{NewUserRow, UserChanges, UserRow};
use crate::db::{self, Db, Tx, projects, roles, sessions, users};
use crate::transaction;

/// The project every user joins on first sign-in.
pub const PUBLIC_PROJECT: &str = "public";

/// The wire form of a stored user.
pub fn to_user(row: UserRow, roles: Vec<RoleRef>) -> User {
    User {
        id: UserId(row.id),
        username: row.username,
        nickname: row.nickname,
        email: row.email,
        active: row.active,
        roles,
        language: row.language.as_deref().and_then(Language::parse),
        created_at: db::utc(row.created_at),
        last_login_at: row.last_login_at.map(db::utc),
    }
}

pub async fn list(db: &Db, query: PageQuery) -> Result<Page<User>> {
    let page = PageRequest::from_query(query)?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let (rows, total) = users::page(&mut tx, page).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut roles = users::roles_of(&mut tx, &ids).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let rs = roles.remove(&r.id).unwrap_or_default();
            to_user(r, rs)
        })
        .collect();
    Ok(Page { items, total, page: page.page, page_size: page.page_size })
}

pub async fn get(db: &Db, id: UserId) -> Result<User> {
    let mut conn = db.read().await?;
    load(&mut conn.tx(), id).await
}

async fn load(tx: &mut Tx<'_>, id: UserId) -> Result<User> {
    let row = users::by_id(tx, id).await?.ok_or(Error::NotFound("user"))?;
    let roles = users::roles_of(tx, &[row.id]).await?.remove(&row.id).unwrap_or_default();
    Ok(to_user(row, roles))
}

/// Creates a local user with a password; only administrators give extra roles.
pub async fn create(db: &Db, input: NewUser, actor: &crate::auth::Identity) -> Result<User> {
    let change = AccountChange { roles: !input.roles.is_empty(), ..AccountChange::default() };
    delegation::account_change(actor.into(), change)?;
    let mut errors = FieldErrors::new();
    errors.check("username", check_username(&input.username));
    errors.check("password", check_password(&input.password, &input.username));
    let email = input.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(email) = email {
        errors.check("email", check_email(email));
    }
    let nickname = input.nickname.as_deref().map(str::trim).unwrap_or_default();
    errors.check("nickname", check_display_name(nickname));
    errors.finish()?;
    let hash = password::hash(input.password.clone()).await.map_err(|e| invalid("password", e))?;
    let mut conn = db.write().await?;
    let id = transaction!(&mut conn, |tx| {
        if users::by_username(tx, &input.username).await?.is_some() {
            return Err(Error::Conflict { field: "username", message: "username is already taken".into() });
        }
        if let Some(email) = email
            && users::email_taken(tx, email, None).await?
        {
            return Err(Error::Conflict { field: "email", message: "e-mail address is already in use".into() });
        }
        check_roles_exist(tx, &input.roles).await?;
        let now = db::now();
        let row = NewUserRow {
            username: &input.username,
            nickname: if nickname.is_empty() { &input.username } else { nickname },
            email,
            password_hash: Some(&hash),
            active: true,
            created_at: now,
            updated_at: now,
            external_id: None,
        };
        let id = users::insert(tx, &row).await?;
        provision(tx, id, &input.username, now).await?;
        for role in &input.roles {
            users::add_role(tx, id, *role).await?;
        }
        Ok::<_, Error>(id)
    })?;
    drop(conn);
    get(db, id).await
}

/// Edits a user. Deactivating or changing the password signs the user out everywhere and
/// revokes their API tokens; nobody can deactivate themselves; only administrators change
/// roles or an administrator's account (see [`delegation`]).
pub async fn update(db: &Db, id: UserId, input: UserUpdate, actor: &crate::auth::Identity) -> Result<User> {
    let caller = actor;
    if input.roles.is_some() {
        delegation::account_change(caller.into(), AccountChange { roles: true, ..AccountChange::default() })?;
    }
    let actor = actor.user_id;
    let mut errors = FieldErrors::new();
    let nickname = input.nickname.as_deref().map(str::trim);
    if let Some(n) = nickname {
        errors.check("nickname", check_display_name(n));
    }
    let email = input.email.as_deref().map(str::trim);
    if let Some(e) = email.filter(|e| !e.is_empty()) {
        errors.check("email", check_email(e));
    }
    if input.active == Some(false) && id == actor {
        errors.add("active", "you cannot deactivate your own account");
    }
    errors.finish()?;
    let current = {
        let mut conn = db.read().await?;
        let mut tx = conn.tx();
        let current = users::by_id(&mut tx, id).await?.ok_or(Error::NotFound("user"))?;
        check_account_change(&mut tx, caller, id, input.roles.is_some()).await?;
        current
    };
    let hash = match &input.password {
        Some(p) => {
            check_password(p, &current.username).map_err(|m| invalid("password", m))?;
            Some(password::hash(p.clone()).await.map_err(|e| invalid("password", e))?)
        }
        None => None,
    };
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        check_account_change(tx, caller, id, input.roles.is_some()).await?;
        if let Some(e) = email.filter(|e| !e.is_empty())
            && users::email_taken(tx, e, Some(id)).await?
        {
            return Err(Error::Conflict { field: "email", message: "e-mail address is already in use".into() });
        }
        let changes = UserChanges {
            nickname,
            email: email.map(|e| (!e.is_empty()).then_some(e)),
            password_hash: hash.as_deref(),
            active: input.active,
            language: None,
            updated_at: Some(db::now()),
        };
        users::update(tx, id, &changes).await?;
        if let Some(roles) = &input.roles {
            check_roles_exist(tx, roles).await?;
            users::set_roles(tx, id, roles).await?;
        }
        if input.active == Some(false) || hash.is_some() {
            sessions::delete_for_user(tx, id).await?;
            crate::db::tokens::revoke_all(tx, id, db::now()).await?;
        }
        Ok::<_, Error>(())
    })?;
    drop(conn);
    get(db, id).await
}

/// Whether `caller` may change account `target` (see [`delegation`]).
async fn check_account_change(
    tx: &mut Tx<'_>,
    caller: &crate::auth::Identity,
    target: UserId,
    roles: bool,
) -> Result<()> {
    let target_admin = holds_admin(tx, target).await?;
    let held = crate::db::permissions::of_user(tx, target).await?;
    let target_exceeds = held.iter().any(|p| !caller.permissions.contains(p));
    delegation::account_change(caller.into(), AccountChange { target_admin, target_exceeds, roles })
}

/// Whether the user holds the built-in `Admin` role.
pub async fn holds_admin(tx: &mut Tx<'_>, user: UserId) -> Result<bool> {
    let roles = users::roles_of(tx, &[user.0]).await?;
    Ok(roles.get(&user.0).is_some_and(|rs| rs.iter().any(|r| r.name == ADMIN_ROLE)))
}

async fn check_roles_exist(tx: &mut Tx<'_>, ids: &[RoleId]) -> Result<()> {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    if roles::count_existing(tx, &unique).await? != unique.len() {
        return Err(invalid("roles", "contains a role that does not exist"));
    }
    Ok(())
}

/// What every user has from their first sign-in on, created idempotently: a personal role
/// named after them, the `Gamma` role, and membership (role `dev`) of project `public`.
pub async fn provision(tx: &mut Tx<'_>, user: UserId, username: &str, now: NaiveDateTime) -> Result<()> {
    let personal = match roles::by_name(tx, username).await? {
        Some(row) if row.kind() == RoleKind::Personal => Some(RoleId(row.id)),
        Some(_) => None,
        None => Some(roles::insert(tx, username, RoleKind::Personal, now).await?),
    };
    if let Some(role) = personal {
        users::add_role(tx, user, role).await?;
    }
    if let Some(gamma) = roles::by_name(tx, GAMMA_ROLE).await? {
        users::add_role(tx, user, RoleId(gamma.id)).await?;
    }
    if let Some(public) = projects::by_name(tx, ProjectKind::Org, PUBLIC_PROJECT).await? {
        projects::add_member(tx, public, user, ProjectRole::Dev, now).await?;
    }
    Ok(())
}

/// Everything the UI needs about the caller, in four queries, and how local tasks run here.
pub async fn me(db: &Db, identity: &crate::auth::Identity, task_isolation: TaskIsolation) -> Result<Me> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let user = load(&mut tx, identity.user_id).await?;
    let projects = projects::memberships_of(&mut tx, identity.user_id).await?;
    let mut permissions: Vec<_> = identity.permissions.iter().copied().collect();
    permissions.sort();
    Ok(Me { roles: user.roles.clone(), user, permissions, projects, task_isolation })
}

/// What users change about themselves: display name and UI language.
pub async fn update_self(db: &Db, id: UserId, input: MeUpdate) -> Result<()> {
    let nickname = input.nickname.as_deref().map(str::trim);
    if let Some(n) = nickname {
        check_display_name(n).map_err(|m| invalid("nickname", m))?;
    }
    let changes = UserChanges {
        nickname,
        language: input.language.map(|l| l.map(Language::as_str)),
        updated_at: Some(db::now()),
        ..UserChanges::default()
    };
    users::update(&mut db.write().await?.tx(), id, &changes).await?;
    Ok(())
}
