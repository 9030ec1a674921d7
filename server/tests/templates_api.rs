//! Repositories, images and job templates through the API.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Client, TestApp};

fn ids_of(page: &Value, key: &str) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|t| t[key].as_str().unwrap().to_owned()).collect()
}

async fn category(admin: &Client, name: &str, index: i64) -> i64 {
    let (status, c) = admin
        .post("/api/v1/projects", &json!({"name": name, "kind": "job-template", "expand": {"index": index}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

async fn image(client: &Client, name: &str) -> i64 {
    let (status, i) = client.post("/api/v1/images", &json!({"name": name, "description": "runtime"})).await;
    assert_eq!(status, StatusCode::CREATED, "{i}");
    i["id"].as_i64().unwrap()
}

fn template(name: &str, category: i64, image: i64, version: &str, index: i64) -> Value {
    json!({
        "category_id": category, "name": name, "version": version, "image_id": image,
        "description": "trains a model", "workdir": "/mnt/{{creator}}", "command": "python train.py",
        "volume_mount": "workspace(pvc):/mnt;4G(memory):/dev/shm",
        "env": "TASK_RESOURCE_CPU=2\nURL=http://x/?a=b",
        "host_aliases": "10.0.0.1 git.corp",
        "args": [{"label": "Training", "args": [
            {"name": "--epochs", "type": "int", "default": 10, "min": 1},
            {"name": "--optimizer", "type": "enum", "choices": [{"value": "adam"}, {"value": "sgd"}], "default": "adam"}
        ]}],
        "demo": {"--epochs": "3"},
        "expand": {"index": index, "help_url": "https://docs.example.com/train"}
    })
}

on_both_backends!(repository_passwords_never_come_back, async |app: TestApp| {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let (status, repo) = ann
        .post("/api/v1/repositories", &json!({"name": "harbor", "server": "harbor.example.com/ml/", "username": "robot", "password": "s3cret-pw"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{repo}");
    assert_eq!(repo["hubsecret"], "ann-hubsecret");
    assert!(!repo.to_string().contains("s3cret-pw"));
    let id = repo["id"].as_i64().unwrap();
    let (_, got) = ann.get(&format!("/api/v1/repositories/{id}")).await;
    assert!(got.get("password").is_none() && !got.to_string().contains("s3cret"));
    let (status, _) = bob.get(&format!("/api/v1/repositories/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "others' repositories are invisible");
    let bobs: Value = bob.get_as("/api/v1/repositories").await;
    assert_eq!(bobs["total"], 0);
    let all: Value = app.admin().await.get_as("/api/v1/repositories").await;
    assert_eq!(all["total"], 1);

    let (status, body) = ann
        .post(
            "/api/v1/repositories",
            &json!({"name": "bad", "server": "has space", "username": "", "password": "", "hubsecret": "Bad_Secret"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["server", "username", "password", "hubsecret"]);

    let (status, _) = bob.post("/api/v1/images", &json!({"name": "ml/torch:1", "repository_id": id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an image cannot use someone else's repository");
    let (status, img) = ann.post("/api/v1/images", &json!({"name": "ml/torch:1", "repository_id": id})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(img["repository"]["name"], "harbor");
    let (status, _) = bob.post("/api/v1/images", &json!({"name": "ml/torch:1"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = bob.post("/api/v1/images", &json!({"name": "not an image"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["name"]);
});

on_both_backends!(templates_are_validated_ordered_and_released, async |app: TestApp| {
    let admin = app.admin().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let late = category(&admin, "late", 50).await;
    let early = category(&admin, "early", -5).await;
    let img = image(&ann, "ml/train:1").await;

    let (status, t) = ann.post("/api/v1/job-templates", &template("train-b", early, img, "Test", 2)).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["demo"], json!({"--epochs": 3, "--optimizer": "adam"}), "demo arguments are coerced and completed");
    assert_eq!(t["volume_mount"], "workspace(pvc):/mnt,4G(memory):/dev/shm");
    assert_eq!(t["category"]["name"], "early");
    let b_id = t["id"].as_i64().unwrap();
    for (name, cat, index) in [("train-a", early, 1), ("late-one", late, 0)] {
        let (status, body) = ann.post("/api/v1/job-templates", &template(name, cat, img, "Release", index)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    let mine: Value = ann.get_as("/api/v1/job-templates").await;
    assert_eq!(
        ids_of(&mine, "name"),
        ["train-a", "train-b", "shell", "python", "late-one"],
        "category index, then template index (the seeded templates sit in basic-commands, index 1)"
    );
    let theirs: Value = bob.get_as("/api/v1/job-templates").await;
    assert_eq!(
        ids_of(&theirs, "name"),
        ["train-a", "shell", "python", "late-one"],
        "others see released templates only"
    );
    let (status, _) = bob.get(&format!("/api/v1/job-templates/{b_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let all: Value = admin.get_as("/api/v1/job-templates").await;
    assert_eq!(all["total"], 5);
    let shell = all["items"].as_array().unwrap().iter().find(|t| t["name"] == "shell").unwrap();
    assert_eq!(shell["command"], "bash -c");
    assert_eq!(shell["args"][0]["args"][0]["name"], "script", "the seeded templates are complete");

    let (status, _) =
        ann.put(&format!("/api/v1/job-templates/{b_id}"), &template("train-b", early, img, "Release", 2)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = bob.get(&format!("/api/v1/job-templates/{b_id}")).await;
    assert_eq!(status, StatusCode::OK, "released now");
    let (status, _) =
        bob.put(&format!("/api/v1/job-templates/{b_id}"), &template("train-b", early, img, "Test", 2)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, copy) = bob.post(&format!("/api/v1/job-templates/{b_id}/copy"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let copy_name = copy["name"].as_str().unwrap();
    assert!(copy_name.starts_with("train-b-copy-") && copy_name.len() == "train-b-copy-".len() + 4, "{copy_name}");
    assert_eq!(copy["created_by"], "bob");
    let (status, _) = bob.delete(&format!("/api/v1/job-templates/{}", copy["id"])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, _) = admin.delete(&format!("/api/v1/projects/{early}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a category with templates stays");
    let (status, _) = ann.delete(&format!("/api/v1/images/{img}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "an image in use stays");
});

on_both_backends!(template_errors_name_every_bad_field, async |app: TestApp| {
    let admin = app.admin().await;
    let cat = category(&admin, "cat", 1).await;
    let img = image(&admin, "ml/x:1").await;
    let mut bad = template("Bad_Name", cat, img, "Release", 0);
    bad["volume_mount"] = json!("x(bucket):/x");
    bad["env"] = json!("no pair here");
    bad["host_aliases"] = json!("nope");
    bad["workdir"] = json!("relative");
    bad["args"][0]["args"][1]["choices"] = json!([]);
    let (status, body) = admin.post("/api/v1/job-templates", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        common::error_fields(&body),
        [
            "name",
            "workdir",
            "volume_mount",
            "env",
            "host_aliases",
            "args[0].args[1].choices",
            "args[0].args[1].default"
        ]
    );
    let mut bad_demo = template("ok-name", cat, img, "Release", 0);
    bad_demo["demo"] = json!({"--epochs": 0, "--optimizer": "rmsprop"});
    let (status, body) = admin.post("/api/v1/job-templates", &bad_demo).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["demo.--epochs", "demo.--optimizer"]);
    let mut wrong_refs = template("ok-name", img + 1000, img + 1000, "Release", 0);
    wrong_refs["category_id"] = json!(img + 1000);
    let (status, body) = admin.post("/api/v1/job-templates", &wrong_refs).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["category_id"]);
    let mut unknown_type = template("ok-name", cat, img, "Release", 0);
    unknown_type["args"][0]["args"][0]["type"] = json!("file");
    let (status, body) = admin.post("/api/v1/job-templates", &unknown_type).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["args[0].args[0].type"]);
    let list: Value = admin.get_as("/api/v1/job-templates").await;
    assert!(!ids_of(&list, "name").contains(&"ok-name".to_owned()), "nothing was written");
    assert_eq!(list["total"], 2, "only the seeded templates");

    let mut climbing = template("climber", cat, img, "Release", 0);
    climbing["workdir"] = json!("/mnt/../../var/lib");
    let (status, body) = admin.post("/api/v1/job-templates", &climbing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["workdir"]);
    climbing["workdir"] = json!("//proc/1");
    let (status, body) = admin.post("/api/v1/job-templates", &climbing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["workdir"]);
    climbing["workdir"] = json!("/mnt");
    climbing["volume_mount"] = json!("workspace(pvc):/proc/self");
    let (status, body) = admin.post("/api/v1/job-templates", &climbing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&body), ["volume_mount"]);
});

on_both_backends!(node_level_powers_are_for_administrators, async |app: TestApp| {
    let admin = app.admin().await;
    let ann = app.user("ann").await;
    let cat = category(&admin, "ops", 3).await;
    let img = image(&ann, "ml/ops:1").await;
    for (field, value) in [
        ("privileged", json!(true)),
        ("service_account", json!("kubeflow-pipeline")),
        ("volume_mount", json!("/var/run/docker.sock(hostpath):/var/run/docker.sock")),
        ("volume_mount", json!("cloud-creds(secret):/etc/creds")),
        ("volume_mount", json!("10.0.0.5/exports/data(nfs):/data")),
    ] {
        let mut t = template("powerful", cat, img, "Release", 0);
        t[field] = value;
        let (status, body) = ann.post("/api/v1/job-templates", &t).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{field}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with(field));
        let (status, _) = admin.post("/api/v1/job-templates", &t).await;
        assert_eq!(status, StatusCode::CREATED, "administrators may set {field}");
        let (_, list) = admin.get("/api/v1/job-templates?page_size=200").await;
        let id =
            list["items"].as_array().unwrap().iter().find(|x| x["name"] == "powerful").unwrap()["id"].as_i64().unwrap();
        let (status, body) = ann.post(&format!("/api/v1/job-templates/{id}/copy"), &json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a copy would hand {field} to its copier: {body}");
        admin.delete(&format!("/api/v1/job-templates/{id}")).await;
    }
    for mount in ["/data(hostpath):/data", "cloud-creds(secret):/etc/creds", "10.0.0.5/exports/data(nfs):/data"] {
        let (status, body) = ann
            .post("/api/v1/projects", &json!({"name": "reachy", "kind": "org", "expand": {"volume_mount": mount}}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{mount}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("expand.volume_mount"), "{body}");
    }
    let (status, _) = ann
        .post(
            "/api/v1/projects",
            &json!({"name": "ns", "kind": "org", "expand": {"namespaces": {"pipeline": "kube-system"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

on_both_backends!(arguments_a_template_fixes_keep_its_value, async |app: TestApp| {
    let admin = app.admin().await;
    let ann = app.user("ann").await;
    let cat = category(&admin, "fixed", 4).await;
    let img = image(&admin, "ml/fixed:1").await;
    let mut t = template("fixed-args", cat, img, "Release", 0);
    t["args"][0]["args"][1]["editable"] = json!(false);
    let (status, made) = admin.post("/api/v1/job-templates", &t).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let project = common::runs::public_project(&ann).await;
    let task = json!({"name": "train", "template_id": made["id"], "args": {"--epochs": 99, "--optimizer": "sgd"}});
    let body =
        json!({"pipeline": {"project_id": project, "name": "fixed", "dag": {}, "parallelism": 1}, "tasks": [task]});
    let (status, created) = ann.post("/api/v1/pipelines", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let args = &created["tasks"][0]["args"];
    assert_eq!(args["--optimizer"], "adam", "the template's value, not the one sent: {args}");
    assert_eq!(args["--epochs"], 99, "editable arguments take what was sent");
});
