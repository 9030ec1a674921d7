//! Project groups and members through the API.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestApp;

fn names(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

on_both_backends!(org_projects_have_typed_validated_expand, async |app: TestApp| {
    let ann = app.user("ann").await;
    let (status, project) = ann
        .post(
            "/api/v1/projects",
            &json!({"name": "vision", "kind": "org", "description": "CV team",
            "expand": {"cluster": "gpu-east", "node_selector": "zone=a", "org": "vision", "owner": "ann"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    assert_eq!(project["my_role"], "creator");
    assert_eq!(project["member_count"], 1);
    assert_eq!(project["created_by"], "ann");
    assert_eq!(project["expand"]["cluster"], "gpu-east");
    assert_eq!(project["expand"]["volume_mount"], "kubeflow-user-workspace(pvc):/mnt");
    assert_eq!(project["expand"]["owner"], "ann", "unknown keys are kept");
    assert_eq!(project["warnings"].as_array().unwrap().len(), 1, "and flagged");

    let (status, body) = ann
        .post(
            "/api/v1/projects",
            &json!({"name": "nlp", "kind": "org",
            "expand": {"cluster": "mars", "volume_mount": "x(bucket):/x", "node_selector": "bad"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["expand.cluster", "expand.node_selector", "expand.volume_mount"]);
    let (status, body) = ann.post("/api/v1/projects", &json!({"name": "vision", "kind": "org"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(common::error_fields(&body), ["name"]);
    let (status, _) = ann.post("/api/v1/projects", &json!({"name": "vision", "kind": "job-template"})).await;
    assert_eq!(status, StatusCode::CREATED, "names are unique per kind only");

    let me: app::model::Me = ann.get_as("/api/v1/me").await;
    let mine: Vec<&str> = me.projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(mine, ["public", "vision"]);
    let only_mine: Value = ann.get_as("/api/v1/projects?kind=org&mine=true").await;
    assert_eq!(names(&only_mine), ["public", "vision"]);
});

on_both_backends!(categories_are_ordered_by_index, async |app: TestApp| {
    let admin = app.admin().await;
    let (status, _) = admin
        .post("/api/v1/projects", &json!({"name": "aaa-last", "kind": "job-template", "expand": {"index": 99}}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, first) = admin
        .post("/api/v1/projects", &json!({"name": "zzz-first", "kind": "job-template", "expand": {"index": 0}}))
        .await;
    let cats: Value = admin.get_as("/api/v1/projects?kind=job-template&page_size=200").await;
    let got = names(&cats);
    assert_eq!(got.first().map(String::as_str), Some("zzz-first"));
    assert_eq!(got.last().map(String::as_str), Some("aaa-last"));
    assert_eq!(got[1], "basic-commands", "seeded categories keep their order");
    let id = first["id"].as_i64().unwrap();
    let (status, moved) = admin.patch(&format!("/api/v1/projects/{id}"), &json!({"expand": {"index": 100}})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let cats: Value = admin.get_as("/api/v1/projects?kind=job-template&page_size=200").await;
    assert_eq!(names(&cats).last().map(String::as_str), Some("zzz-first"));
    let (status, body) = admin.patch(&format!("/api/v1/projects/{id}"), &json!({"expand": {"index": "high"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["expand.index"]);
});

on_both_backends!(only_creators_and_admins_manage_projects, async |app: TestApp| {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let admin = app.admin().await;
    let (_, project) = ann.post("/api/v1/projects", &json!({"name": "vision", "kind": "org"})).await;
    let id = project["id"].as_i64().unwrap();
    let path = format!("/api/v1/projects/{id}");

    let (status, _) = bob.patch(&path, &json!({"description": "mine now"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bob.post(&format!("{path}/members"), &json!({"username": "bob", "role": "creator"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, members) = ann.post(&format!("{path}/members"), &json!({"username": "bob", "role": "dev"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(members.as_array().unwrap().len(), 2);
    let (status, _) = ann.post(&format!("{path}/members"), &json!({"username": "bob", "role": "ops"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = ann.post(&format!("{path}/members"), &json!({"username": "ghost", "role": "dev"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["username"]);
    let (status, _) = bob.patch(&path, &json!({"description": "still not"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "dev members do not manage the project");

    let ann_id =
        members.as_array().unwrap().iter().find(|m| m["username"] == "ann").unwrap()["user_id"].as_i64().unwrap();
    let (status, body) = ann.patch(&format!("{path}/members/{ann_id}"), &json!({"role": "dev"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "the last creator stays: {body}");
    let (status, _) = ann.delete(&format!("{path}/members/{ann_id}")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, updated) = admin.patch(&path, &json!({"description": "fixed by admin"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["description"], "fixed by admin");
    let (status, _) = ann.delete(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only administrators delete");
    let (status, _) = admin.delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = admin.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let public: Value = admin.get_as("/api/v1/projects?kind=org").await;
    let public_id = public["items"][0]["id"].as_i64().unwrap();
    let (status, _) = admin.delete(&format!("/api/v1/projects/{public_id}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
});
