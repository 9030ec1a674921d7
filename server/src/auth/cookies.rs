//! The session and CSRF cookies. The session cookie is HttpOnly and SameSite=Lax; the CSRF
//! cookie is readable by the page, which echoes it in `X-CSRF-Token` on every write.

use axum_extra::extract::cookie::{Cookie, SameSite};

pub const SESSION_COOKIE: &str = "cubist_session";
pub const CSRF_COOKIE: &str = "cubist_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

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

/// Removal cookies for both.
pub fn sign_out() -> [Cookie<'static>; 2] {
    [SESSION_COOKIE, CSRF_COOKIE].map(|name| Cookie::build((name, "")).path("/").build())
}

fn time_duration(hours: i64) -> time::Duration {
    time::Duration::hours(hours)
}
