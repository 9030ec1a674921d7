//! Every route declares its permission, the guard enforces it, and the OpenAPI document says
//! the same as the router.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The only routes that may be called without a permission.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/api/v1/auth/methods"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/break-glass"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/trusted-header"),
    ("GET", "/api/v1/auth/oidc/start"),
    ("GET", "/api/v1/auth/oidc/callback"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/openapi.json"),
];

fn concrete(path: &str) -> String {
    path.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/")
}

on_both_backends!(every_route_declares_and_enforces_a_permission, async |app: common::TestApp| {
    assert!(app.routes.len() > 15, "route table looks empty: {:?}", app.routes);
    let public: BTreeSet<(String, String)> = PUBLIC.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let anonymous = app.anonymous();
    for route in &app.routes {
        let key = (route.method.to_owned(), route.path.clone());
        match route.permission {
            None => {
                assert!(public.contains(&key), "{} {} has no permission and is not public", route.method, route.path)
            }
            Some(_) => {
                assert!(!public.contains(&key));
                let method = Method::from_bytes(route.method.as_bytes()).unwrap();
                let body = (method != Method::GET).then(|| serde_json::json!({}));
                let (status, body) = anonymous.request(method, &concrete(&route.path), body.as_ref()).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {} without credentials", route.method, route.path);
                assert_eq!(common::error_code(&body), "unauthenticated");
            }
        }
    }
});

on_both_backends!(openapi_matches_the_route_table, async |app: common::TestApp| {
    let (status, doc) = app.anonymous().get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for route in app.routes.iter().filter(|r| r.path != "/api/v1/openapi.json") {
        let op = &paths[&route.path][route.method.to_lowercase()];
        assert!(op.is_object(), "{} {} missing from OpenAPI", route.method, route.path);
        let declared = op.get("x-permission").and_then(Value::as_str).map(str::to_owned);
        assert_eq!(declared, route.permission.map(|p| p.to_string()), "{} {}", route.method, route.path);
    }
    for path in paths.keys() {
        assert!(
            path == "/healthz" || path == "/readyz" || path == "/metrics" || path.starts_with("/api/v1/"),
            "{path}"
        );
    }
});

on_both_backends!(ordinary_users_are_refused_admin_areas, async |app: common::TestApp| {
    let user = app.user("alice").await;
    for path in ["/api/v1/users", "/api/v1/roles", "/api/v1/permissions", "/api/v1/audit-log", "/metrics"] {
        let (status, body) = user.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(common::error_code(&body), "forbidden");
    }
    let (status, _) =
        user.post("/api/v1/users", &serde_json::json!({"username": "mallory", "password": "longenough"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = user.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, text) = app.admin().await.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.as_str().unwrap().contains("cubist_http_requests_total"));
});

on_both_backends!(gamma_holds_everything_but_the_admin_areas, async |app: common::TestApp| {
    let admin = app.admin().await;
    let roles: Value = admin.get_as("/api/v1/roles?page_size=200").await;
    let perms: Value = admin.get_as("/api/v1/permissions?page_size=200").await;
    let find = |name: &str| roles["items"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    let (admin_role, gamma) = (find("Admin"), find("Gamma"));
    let all = perms["items"].as_array().unwrap();
    assert_eq!(admin_role["permissions"].as_array().unwrap().len(), all.len());
    let expected: BTreeSet<i64> =
        all.iter().filter(|p| p["admin_only"] == false).map(|p| p["id"].as_i64().unwrap()).collect();
    let got: BTreeSet<i64> = gamma["permissions"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap()).collect();
    assert_eq!(got, expected);
    assert!(all.iter().any(|p| p["resource"] == "users" && p["admin_only"] == true));
});

on_both_backends!(every_route_demands_exactly_its_declared_permission, async |app: common::TestApp| {
    let admin = app.admin().await;
    let probe = app.user("probe").await;
    let perms: Value = admin.get_as("/api/v1/permissions?page_size=200").await;
    let all: Vec<(String, i64)> = perms["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                format!("{}:{}", p["action"].as_str().unwrap(), p["resource"].as_str().unwrap()),
                p["id"].as_i64().unwrap(),
            )
        })
        .collect();
    let (_, role) = admin.post("/api/v1/roles", &serde_json::json!({"name": "all-but-one", "permissions": []})).await;
    let role_id = role["id"].as_i64().unwrap();
    let me: app::model::Me = probe.get_as("/api/v1/me").await;
    let personal: Vec<i64> = me.user.roles.iter().filter(|r| r.name == "probe").map(|r| r.id.0).collect();
    let roles: Vec<i64> = personal.into_iter().chain([role_id]).collect();
    let (status, _) = admin.patch(&format!("/api/v1/users/{}", me.user.id), &serde_json::json!({"roles": roles})).await;
    assert_eq!(status, StatusCode::OK, "the probe holds only its personal role and the role under test");

    let grant = async |except: Option<&str>| {
        let ids: Vec<i64> = all.iter().filter(|(key, _)| Some(key.as_str()) != except).map(|(_, id)| *id).collect();
        let body = serde_json::json!({"name": "all-but-one", "permissions": ids});
        let (status, _) = admin.put(&format!("/api/v1/roles/{role_id}"), &body).await;
        assert_eq!(status, StatusCode::OK);
    };
    let call = async |method: &str, path: &str| {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| serde_json::json!({}));
        let path = concrete(path);
        let sent = probe.request(method, &path, body.as_ref());
        tokio::time::timeout(std::time::Duration::from_secs(10), sent).await.ok()
    };
    let guarded = app.routes.iter().filter_map(|r| r.permission.map(|p| (r, p.to_string())));
    for (route, permission) in guarded {
        grant(Some(&permission)).await;
        let (status, body) = call(route.method, &route.path).await.expect("a refused request answers at once");
        assert_eq!(status, StatusCode::FORBIDDEN, "{} {} without {permission}: {body}", route.method, route.path);
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&permission),
            "{} {}: refused for {permission}, not another: {body}",
            route.method,
            route.path
        );

        grant(None).await;
        if let Some((status, body)) = call(route.method, &route.path).await {
            let refused_by_guard = status == StatusCode::FORBIDDEN && body.to_string().contains("lack the permission");
            assert!(!refused_by_guard, "{} {} with every permission: {body}", route.method, route.path);
        }
    }
});
