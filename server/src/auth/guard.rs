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
    let mut response = match outcome {
        Ok(identity) => {
            let actor = AuditActor { user_id: Some(identity.user_id), username: identity.username.clone() };
            req.extensions_mut().insert(identity);
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

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The caller behind a bearer token or a session cookie, if any.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Identity>, ApiError> {
    let now = db::now();
    let mut conn = state.db.read().await?;
    let mut tx = conn.tx();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let (user, via) = if let Some(token) = bearer {
        let Some((token_id, last_used, user)) = tokens::find_valid(&mut tx, &secret::digest(token.trim()), now).await?
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
        (user, AuthVia::ApiToken)
    } else {
        let jar = CookieJar::from_headers(headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Ok(None);
        };
        let token_hash = secret::digest(cookie.value());
        let Some((csrf_token, user)) = sessions::find_valid(&mut tx, &token_hash, now).await? else {
            return Ok(None);
        };
        (user, AuthVia::Session { csrf_token })
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
    Ok(Some(Identity { user_id: UserId(user.id), username: user.username, permissions, via, is_admin }))
}
