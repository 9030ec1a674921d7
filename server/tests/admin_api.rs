//! Users, roles, validation and the audit log through the API.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;

on_both_backends!(validation_errors_name_every_bad_field, async |app: TestApp| {
    let admin = app.admin().await;
    let (status, body) =
        admin.post("/api/v1/users", &json!({"username": "Bad_Name", "password": "short", "email": "nope"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_code(&body), "validation");
    assert_eq!(common::error_fields(&body), ["username", "password", "email"]);
    let (status, body) = admin.post("/api/v1/users", &json!({"username": "ok-name", "password": 12})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["password"]);
    let (status, body) = admin
        .post("/api/v1/users", &json!({"username": "ok-name", "password": "long-enough", "roles": [1, "x"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["roles[1]"]);
    let (status, body) =
        admin.post("/api/v1/users", &json!({"username": "ok-name", "password": "long-enough", "roles": [999]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["roles"]);
    let resp = admin
        .http
        .post(format!("{}/api/v1/users", app.base))
        .header("content-type", "application/json")
        .header("x-csrf-token", admin.cookie("cubist_csrf").unwrap())
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (status, body) = admin.get("/api/v1/users?page_size=5000").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["page_size"]);
    let (status, body) = admin.get("/api/v1/users?page=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["page"]);
    let (_, list) = admin.get("/api/v1/users").await;
    assert_eq!(list["total"], 1, "nothing was half-written: {list}");
});

on_both_backends!(users_are_unique_and_paginated, async |app: TestApp| {
    let admin = app.admin().await;
    for name in ["ann", "ben", "cat"] {
        let (status, _) = admin
            .post(
                "/api/v1/users",
                &json!({"username": name, "password": "long-enough", "email": format!("{name}@x.io")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body) = admin.post("/api/v1/users", &json!({"username": "ann", "password": "long-enough"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(common::error_fields(&body), ["username"]);
    let (status, body) =
        admin.post("/api/v1/users", &json!({"username": "dan", "password": "long-enough", "email": "ann@x.io"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(common::error_fields(&body), ["email"]);
    let page: Value = admin.get_as("/api/v1/users?page=2&page_size=2").await;
    assert_eq!(page["total"], 4);
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["ben", "cat"]);
    assert!(page["items"][0]["roles"].as_array().unwrap().iter().any(|r| r["name"] == "Gamma"));
});

on_both_backends!(custom_roles_grant_permissions_and_builtins_are_locked, async |app: TestApp| {
    let admin = app.admin().await;
    let user = app.user("gina").await;
    let (status, _) = user.get("/api/v1/audit-log").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let role_id = common::grant(&admin, &user, "Auditor", "list", "audit-log").await;
    let (status, _) = user.get("/api/v1/audit-log").await;
    assert_eq!(status, StatusCode::OK, "the new role's permission applies at once");

    let (status, body) = admin.post("/api/v1/roles", &json!({"name": "Auditor"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(common::error_fields(&body), ["name"]);
    let roles: Value = admin.get_as("/api/v1/roles?q=gAM&personal=false").await;
    assert_eq!(roles["total"], 1, "name search ignores case on both databases");
    let (_, _) = admin.post("/api/v1/roles", &json!({"name": "dev_team"})).await;
    let (_, _) = admin.post("/api/v1/roles", &json!({"name": "devXteam"})).await;
    let literal: Value = admin.get_as("/api/v1/roles?q=dev_t").await;
    assert_eq!(literal["total"], 1, "'_' is matched literally: {literal}");
    let gamma_id = roles["items"][0]["id"].as_i64().unwrap();
    let (status, _) =
        admin.put(&format!("/api/v1/roles/{gamma_id}"), &json!({"name": "Gamma", "permissions": []})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = admin.delete(&format!("/api/v1/roles/{gamma_id}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = admin.delete(&format!("/api/v1/roles/{role_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = user.get("/api/v1/audit-log").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

on_both_backends!(every_write_is_audited_with_its_outcome, async |app: TestApp| {
    let anonymous = app.anonymous();
    anonymous.post("/api/v1/auth/login", &json!({"username": "admin", "password": "wrong-password"})).await;
    let admin = app.admin().await;
    admin.post("/api/v1/users", &json!({"username": "hal", "password": "long-enough"})).await;
    admin.post("/api/v1/users", &json!({"username": "HAL", "password": "long-enough"})).await;
    let hal = app.login("hal", "long-enough").await;
    hal.post("/api/v1/roles", &json!({"name": "x"})).await;
    admin.get("/api/v1/users").await;

    let log: Value = admin.get_as("/api/v1/audit-log?page_size=50").await;
    let entries: Vec<(String, String, String, i64)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            (
                e["username"].as_str().unwrap_or("-").to_owned(),
                format!("{} {}", e["method"].as_str().unwrap(), e["path"].as_str().unwrap()),
                e["outcome"].as_str().unwrap().to_owned(),
                e["status"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("admin", "POST /api/v1/auth/login", "denied", 401),
        ("admin", "POST /api/v1/auth/login", "success", 200),
        ("admin", "POST /api/v1/users", "success", 201),
        ("admin", "POST /api/v1/users", "failure", 422),
        ("hal", "POST /api/v1/auth/login", "success", 200),
        ("hal", "POST /api/v1/roles", "denied", 403),
    ];
    let got: Vec<(&str, &str, &str, i64)> =
        entries.iter().map(|(u, r, o, s)| (u.as_str(), r.as_str(), o.as_str(), *s)).collect();
    assert_eq!(got, expected, "{log}");
    assert!(got.iter().all(|e| !e.1.starts_with("GET")), "reads are not audited");
    let denied: Value = admin.get_as("/api/v1/audit-log?outcome=denied").await;
    assert_eq!(denied["total"], 2);
    let hal_only: Value = admin.get_as("/api/v1/audit-log?username=hal").await;
    assert_eq!(hal_only["total"], 2);
});

on_both_backends!(delegated_user_managers_cannot_grant_roles, async |app: TestApp| {
    let admin = app.admin().await;
    let ivy = app.user("ivy").await;
    let perms: Value = admin.get_as("/api/v1/permissions?page_size=200").await;
    let pick = |action: &str| {
        perms["items"].as_array().unwrap().iter().find(|p| p["action"] == action && p["resource"] == "users").unwrap()["id"].clone()
    };
    let (_, role) = admin
        .post("/api/v1/roles", &json!({"name": "User managers", "permissions": [pick("edit"), pick("show")]}))
        .await;
    let ivy_me: app::model::Me = ivy.get_as("/api/v1/me").await;
    let mut roles: Vec<i64> = ivy_me.user.roles.iter().map(|r| r.id.0).collect();
    roles.push(role["id"].as_i64().unwrap());
    let (status, _) = admin.patch(&format!("/api/v1/users/{}", ivy_me.user.id), &json!({"roles": roles})).await;
    assert_eq!(status, StatusCode::OK);

    let admin_role: Value = admin.get_as("/api/v1/roles?q=Admin&personal=false").await;
    let admin_id = admin_role["items"][0]["id"].as_i64().unwrap();
    let mut escalate = roles.clone();
    escalate.push(admin_id);
    let (status, _) = ivy.patch(&format!("/api/v1/users/{}", ivy_me.user.id), &json!({"roles": escalate})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "editing users does not include granting roles");

    let (_, token) = ivy.post("/api/v1/me/tokens", &json!({"name": "cli"})).await;
    let program = common::Client::with_token(&app.base, token["secret"].as_str().unwrap());
    let (status, _) = program.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        admin.patch(&format!("/api/v1/users/{}", ivy_me.user.id), &json!({"password": "a-brand-new-one"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = program.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a password reset revokes API tokens too");
});

on_both_backends!(the_audit_log_says_what_changed_and_who_left, async |app: TestApp| {
    let admin = app.admin().await;
    let (_, made) =
        admin.post("/api/v1/users", &json!({"username": "kim", "password": "first-password", "nickname": "Kim"})).await;
    let id = made["id"].as_i64().unwrap();
    let (status, _) = admin
        .patch(&format!("/api/v1/users/{id}"), &json!({"nickname": "Kimberly", "password": "second-password"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let kim = app.login("kim", "second-password").await;
    let (status, _) = kim.post("/api/v1/auth/logout", &json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let log: Value = admin.get_as("/api/v1/audit-log?page_size=50").await;
    let text = log.to_string();
    assert!(!text.contains("first-password") && !text.contains("second-password"), "{text}");
    let items = log["items"].as_array().unwrap();
    let patch = items.iter().find(|e| e["method"] == "PATCH").unwrap();
    let changes = patch["changes"].as_array().unwrap();
    let of = |field: &str| changes.iter().find(|c| c["field"] == field).unwrap_or_else(|| panic!("{field}: {patch}"));
    assert_eq!(of("nickname")["old"], "Kim");
    assert_eq!(of("nickname")["new"], "Kimberly");
    assert_eq!(of("password")["new"], "[redacted]");
    assert_eq!(changes.len(), 2, "nothing else changed: {patch}");
    let created = items.iter().find(|e| e["method"] == "POST" && e["path"] == "/api/v1/users").unwrap();
    assert!(created["changes"].as_array().unwrap().iter().any(|c| c["field"] == "username" && c["new"] == "kim"));
    let logout = items.iter().find(|e| e["path"] == "/api/v1/auth/logout").unwrap();
    assert_eq!(logout["username"], "kim", "{logout}");
});
