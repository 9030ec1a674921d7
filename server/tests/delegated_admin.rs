//! Delegated administrators (holders of `edit:users` or `edit:roles` without the `Admin`
//! role) manage accounts and roles without ever gaining more than they hold.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;

async fn user_id(admin: &common::Client, name: &str) -> i64 {
    let users: Value = admin.get_as("/api/v1/users?page_size=100").await;
    users["items"].as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["id"].as_i64().unwrap()
}

on_both_backends!(user_managers_cannot_touch_administrators, async |app: TestApp| {
    let admin = app.admin().await;
    let ivy = app.user("ivy").await;
    let _bob = app.user("bob").await;
    common::grant(&admin, &ivy, "User editors", "edit", "users").await;
    let admin_id = user_id(&admin, "admin").await;
    let bob_id = user_id(&admin, "bob").await;

    for change in [json!({"password": "taken-over-now"}), json!({"active": false}), json!({"email": "ivy@evil.io"})] {
        let (status, body) = ivy.patch(&format!("/api/v1/users/{admin_id}"), &change).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{change}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("administrator"), "{body}");
    }
    let (status, body) = ivy.patch(&format!("/api/v1/users/{bob_id}"), &json!({"nickname": "Bobby"})).await;
    assert_eq!(status, StatusCode::OK, "an ordinary account is theirs to manage: {body}");
    assert_eq!(body["nickname"], "Bobby");
    let rex = app.user("rex").await;
    common::grant(&admin, &rex, "Role editors", "edit", "roles").await;
    let rex_id = user_id(&admin, "rex").await;
    let (status, body) = ivy.patch(&format!("/api/v1/users/{rex_id}"), &json!({"password": "taken-over-too"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "rex holds edit:roles, which ivy lacks: {body}");

    let still: Value = admin.get_as(&format!("/api/v1/users/{admin_id}")).await;
    assert_eq!(still["active"], true);
    assert!(still["email"] != "ivy@evil.io");
    let again = app.admin().await;
    let (status, _) = again.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "the administrator's password is unchanged");
});

on_both_backends!(role_managers_grant_only_what_they_hold, async |app: TestApp| {
    let admin = app.admin().await;
    let rex = app.user("rex").await;
    let held = common::grant(&admin, &rex, "Role editors", "edit", "roles").await;
    common::grant(&admin, &rex, "Role makers", "add", "roles").await;
    let perms: Value = admin.get_as("/api/v1/permissions?page_size=200").await;
    let id_of = |action: &str, resource: &str| {
        perms["items"].as_array().unwrap().iter().find(|p| p["action"] == action && p["resource"] == resource).unwrap()
            ["id"]
            .as_i64()
            .unwrap()
    };
    let (edit_roles, edit_users) = (id_of("edit", "roles"), id_of("edit", "users"));

    let (status, body) =
        rex.post("/api/v1/roles", &json!({"name": "Sneaky", "permissions": [edit_roles, edit_users]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("edit:users"), "{body}");
    let roles: Value = admin.get_as("/api/v1/roles?q=Sneaky").await;
    assert_eq!(roles["total"], 0, "nothing half-written");

    let (status, made) = rex.post("/api/v1/roles", &json!({"name": "Helpers", "permissions": [edit_roles]})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let made_id = made["id"].as_i64().unwrap();
    let (status, body) =
        rex.put(&format!("/api/v1/roles/{made_id}"), &json!({"name": "Helpers", "permissions": [edit_users]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) =
        rex.put(&format!("/api/v1/roles/{made_id}"), &json!({"name": "Helpers 2", "permissions": []})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) =
        rex.put(&format!("/api/v1/roles/{held}"), &json!({"name": "Role editors", "permissions": [edit_roles]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a role one holds is not one's own to change: {body}");
    let (status, _) = admin
        .put(
            &format!("/api/v1/roles/{held}"),
            &json!({"name": "Role editors", "permissions": [edit_roles, edit_users]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "administrators grant anything");
});
