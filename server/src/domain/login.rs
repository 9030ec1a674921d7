//! Signing in and out: password (and its admin-only break-glass variant), the trusted
//! proxy header, OpenID Connect, sessions.

use app::domain::username::username_from_external;
use app::model::{RoleId, UserId};
use chrono::Duration;

use super::accounts::provision;
use super::rbac::ADMIN_ROLE;
use super::{Error, Result, invalid};
use crate::auth::oidc::{OidcError, OidcProvider};
use crate::auth::{password, secret};
use crate::config::Config;
use crate::db::users::{NewUserRow, UserRow};
use crate::db::{self, Db, Tx, oidc_logins, sessions, users};
use crate::transaction;

/// A new browser session: the cookie secrets (shown to the browser, stored hashed).
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub user: UserRow,
}

/// Checks a username and password. With `admin_only`, only members of `Admin` get in
/// (the break-glass path when single sign-on is the main method).
pub async fn with_password(
    db: &Db,
    config: &Config,
    username: &str,
    pass: &str,
    admin_only: bool,
) -> Result<NewSession> {
    const REFUSED: &str = "wrong username or password";
    if username.trim().is_empty() {
        return Err(invalid("username", "is required"));
    }
    if pass.is_empty() {
        return Err(invalid("password", "is required"));
    }
    let found = users::by_username(&mut db.read().await?.tx(), username.trim()).await?;
    let Some(user) = found.filter(|u| u.password_hash.is_some()) else {
        password::burn_time(pass.to_owned()).await;
        return Err(Error::Unauthenticated(REFUSED));
    };
    if !password::verify(pass.to_owned(), user.password_hash.clone().unwrap_or_default()).await {
        return Err(Error::Unauthenticated(REFUSED));
    }
    if !user.active {
        return Err(Error::Forbidden("this account is deactivated; ask an administrator".into()));
    }
    if admin_only && !is_admin(db, UserId(user.id)).await? {
        return Err(Error::Forbidden("break-glass login is for administrators only".into()));
    }
    start_session(db, config, user).await
}

/// Signs in the user named by a trusted proxy or an identity provider, creating the account
/// on first sight.
pub async fn with_external_name(db: &Db, config: &Config, asserted: &str) -> Result<NewSession> {
    let username = username_from_external(asserted).map_err(|m| invalid("username", m))?;
    let mut conn = db.write().await?;
    let user = transaction!(&mut conn, |tx| {
        if let Some(user) = users::by_username(tx, &username).await? {
            return Ok(user);
        }
        let now = db::now();
        let row = NewUserRow {
            username: &username,
            nickname: &username,
            email: None,
            password_hash: None,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let id = users::insert(tx, &row).await?;
        users::by_id(tx, id).await?.ok_or(Error::NotFound("user"))
    })?;
    drop(conn);
    if !user.active {
        return Err(Error::Forbidden("this account is deactivated; ask an administrator".into()));
    }
    start_session(db, config, user).await
}

async fn is_admin(db: &Db, user: UserId) -> Result<bool> {
    let mut conn = db.read().await?;
    let roles = users::roles_of(&mut conn.tx(), &[user.0]).await?;
    Ok(roles.get(&user.0).is_some_and(|rs| rs.iter().any(|r| r.name == ADMIN_ROLE)))
}

/// Records the sign-in, provisions the user, and stores a new session.
async fn start_session(db: &Db, config: &Config, user: UserRow) -> Result<NewSession> {
    let token = secret::random_secret();
    let csrf = secret::random_secret();
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let now = db::now();
        let id = UserId(user.id);
        users::record_login(tx, id, now).await?;
        provision(tx, id, &user.username, now).await?;
        let expires = now + Duration::hours(config.session_hours);
        sessions::insert(tx, &secret::digest(&token), &csrf, id, now, expires).await?;
        Ok::<_, Error>(())
    })?;
    Ok(NewSession { token, csrf, user })
}

/// Ends the session with this token hash.
pub async fn logout(db: &Db, token_hash: &str) -> Result<()> {
    sessions::delete(&mut db.write().await?.tx(), token_hash).await?;
    Ok(())
}

/// Gives `user` the `Admin` role (used when seeding the built-in administrator).
pub async fn make_admin(tx: &mut Tx<'_>, user: UserId) -> Result<()> {
    let admin = crate::db::roles::by_name(tx, ADMIN_ROLE).await?.ok_or(Error::NotFound("role Admin"))?;
    users::add_role(tx, user, RoleId(admin.id)).await?;
    Ok(())
}

/// How long a single sign-on attempt may take between redirect and callback.
const OIDC_ATTEMPT_MINUTES: i64 = 10;

/// Starts single sign-on: remembers the attempt and returns the provider URL to visit.
pub async fn start_oidc(db: &Db, provider: &OidcProvider) -> Result<String> {
    let auth = provider.authorize().map_err(|e| Error::Unavailable(e.to_string()))?;
    let mut conn = db.write().await?;
    oidc_logins::insert(&mut conn.tx(), &secret::digest(&auth.state), &auth.nonce, &auth.pkce_verifier, db::now())
        .await?;
    Ok(auth.url)
}

/// Completes single sign-on from the provider's callback.
pub async fn finish_oidc(
    db: &Db,
    config: &Config,
    provider: &OidcProvider,
    code: &str,
    state: &str,
) -> Result<NewSession> {
    let not_before = db::now() - Duration::minutes(OIDC_ATTEMPT_MINUTES);
    let attempt = oidc_logins::take(&mut db.write().await?.tx(), &secret::digest(state), not_before).await?;
    let Some((nonce, verifier)) = attempt else {
        return Err(Error::Unauthenticated("unknown or expired sign-on attempt; start again"));
    };
    let name = provider.finish(code.to_owned(), nonce, verifier).await.map_err(|e| match e {
        OidcError::Provider(m) => Error::Unavailable(m),
        other => Error::Forbidden(other.to_string()),
    })?;
    with_external_name(db, config, &name).await
}
