//! Sign-in and sign-out: the public part of the API.

use std::net::SocketAddr;

use app::model::{ErrorCode, LoginMethod, LoginMethods, LoginRequest, User};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use utoipa_axum::routes;

use super::ApiRoutes;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::audit::{AuditActor, AuditThis};
use crate::auth::client_address::client_address;
use crate::auth::{cookies, secret, trusted_header};
use crate::domain::{accounts, login};
use crate::state::AppState;

pub fn routes(r: ApiRoutes) -> ApiRoutes {
    r.public(routes!(methods))
        .public(routes!(password_login))
        .public(routes!(break_glass_login))
        .public(routes!(logout))
        .public(routes!(trusted_header_login))
        .public(routes!(oidc_start))
        .public(routes!(oidc_callback))
}

/// The login methods the sign-in page should offer.
#[utoipa::path(get, path = "/api/v1/auth/methods", tag = "auth", responses((status = 200, body = LoginMethods)))]
async fn methods(State(state): State<AppState>) -> Json<LoginMethods> {
    let auth = &state.config.auth;
    let sso_url = if auth.allows(LoginMethod::Oidc) {
        Some("/api/v1/auth/oidc/start".to_owned())
    } else {
        auth.allows(LoginMethod::TrustedHeader).then(|| "/api/v1/auth/trusted-header".to_owned())
    };
    Json(LoginMethods { primary: auth.primary, enabled: auth.enabled.clone(), sso_url })
}

/// Signs in with username and password; sets the session and CSRF cookies.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = User), (status = 401, body = app::model::ErrorResponse)))]
async fn password_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, (Extension<AuditActor>, ApiError)> {
    if !state.config.auth.allows(LoginMethod::Password) {
        let refused = ApiError::new(ErrorCode::Forbidden, "password sign-in is turned off; use single sign-on");
        return Err((attempted_by(&body), refused));
    }
    sign_in(&state, peer, &headers, jar, body, false).await
}

/// Administrators' password sign-in, always available (break-glass when SSO is down).
#[utoipa::path(post, path = "/api/v1/auth/break-glass", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = User), (status = 403, body = app::model::ErrorResponse)))]
async fn break_glass_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, (Extension<AuditActor>, ApiError)> {
    sign_in(&state, peer, &headers, jar, body, true).await
}

/// The audit actor of a sign-in that failed: the name that was tried (cut to the longest a
/// username may be).
fn attempted_by(body: &LoginRequest) -> Extension<AuditActor> {
    let tried: String = body.username.trim().chars().take(app::domain::username::MAX_LEN).collect();
    Extension(AuditActor { user_id: None, username: tried })
}

async fn sign_in(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    jar: CookieJar,
    body: LoginRequest,
    admin_only: bool,
) -> Result<impl IntoResponse + use<>, (Extension<AuditActor>, ApiError)> {
    login::check_shape(&body.username, &body.password).map_err(|e| (attempted_by(&body), e.into()))?;
    // Per username and client: an attacker is slowed without locking the user out elsewhere.
    // Every header line counts: a proxy may add its own line after the client's.
    let forwarded: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let forwarded = forwarded.join(",");
    let client = client_address(peer.ip(), Some(&forwarded), &state.config.auth.trusted_proxies);
    let keys = [format!("{}@{client}", body.username.trim())];
    if let Err(wait) = state.login_throttle.try_attempt(&keys) {
        let minutes = wait.as_secs().div_ceil(60);
        let refused =
            ApiError::new(ErrorCode::RateLimited, format!("too many failed sign-ins; try again in {minutes} min"))
                .retry_after(wait.as_secs().max(1));
        return Err((attempted_by(&body), refused));
    }
    let session = login::with_password(&state.db, &state.config, &body.username, &body.password, admin_only)
        .await
        .map_err(|e| (attempted_by(&body), e.into()))?;
    state.login_throttle.record_success(&keys);
    let user_id = session.user.id;
    let jar = add_session_cookies(state, jar, session.token, session.csrf);
    let user =
        accounts::get(&state.db, app::model::UserId(user_id)).await.map_err(|e| (attempted_by(&body), e.into()))?;
    let actor = AuditActor { user_id: Some(user.id), username: user.username.clone() };
    Ok((jar, Extension(actor), Json(user)))
}

fn add_session_cookies(state: &AppState, jar: CookieJar, token: String, csrf: String) -> CookieJar {
    let [session, csrf] = cookies::sign_in(token, csrf, state.config.cookies_secure(), state.config.session_hours);
    jar.add(session).add(csrf)
}

/// Ends the current session (if any) and clears the cookies.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
async fn logout(State(state): State<AppState>, jar: CookieJar) -> ApiResult<impl IntoResponse> {
    let owner = match jar.get(cookies::SESSION_COOKIE) {
        Some(cookie) => {
            let owner = login::logout(&state.db, &secret::digest(cookie.value())).await?;
            if owner.is_some() {
                state.auth_cache.forget_all();
            }
            owner
        }
        None => None,
    };
    let actor = owner.map(|(id, username)| Extension(AuditActor { user_id: Some(id), username }));
    let [a, b] = cookies::sign_out();
    Ok((jar.remove(a).remove(b), actor, axum::http::StatusCode::NO_CONTENT))
}

/// Signs in the user named by the trusted reverse proxy's header, then goes to the app.
#[utoipa::path(get, path = "/api/v1/auth/trusted-header", tag = "auth",
    responses((status = 303, description = "signed in; redirect to the app"), (status = 401, body = app::model::ErrorResponse)))]
async fn trusted_header_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<impl IntoResponse, ((Extension<AuditActor>, Extension<AuditThis>), ApiError)> {
    let failed = |who: &str| (Extension(AuditActor { user_id: None, username: who.to_owned() }), Extension(AuditThis));
    let Some(config) = state.config.auth.trusted_header.as_ref() else {
        return Err((failed("header"), ApiError::new(ErrorCode::NotFound, "trusted-header sign-in is not configured")));
    };
    let Some(name) = trusted_header::asserted_user(config, peer.ip(), &headers) else {
        let refused = ApiError::new(ErrorCode::Unauthenticated, "no user asserted by a trusted proxy");
        return Err((failed("header"), refused));
    };
    let session = login::with_external_name(&state.db, &state.config, &name, &format!("header:{name}"))
        .await
        .map_err(|e| (failed(&name), e.into()))?;
    let actor =
        AuditActor { user_id: Some(app::model::UserId(session.user.id)), username: session.user.username.clone() };
    let jar = add_session_cookies(&state, jar, session.token, session.csrf);
    Ok((jar, Extension(actor), Extension(AuditThis), Redirect::to("/")))
}

fn provider(state: &AppState) -> ApiResult<&crate::auth::oidc::OidcProvider> {
    state.oidc.as_deref().ok_or_else(|| ApiError::new(ErrorCode::NotFound, "OpenID Connect sign-in is not configured"))
}

/// Starts single sign-on: redirects to the identity provider.
#[utoipa::path(get, path = "/api/v1/auth/oidc/start", tag = "auth",
    responses((status = 303, description = "redirect to the identity provider")))]
async fn oidc_start(State(state): State<AppState>, jar: CookieJar) -> ApiResult<impl IntoResponse> {
    let (url, attempt) = login::start_oidc(provider(&state)?, &state.secrets)?;
    Ok((jar.add(cookies::oidc_attempt(attempt, state.config.cookies_secure())), Redirect::to(&url)))
}

/// What the identity provider sends back.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
struct OidcCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Completes single sign-on: verifies the provider's answer, signs in, goes to the app.
#[utoipa::path(get, path = "/api/v1/auth/oidc/callback", tag = "auth", params(OidcCallback),
    responses((status = 303, description = "signed in; redirect to the app"), (status = 401, body = app::model::ErrorResponse)))]
async fn oidc_callback(
    State(state): State<AppState>,
    jar: CookieJar,
    super::extract::ApiQuery(q): super::extract::ApiQuery<OidcCallback>,
) -> Result<impl IntoResponse, ((Extension<AuditActor>, Extension<AuditThis>), ApiError)> {
    let anonymous = || (Extension(AuditActor { user_id: None, username: "oidc".into() }), Extension(AuditThis));
    if let Some(error) = q.error {
        let detail = q.error_description.unwrap_or_default();
        return Err((
            anonymous(),
            ApiError::new(ErrorCode::Unauthenticated, format!("the identity provider refused: {error} {detail}")),
        ));
    }
    let (Some(code), Some(st)) = (q.code, q.state) else {
        return Err((anonymous(), ApiError::new(ErrorCode::BadRequest, "code and state are required")));
    };
    let provider = provider(&state).map_err(|e| (anonymous(), e))?;
    let attempt = jar.get(cookies::OIDC_COOKIE).map(|c| c.value().to_owned());
    let session =
        login::finish_oidc(&state.db, &state.config, provider, &state.secrets, &code, &st, attempt.as_deref())
            .await
            .map_err(|e| (anonymous(), e.into()))?;
    let jar = jar.remove(cookies::oidc_attempt_removal());
    let actor =
        AuditActor { user_id: Some(app::model::UserId(session.user.id)), username: session.user.username.clone() };
    let jar = add_session_cookies(&state, jar, session.token, session.csrf);
    Ok((jar, Extension(actor), Extension(AuditThis), Redirect::to("/")))
}
