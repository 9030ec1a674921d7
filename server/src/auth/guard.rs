//! The guard in front of every protected route: authenticate (session cookie or bearer
//! token), refuse cookie writes without the CSRF token, check the route's permission, then
//! hand the [`Identity`] to the handler.

use std::collections::HashSet;

use app::domain::permissions::PermissionKey;
use app::model::UserId;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::cookies::{CSRF_HEADER, SESSION_COOKIE};
use super::{AuthVia, Identity, secret};
use crate::api::error::ApiError;
use crate::audit::{AuditActor, RoutePermission};
use crate::db::{self, sessions, tokens};
use crate::state::AppState;

/// Minimum time between two `last_used_at` updates of one API token.
const TOKEN_TOUCH_SECONDS: i64 = 60;

/// Middleware body: lets the request through only with `permission`.
pub async fn require(state: AppState, permission: PermissionKey, mut req: Request, next: Next) -> Response {
    let outcome = check(&state, permission, req.method(), req.headers()).await;
    let writes = !is_safe(req.method());
    let mut response = match outcome {
        Ok(identity) => {
            let actor = AuditActor { user_id: Some(identity.user_id), username: identity.username.clone() };
            req.extensions_mut().insert(identity);
            // A write may change who may do what: the callers kept are read again after it,
            // also when it is cut short after committing (the client left, a panic).
            let _forget = writes.then(|| ForgetAfter(&state.auth_cache));
            let mut response = next.run(req).await;
            response.extensions_mut().insert(actor);
            response
        }
        Err((error, actor)) => {
            let mut response = error.into_response();
            if let Some(actor) = actor {
                response.extensions_mut().insert(actor);
            }
            response
        }
    };
    response.extensions_mut().insert(RoutePermission(permission));
    response
}

async fn check(
    state: &AppState,
    permission: PermissionKey,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Identity, (ApiError, Option<AuditActor>)> {
    let identity = authenticate(state, headers)
        .await
        .map_err(|e| (e, None))?
        .ok_or_else(|| (ApiError::unauthenticated(), None))?;
    let actor = || Some(AuditActor { user_id: Some(identity.user_id), username: identity.username.clone() });
    if let AuthVia::Session { csrf_token, .. } = &identity.via
        && !is_safe(method)
    {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !secret::same(sent, csrf_token) {
            return Err((ApiError::csrf(), actor()));
        }
    }
    if !identity.can(permission) {
        return Err((ApiError::forbidden(permission), actor()));
    }
    Ok(identity)
}

/// Forgets the kept callers when dropped.
struct ForgetAfter<'a>(&'a super::cache::AuthCache);

impl Drop for ForgetAfter<'_> {
    fn drop(&mut self) {
        self.0.forget_all();
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The caller behind a bearer token or a session cookie, if any: kept for a few seconds
/// ([`super::cache`]), otherwise read from the database.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Identity>, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let key = match bearer {
        Some(token) => format!("token:{}", secret::digest(token.trim())),
        None => match CookieJar::from_headers(headers).get(SESSION_COOKIE) {
            Some(cookie) => format!("session:{}", secret::digest(cookie.value())),
            None => return Ok(None),
        },
    };
    let since = match state.auth_cache.get(&key) {
        Ok(identity) => return Ok(Some(identity)),
        Err(since) => since,
    };
    let found = read_caller(state, bearer.map(str::trim), &key).await?;
    Ok(found.map(|(identity, expires_at)| {
        let left = expires_at.map(|at| (at - db::now()).to_std().unwrap_or_default());
        state.auth_cache.put(key, identity.clone(), since, left);
        identity
    }))
}

/// Reads the caller of a token (given) or session (by its key) from the database, with
/// when its credential expires.
async fn read_caller(
    state: &AppState,
    bearer: Option<&str>,
    key: &str,
) -> Result<Option<(Identity, Option<chrono::NaiveDateTime>)>, ApiError> {
    let now = db::now();
    let mut conn = state.db.read().await?;
    let mut tx = conn.tx();
    let (user, via, expires_at) = if let Some(token) = bearer {
        let Some((token_id, last_used, expires_at, user)) =
            tokens::find_valid(&mut tx, &secret::digest(token), now).await?
        else {
            return Ok(None);
        };
        if last_used.is_none_or(|t| (now - t).num_seconds() >= TOKEN_TOUCH_SECONDS) {
            // Never wait for the writer while holding a reader: that can deadlock the pools.
            drop(conn);
            let mut write = state.db.write().await?;
            tokens::touch(&mut write.tx(), token_id, now).await?;
            drop(write);
            conn = state.db.read().await?;
            tx = conn.tx();
        }
        (user, AuthVia::ApiToken, expires_at)
    } else {
        let token_hash = key.strip_prefix("session:").unwrap_or_default();
        let Some((csrf_token, expires_at, user)) = sessions::find_valid(&mut tx, token_hash, now).await? else {
            return Ok(None);
        };
        (user, AuthVia::Session { csrf_token }, Some(expires_at))
    };
    if !user.active {
        return Ok(None);
    }
    let permissions: HashSet<PermissionKey> =
        db::permissions::of_user(&mut tx, UserId(user.id)).await?.into_iter().collect();
    let is_admin = db::users::roles_of(&mut tx, &[user.id])
        .await?
        .get(&user.id)
        .is_some_and(|roles| roles.iter().any(|r| r.name == crate::domain::rbac::ADMIN_ROLE));
    let identity = Identity { user_id: UserId(user.id), username: user.username, permissions, via, is_admin };
    Ok(Some((identity, expires_at)))
}
