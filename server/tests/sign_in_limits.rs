//! Sign-in cannot be used to exhaust or lock the server: credentials longer than any account
//! can have are refused before hashing or logging; a throttled client is told when to come
//! back; behind a trusted proxy the throttle keys on the client the proxy names, so one
//! client cannot lock `admin` out for everyone behind it, and nobody else can name a client.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{ADMIN_PASSWORD, Backend, TestApp};

/// A password sign-in sent as from behind a proxy that says the client is `client`.
async fn sign_in(app: &TestApp, username: &str, password: &str, client: &str) -> (StatusCode, Option<String>, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("X-Forwarded-For", client)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, retry, resp.json().await.unwrap_or(Value::Null))
}

on_both_backends!(overlong_credentials_are_refused_before_hashing, async |app: TestApp| {
    let started = std::time::Instant::now();
    let (status, _, body) = sign_in(&app, &"a".repeat(10_000), "whatever-password", "198.51.100.1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(common::error_fields(&body), ["username"]);
    let (status, _, body) = sign_in(&app, "admin", &"p".repeat(1 << 20), "198.51.100.1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(common::error_fields(&body), ["password"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "no hashing of a megabyte");
    let audit: Value = app.admin().await.get_as("/api/v1/audit-log?page_size=50").await;
    let longest = audit["items"].as_array().unwrap().iter().filter_map(|e| e["username"].as_str()).map(str::len).max();
    assert!(longest.unwrap_or(0) <= app::domain::username::MAX_LEN, "the log keeps names short: {audit}");
});

on_both_databases!(behind_a_trusted_proxy_one_client_cannot_lock_admin_out, proxied);

async fn proxied(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.auth.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    for _ in 0..server::auth::throttle::MAX_FAILURES {
        let (status, ..) = sign_in(&app, "admin", "wrong-password", "198.51.100.7").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, retry, body) = sign_in(&app, "admin", ADMIN_PASSWORD, "198.51.100.7").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the guessing client waits: {body}");
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let (status, _, body) = sign_in(&app, "admin", ADMIN_PASSWORD, "198.51.100.8").await;
    assert_eq!(status, StatusCode::OK, "another client behind the same proxy signs in: {body}");

    // Without trusted proxies, the header is the client's word and counts for nothing.
    let app = TestApp::spawn(backend).await;
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5"] {
        sign_in(&app, "admin", "wrong-password", client).await;
    }
    let (status, ..) = sign_in(&app, "admin", ADMIN_PASSWORD, "198.51.100.6").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a client cannot dodge the throttle by naming itself anew");
}
