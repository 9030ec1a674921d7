//! The session and CSRF cookies. The session cookie is HttpOnly and SameSite=Lax; the CSRF
//! cookie is readable by the page, which echoes it in `X-CSRF-Token` on every write.

use axum_extra::extract::cookie::{Cookie, SameSite};

pub const SESSION_COOKIE: &str = "cubist_session";
pub const CSRF_COOKIE: &str = "cubist_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The sealed single-sign-on attempt, sent only to the OIDC endpoints.
pub const OIDC_COOKIE: &str = "cubist_oidc";
const OIDC_PATH: &str = "/api/v1/auth/oidc";

/// The cookies that sign a browser in.
pub fn sign_in(session: String, csrf: String, secure: bool, hours: i64) -> [Cookie<'static>; 2] {
    let max_age = time_duration(hours);
    let session = Cookie::build((SESSION_COOKIE, session))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(max_age)
        .build();
    let csrf = Cookie::build((CSRF_COOKIE, csrf))
        .path("/")
        .http_only(false)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(max_age)
        .build();
    [session, csrf]
}

/// The cookie carrying a sealed sign-on attempt for ten minutes (Lax: it must come back on
/// the provider's top-level redirect).
pub fn oidc_attempt(sealed: String, secure: bool) -> Cookie<'static> {
    Cookie::build((OIDC_COOKIE, sealed))
        .path(OIDC_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::minutes(10))
        .build()
}

pub fn oidc_attempt_removal() -> Cookie<'static> {
    Cookie::build((OIDC_COOKIE, "")).path(OIDC_PATH).build()
}

/// Removal cookies for both.
pub fn sign_out() -> [Cookie<'static>; 2] {
    [SESSION_COOKIE, CSRF_COOKIE].map(|name| Cookie::build((name, "")).path("/").build())
}

fn time_duration(hours: i64) -> time::Duration {
    time::Duration::hours(hours)
}
