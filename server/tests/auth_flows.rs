//! Sign-in methods, sessions, CSRF, API tokens and first-login provisioning.

#![allow(clippy::unwrap_used)]

mod common;

use app::model::{LoginMethod, Me};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{ADMIN_PASSWORD, Backend, Client, TestApp};

/// The raw answer to the administrator's password sign-in (headers included).
async fn admin_login(app: &TestApp) -> reqwest::Response {
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD});
    app.anonymous().http.post(format!("{}/api/v1/auth/login", app.base)).json(&body).send().await.unwrap()
}

on_both_backends!(password_login_sets_http_only_session_and_csrf_cookies, async |app: TestApp| {
    let resp = admin_login(&app).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cookies: Vec<String> =
        resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("cubist_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "served over plain HTTP: {session}");
    assert!(resp.headers().get("strict-transport-security").is_none());
    let csrf = cookies.iter().find(|c| c.starts_with("cubist_csrf=")).unwrap();
    assert!(!csrf.contains("HttpOnly"), "{csrf}");
    let user: Value = resp.json().await.unwrap();
    assert_eq!(user["username"], "admin");
    assert!(user.get("password_hash").is_none() && !user.to_string().contains("argon2"));
});

async fn an_https_public_url_makes_cookies_secure_and_asks_for_hsts(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.public_url = Some("https://cubist.example.com".into())).await;
    let resp = admin_login(&app).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let hsts = resp.headers()["strict-transport-security"].to_str().unwrap().to_owned();
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
    for cookie in resp.headers().get_all("set-cookie") {
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.contains("Secure"), "{cookie}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_public_url_sqlite() {
    an_https_public_url_makes_cookies_secure_and_asks_for_hsts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_public_url_postgres() {
    an_https_public_url_makes_cookies_secure_and_asks_for_hsts(Backend::Postgres).await;
}

on_both_backends!(wrong_credentials_are_refused_alike, async |app: TestApp| {
    let client = app.anonymous();
    let (s1, b1) = client.post("/api/v1/auth/login", &json!({"username": "admin", "password": "nope-nope"})).await;
    let (s2, b2) = client.post("/api/v1/auth/login", &json!({"username": "ghost", "password": "nope-nope"})).await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(b1, b2, "unknown and known users must look the same");
    let (s, b) = client.post("/api/v1/auth/login", &json!({"username": "admin"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&b), ["password"]);
    let (s, b) = client.get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(common::error_code(&b), "unauthenticated");
});

on_both_backends!(cookie_writes_need_the_csrf_token, async |app: TestApp| {
    let mut admin = app.admin().await;
    admin.send_csrf = false;
    let (status, body) = admin.patch("/api/v1/me", &json!({"nickname": "Boss"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(common::error_code(&body), "csrf_mismatch");
    let csrf = admin.cookie("cubist_csrf").unwrap();
    let resp = admin
        .http
        .patch(format!("{}/api/v1/me", app.base))
        .header("x-csrf-token", format!("{csrf}x"))
        .json(&json!({"nickname": "Boss"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    admin.send_csrf = true;
    let (status, body) = admin.patch("/api/v1/me", &json!({"nickname": "Boss", "language": "zh"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["nickname"], "Boss");
    assert_eq!(body["user"]["language"], "zh");
});

on_both_backends!(logout_ends_the_session, async |app: TestApp| {
    let admin = app.admin().await;
    let stolen = admin.cookie("cubist_session").unwrap();
    let (status, _) = admin.post("/api/v1/auth/logout", &json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let replay = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", format!("cubist_session={stolen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
});

on_both_backends!(api_tokens_work_without_cookies_and_can_be_revoked, async |app: TestApp| {
    let user = app.user("bob").await;
    let (status, created) = user.post("/api/v1/me/tokens", &json!({"name": "ci", "expires_in_days": 30})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("cubist_"));
    let (_, list) = user.get("/api/v1/me/tokens").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret), "a listed token must not reveal its secret");

    let program = Client::with_token(&app.base, &secret);
    let me: Me = program.get_as("/api/v1/me").await;
    assert_eq!(me.user.username, "bob");
    let (status, _) = program.patch("/api/v1/me", &json!({"nickname": "Robot"})).await;
    assert_eq!(status, StatusCode::OK, "bearer writes need no CSRF token");

    let id = created["token"]["id"].as_i64().unwrap();
    let (status, _) = user.delete(&format!("/api/v1/me/tokens/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = program.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = user.delete(&format!("/api/v1/me/tokens/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = user.post("/api/v1/me/tokens", &json!({"name": " ", "expires_in_days": 0})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["name", "expires_in_days"]);
});

on_both_backends!(first_login_provisions_once, async |app: TestApp| {
    let carol = app.user("carol").await;
    let again = app.login("carol", "carol-password").await;
    for client in [&carol, &again] {
        let me: Me = client.get_as("/api/v1/me").await;
        let mut names: Vec<&str> = me.roles.iter().map(|r| r.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Gamma", "carol"]);
        assert_eq!(me.projects.len(), 1);
        assert_eq!(me.projects[0].name, "public");
        assert_eq!(me.projects[0].role, app::model::ProjectRole::Dev);
    }

    // An administrator takes the Gamma role and the `public` membership away: signing in
    // again does not give them back.
    let admin = app.admin().await;
    let me: Me = carol.get_as("/api/v1/me").await;
    let own: Vec<i64> = me.roles.iter().filter(|r| r.name == "carol").map(|r| r.id.0).collect();
    let (status, body) = admin.patch(&format!("/api/v1/users/{}", me.user.id), &json!({"roles": own})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let public = me.projects[0].project_id.0;
    let (status, body) = admin.delete(&format!("/api/v1/projects/{public}/members/{}", me.user.id)).await;
    assert!(status.is_success(), "{body}");
    app.login("carol", "carol-password").await;
    let user: serde_json::Value = admin.get_as(&format!("/api/v1/users/{}", me.user.id)).await;
    let names: Vec<&str> = user["roles"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["carol"], "the Gamma role stays removed: {user}");
    let members: serde_json::Value = admin.get_as(&format!("/api/v1/projects/{public}/members")).await;
    assert!(!members.to_string().contains("\"carol\""), "the public membership stays removed: {members}");
});

on_both_backends!(deactivated_users_cannot_sign_in, async |app: TestApp| {
    let dave = app.user("dave").await;
    let admin = app.admin().await;
    let me: Me = dave.get_as("/api/v1/me").await;
    let (status, body) = admin.patch(&format!("/api/v1/users/{}", me.user.id), &json!({"active": false})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = dave.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "existing sessions end on deactivation");
    let (status, body) =
        app.anonymous().post("/api/v1/auth/login", &json!({"username": "dave", "password": "dave-password"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let admin_me: Me = admin.get_as("/api/v1/me").await;
    let (status, body) = admin.patch(&format!("/api/v1/users/{}", admin_me.user.id), &json!({"active": false})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["active"]);
});

async fn trusted_app(backend: Backend, proxies: &str) -> TestApp {
    let proxies = proxies.to_owned();
    TestApp::spawn_with(backend, move |c| {
        c.auth.enabled = vec![LoginMethod::TrustedHeader];
        c.auth.primary = LoginMethod::TrustedHeader;
        c.auth.trusted_header = Some(server::config::TrustedHeader {
            header: "X-Remote-User".into(),
            proxies: proxies.split(',').map(|p| p.parse().unwrap()).collect(),
        });
    })
    .await
}

async fn trusted_header_signs_in_and_password_is_break_glass_only(backend: Backend) {
    let app = trusted_app(backend, "127.0.0.0/8").await;
    let client = app.anonymous();
    let resp = client
        .http
        .get(format!("{}/api/v1/auth/trusted-header", app.base))
        .header("X-Remote-User", "Erin.Smith@corp.example")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let me: Me = client.get_as("/api/v1/me").await;
    assert_eq!(me.user.username, "erinsmith");
    assert!(me.roles.iter().any(|r| r.name == "Gamma") && me.projects[0].name == "public");

    let (status, body) =
        app.anonymous().post("/api/v1/auth/login", &json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let glass = app.anonymous();
    let (status, _) =
        glass.post("/api/v1/auth/break-glass", &json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _) = glass.post("/api/v1/users", &json!({"username": "frank", "password": "frank-password"})).await;
    let (status, _) = app
        .anonymous()
        .post("/api/v1/auth/break-glass", &json!({"username": "frank", "password": "frank-password"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "break-glass is for administrators only, and says no more");
    let (_, methods) = app.anonymous().get("/api/v1/auth/methods").await;
    assert_eq!(methods["primary"], "trusted-header");

    let untrusted = trusted_app(backend, "10.0.0.0/8").await;
    let resp = untrusted
        .anonymous()
        .http
        .get(format!("{}/api/v1/auth/trusted-header", untrusted.base))
        .header("X-Remote-User", "mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "headers from untrusted peers are ignored");
    let glass = untrusted.anonymous();
    let (status, _) =
        glass.post("/api/v1/auth/break-glass", &json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
    let denied: Value = glass.get_as("/api/v1/audit-log?outcome=denied").await;
    let failed = denied["items"].as_array().unwrap().iter().find(|e| e["path"] == "/api/v1/auth/trusted-header");
    assert_eq!(failed.map(|e| e["status"].clone()), Some(json!(401)), "a failed sign-in of every method is audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_header_sqlite() {
    trusted_header_signs_in_and_password_is_break_glass_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_header_postgres() {
    trusted_header_signs_in_and_password_is_break_glass_only(Backend::Postgres).await;
}

on_both_backends!(repeated_failures_are_throttled, async |app: TestApp| {
    let client = app.anonymous();
    for _ in 0..server::auth::throttle::MAX_FAILURES {
        let (status, _) =
            client.post("/api/v1/auth/login", &json!({"username": "admin", "password": "wrong-guess"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) =
        client.post("/api/v1/auth/login", &json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits: {body}");
    assert_eq!(common::error_code(&body), "rate_limited");
    let (status, _) = client.post("/api/v1/auth/login", &json!({"username": "other", "password": "whatever-1"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "other usernames are not locked");
});
