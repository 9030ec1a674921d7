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
use crate::crypto::SecretBox;
use crate::db::users::{NewUserRow, UserRow};
use crate::db::{self, Db, Tx, sessions, users};
use crate::transaction;

/// A new browser session: the cookie secrets (shown to the browser, stored hashed).
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub user: UserRow,
}

/// Refuses, before any hashing or logging, credentials no account can have: empty, or
/// longer than any username or password may be.
pub fn check_shape(username: &str, pass: &str) -> Result<()> {
    use app::domain::{password::MAX_LEN as MAX_PASSWORD, username::MAX_LEN as MAX_USERNAME};
    if username.trim().is_empty() {
        return Err(invalid("username", "is required"));
    }
    if username.len() > MAX_USERNAME {
        return Err(invalid("username", format!("must be at most {MAX_USERNAME} characters")));
    }
    if pass.is_empty() {
        return Err(invalid("password", "is required"));
    }
    if pass.len() > MAX_PASSWORD {
        return Err(invalid("password", format!("must be at most {MAX_PASSWORD} bytes")));
    }
    Ok(())
}

fn busy(_: password::Busy) -> Error {
    Error::Busy {
        message: "the server is busy checking other sign-ins; try again in a few seconds".into(),
        retry_after: password::QUEUE_WAIT.as_secs(),
    }
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
    check_shape(username, pass)?;
    let found = users::by_username(&mut db.read().await?.tx(), username.trim()).await?;
    let Some(user) = found.filter(|u| u.password_hash.is_some()) else {
        password::burn_time(pass.to_owned()).await.map_err(busy)?;
        return Err(Error::Unauthenticated(REFUSED));
    };
    if !password::verify(pass.to_owned(), user.password_hash.clone().unwrap_or_default()).await.map_err(busy)? {
        return Err(Error::Unauthenticated(REFUSED));
    }
    if !user.active {
        return Err(Error::Forbidden("this account is deactivated; ask an administrator".into()));
    }
    if admin_only && !is_admin(db, UserId(user.id)).await? {
        // The same answer as a wrong password: do not confirm a non-admin's password.
        return Err(Error::Unauthenticated(REFUSED));
    }
    start_session(db, config, user).await
}

/// Signs in the user a trusted proxy or an identity provider asserts. The account is found
/// by the linked identity (`external_id`); on first sight it is created under the asserted
/// name, or linked to an existing account of that name only if it has no password and no
/// other identity. A local account is never taken over by a name.
pub async fn with_external_name(db: &Db, config: &Config, asserted: &str, external_id: &str) -> Result<NewSession> {
    let username = username_from_external(asserted).map_err(|m| invalid("username", m))?;
    let mut conn = db.write().await?;
    let user = transaction!(&mut conn, |tx| {
        if let Some(user) = users::by_external_id(tx, external_id).await? {
            return Ok(user);
        }
        if let Some(user) = users::by_username(tx, &username).await? {
            if user.password_hash.is_some() || user.external_id.is_some() {
                return Err(Error::Forbidden(format!(
                    "the account '{username}' belongs to another sign-in method; an administrator must link it"
                )));
            }
            users::link_external(tx, UserId(user.id), external_id).await?;
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
            external_id: Some(external_id),
        };
        let id = users::insert(tx, &row).await?;
        // Provisioned once, when the account is made, as accounts made by an administrator:
        // what an administrator later takes away stays away.
        provision(tx, id, &username, now).await?;
        users::by_id(tx, id).await?.ok_or(Error::NotFound("user"))
    })?;
    drop(conn);
    if !user.active {
        return Err(Error::Forbidden("this account is deactivated; ask an administrator".into()));
    }
    start_session(db, config, user).await
}

async fn is_admin(db: &Db, user: UserId) -> Result<bool> {
    super::accounts::holds_admin(&mut db.read().await?.tx(), user).await
}

/// Records the sign-in and stores a new session.
async fn start_session(db: &Db, config: &Config, user: UserRow) -> Result<NewSession> {
    let token = secret::random_secret();
    let csrf = secret::random_secret();
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let now = db::now();
        let id = UserId(user.id);
        users::record_login(tx, id, now).await?;
        let expires = now + Duration::hours(config.session_hours);
        sessions::insert(tx, &secret::digest(&token), &csrf, id, now, expires).await?;
        Ok::<_, Error>(())
    })?;
    Ok(NewSession { token, csrf, user })
}

/// Ends the session with this token hash.
/// Ends the session with this token hash; returns whose it was (for the audit trail).
pub async fn logout(db: &Db, token_hash: &str) -> Result<Option<(UserId, String)>> {
    let mut conn = db.write().await?;
    let mut tx = conn.tx();
    let owner = sessions::find_valid(&mut tx, token_hash, db::now()).await?;
    sessions::delete(&mut tx, token_hash).await?;
    Ok(owner.map(|(_, _, user)| (UserId(user.id), user.username)))
}

/// Gives `user` the `Admin` role (used when seeding the built-in administrator).
pub async fn make_admin(tx: &mut Tx<'_>, user: UserId) -> Result<()> {
    let admin = crate::db::roles::by_name(tx, ADMIN_ROLE).await?.ok_or(Error::NotFound("role Admin"))?;
    users::add_role(tx, user, RoleId(admin.id)).await?;
    Ok(())
}

/// How long a single sign-on attempt may take between redirect and callback.
const OIDC_ATTEMPT_SECONDS: i64 = 600;

/// Starts single sign-on: the provider URL to visit and the sealed attempt (state, nonce,
/// PKCE verifier, start time) for an HttpOnly cookie, which ties the callback to this browser.
pub fn start_oidc(provider: &OidcProvider, secrets: &SecretBox) -> Result<(String, String)> {
    let auth = provider.authorize().map_err(|e| Error::Unavailable(e.to_string()))?;
    let started = chrono::Utc::now().timestamp();
    let sealed = secrets.seal(&format!("{}\n{}\n{}\n{started}", auth.state, auth.nonce, auth.pkce_verifier));
    Ok((auth.url, sealed))
}

/// Completes single sign-on from the provider's callback and the browser's attempt cookie.
pub async fn finish_oidc(
    db: &Db,
    config: &Config,
    provider: &OidcProvider,
    secrets: &SecretBox,
    code: &str,
    state: &str,
    attempt: Option<&str>,
) -> Result<NewSession> {
    const STALE: &str = "unknown or expired sign-on attempt; start again";
    let opened = attempt.and_then(|a| secrets.open(a)).ok_or(Error::Unauthenticated(STALE))?;
    let parts: Vec<&str> = opened.split('\n').collect();
    let [expected, nonce, verifier, started] = parts.as_slice() else { return Err(Error::Unauthenticated(STALE)) };
    let age = chrono::Utc::now().timestamp() - started.parse::<i64>().unwrap_or(0);
    if !(0..=OIDC_ATTEMPT_SECONDS).contains(&age) || !secret::same(expected, state) {
        return Err(Error::Unauthenticated(STALE));
    }
    let identity =
        provider.finish(code.to_owned(), (*nonce).to_owned(), (*verifier).to_owned()).await.map_err(|e| match e {
            OidcError::Provider(m) => Error::Unavailable(m),
            other => Error::Forbidden(other.to_string()),
        })?;
    with_external_name(db, config, &identity.name, &identity.external_id).await
}
