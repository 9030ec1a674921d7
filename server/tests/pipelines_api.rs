//! Pipelines and tasks through the API: the editor's graph save, DAG validation, single-task
//! edits, demo pipelines, copy, export/import and membership visibility.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Client, TestApp};

async fn template_id(client: &Client, name: &str) -> i64 {
    let page: Value = client.get_as("/api/v1/job-templates?page_size=200").await;
    page["items"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["id"].as_i64().unwrap()
}

async fn public_id(client: &Client) -> i64 {
    let page: Value = client.get_as("/api/v1/projects?kind=org&page_size=200").await;
    page["items"].as_array().unwrap().iter().find(|p| p["name"] == "public").unwrap()["id"].as_i64().unwrap()
}

/// An administrator's template with a typed argument, for argument validation.
async fn typed_template(admin: &Client) -> i64 {
    let shell = template_id(admin, "shell").await;
    let base: Value = admin.get_as(&format!("/api/v1/job-templates/{shell}")).await;
    let body = json!({
        "category_id": base["category"]["id"], "name": "trainer", "version": "Release", "image_id": base["image"]["id"],
        "volume_mount": "cache(pvc):/cache",
        "args": [{"label": "Training", "args": [{"name": "--epochs", "type": "int", "default": 10, "min": 1}]}]
    });
    let (status, t) = admin.post("/api/v1/job-templates", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

fn task(name: &str, template: i64, args: Value) -> Value {
    json!({"name": name, "template_id": template, "args": args})
}

fn graph(project: i64, name: &str, tasks: Vec<Value>, dag: Value) -> Value {
    json!({"pipeline": {"project_id": project, "name": name, "dag": dag}, "tasks": tasks})
}

fn task_names(graph: &Value) -> Vec<String> {
    graph["tasks"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

on_both_backends!(graph_saves_check_the_dag_and_the_arguments, async |app: TestApp| {
    let admin = app.admin().await;
    let trainer = typed_template(&admin).await;
    let ann = app.user("ann").await;
    let public = public_id(&ann).await;
    let body = graph(
        public,
        "train-daily",
        vec![task("prep", trainer, json!({})), task("fit", trainer, json!({"--epochs": "3"}))],
        json!({"fit": ["prep"]}),
    );
    let (status, created) = ann.post("/api/v1/pipelines", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["pipeline"]["id"].as_i64().unwrap();
    assert_eq!(created["pipeline"]["dag"], json!({"fit": ["prep"], "prep": []}), "the DAG comes back complete");
    assert_eq!(created["tasks"][0]["args"]["--epochs"], 10, "missing arguments take their default");
    assert_eq!(created["tasks"][1]["args"]["--epochs"], 3, "arguments are coerced to their type");
    assert_eq!(created["tasks"][0]["volume_mount"], "", "only the task's own mounts are stored");
    assert_eq!(created["pipeline"]["editable"], true);

    let mut tasks = created["tasks"].as_array().unwrap().clone();
    let cycle = json!({"pipeline": {"project_id": public, "name": "train-daily", "dag": {"fit": ["prep"], "prep": ["fit"]}}, "tasks": tasks});
    let (status, err) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &cycle).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&err), ["dag"]);
    let message = err["error"]["details"][0]["message"].as_str().unwrap();
    assert!(message.contains("cycle") && message.contains("prep") && message.contains("fit"), "{message}");

    let unknown =
        json!({"pipeline": {"project_id": public, "name": "train-daily", "dag": {"fit": ["ghost"]}}, "tasks": tasks});
    let (status, err) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["error"]["details"][0]["message"].as_str().unwrap().contains("ghost"));

    let twice = json!({"pipeline": {"project_id": public, "name": "train-daily", "dag": {"fit": ["prep", "prep"]}}, "tasks": tasks});
    let (status, err) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = err["error"]["details"][0]["message"].as_str().unwrap();
    assert!(message.contains("prep") && message.contains("fit") && message.contains("twice"), "{message}");

    tasks[1]["name"] = json!("prep");
    tasks[0]["args"] = json!({"--epochs": 0});
    let bad = json!({"pipeline": {"project_id": public, "name": "train-daily"}, "tasks": tasks});
    let (status, err) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&err), ["tasks[0].args.--epochs", "tasks[1].name"]);
    let unchanged: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/graph")).await;
    assert_eq!(task_names(&unchanged), ["prep", "fit"], "a refused save changes nothing");
    assert_eq!(unchanged["tasks"][0]["args"]["--epochs"], 10);

    // Swapping two names in one save works (no transient unique-name clash), ids stay.
    let mut swapped = unchanged["tasks"].as_array().unwrap().clone();
    swapped[0]["name"] = json!("fit");
    swapped[1]["name"] = json!("prep");
    let body =
        json!({"pipeline": {"project_id": public, "name": "train-daily", "dag": {"prep": ["fit"]}}, "tasks": swapped});
    let (status, saved) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["tasks"][0]["id"], unchanged["tasks"][0]["id"]);
    assert_eq!(saved["tasks"][0]["name"], "fit");

    // Leaving a task out deletes it; a task without id is new.
    let body = json!({"pipeline": {"project_id": public, "name": "train-daily", "dag": {"eval": ["fit"]}},
        "tasks": [saved["tasks"][0].clone(), task("eval", trainer, json!({}))]});
    let (status, saved) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(task_names(&saved), ["fit", "eval"]);
    let (_, listed) = ann.get(&format!("/api/v1/pipelines/{id}/tasks")).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // Two editors: the second save from a stale version is refused and changes nothing.
    let opened = saved["pipeline"]["updated_at"].clone();
    let mut first = json!({"pipeline": {"project_id": public, "name": "train-daily", "description": "first",
        "dag": {"eval": ["fit"]}}, "tasks": saved["tasks"].clone(), "base_updated_at": opened});
    let (status, newer) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &first).await;
    assert_eq!(status, StatusCode::OK, "{newer}");
    first["pipeline"]["description"] = json!("second");
    let (status, err) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &first).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(common::error_fields(&err), ["base_updated_at"]);
    let kept: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/graph")).await;
    assert_eq!(kept["pipeline"]["description"], "first");
    first["base_updated_at"] = kept["pipeline"]["updated_at"].clone();
    let (status, body) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &first).await;
    assert_eq!(status, StatusCode::OK, "the version just read saves: {body}");

    // Node-level powers stay with administrators.
    let mut secret = task("peek", trainer, json!({}));
    secret["volume_mount"] = json!("creds(secret):/etc/creds");
    let (status, err) = ann.post(&format!("/api/v1/pipelines/{id}/tasks"), &secret).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    let shell = template_id(&admin, "shell").await;
    let base: Value = admin.get_as(&format!("/api/v1/job-templates/{shell}")).await;
    let root = json!({"category_id": base["category"]["id"], "name": "root-tool", "version": "Release",
        "image_id": base["image"]["id"], "privileged": true, "command": "bash -c"});
    let (_, root) = admin.post("/api/v1/job-templates", &root).await;
    let mut hijack = task("hijack", root["id"].as_i64().unwrap(), json!({}));
    hijack["command"] = json!("cat /etc/shadow");
    let (status, err) = ann.post(&format!("/api/v1/pipelines/{id}/tasks"), &hijack).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("command"));
    let (status, _) = ann
        .post(&format!("/api/v1/pipelines/{id}/tasks"), &task("plain", root["id"].as_i64().unwrap(), json!({})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "a privileged template's own command may run");
});

on_both_backends!(single_task_edits_keep_the_dag_consistent, async |app: TestApp| {
    let ann = app.user("ann").await;
    let shell = template_id(&ann, "shell").await;
    let public = public_id(&ann).await;
    let body = graph(
        public,
        "etl",
        vec![task("extract", shell, json!({})), task("load", shell, json!({}))],
        json!({"load": ["extract"]}),
    );
    let (_, created) = ann.post("/api/v1/pipelines", &body).await;
    let id = created["pipeline"]["id"].as_i64().unwrap();
    let extract = created["tasks"][0]["id"].as_i64().unwrap();

    let (status, added) = ann.post(&format!("/api/v1/pipelines/{id}/tasks"), &task("report", shell, json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["resources"], json!({"cpu": "2", "memory": "2G", "gpu": "0"}));
    let (status, err) = ann.post(&format!("/api/v1/pipelines/{id}/tasks"), &task("report", shell, json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&err), ["name"], "single-task errors name the task's own fields");

    let mut renamed = created["tasks"][0].clone();
    renamed["name"] = json!("pull");
    renamed["resources"]["memory"] = json!("512m");
    let (status, task) = ann.put(&format!("/api/v1/pipelines/{id}/tasks/{extract}"), &renamed).await;
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!(task["resources"]["memory"], "512M");
    let pipeline: Value = ann.get_as(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(pipeline["dag"]["load"], json!(["pull"]), "the rename reached the DAG");
    assert!(pipeline["expand"]["layout"].get("report").is_some(), "a new task gets a canvas position");

    let (status, _) = ann.delete(&format!("/api/v1/pipelines/{id}/tasks/{extract}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let pipeline: Value = ann.get_as(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(pipeline["dag"], json!({"load": [], "report": []}));
    let (status, _) = ann.get(&format!("/api/v1/pipelines/{id}/tasks/{extract}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = ann.delete(&format!("/api/v1/job-templates/{shell}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.admin().await.delete(&format!("/api/v1/job-templates/{shell}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a template used by tasks stays");
});

on_both_backends!(demo_pipelines_are_read_only_until_copied, async |app: TestApp| {
    let ann = app.user("ann").await;
    let demos: Value = ann.get_as("/api/v1/pipelines?demo=true").await;
    assert_eq!(demos["total"], 3, "{demos}");
    let demo = &demos["items"][0];
    assert!(demo["img"].as_str().unwrap().starts_with("/gallery/"));
    assert_eq!(demo["demo"], true);
    assert_eq!(demo["editable"], false);
    let id = demo["id"].as_i64().unwrap();

    let current: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/graph")).await;
    let body = json!({"pipeline": {"project_id": current["pipeline"]["project"]["id"], "name": current["pipeline"]["name"]},
        "tasks": current["tasks"]});
    let (status, err) = ann.put(&format!("/api/v1/pipelines/{id}/graph"), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(err["error"]["message"].as_str().unwrap().contains("copy"), "{err}");
    let shell = template_id(&ann, "shell").await;
    let (status, _) = ann.post(&format!("/api/v1/pipelines/{id}/tasks"), &task("extra", shell, json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, copy) = ann.request(reqwest::Method::POST, &format!("/api/v1/pipelines/{id}/copy"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    let name = copy["pipeline"]["name"].as_str().unwrap();
    assert!(name.starts_with(&format!("{}-copy-", current["pipeline"]["name"].as_str().unwrap())), "{name}");
    assert_eq!(copy["pipeline"]["expand"]["demo"], false);
    assert_eq!(copy["pipeline"]["editable"], true);
    assert_eq!(copy["pipeline"]["dag"], current["pipeline"]["dag"]);
    assert_eq!(task_names(&copy), task_names(&current));
    let copy_id = copy["pipeline"]["id"].as_i64().unwrap();
    let (status, _) = ann.post(&format!("/api/v1/pipelines/{copy_id}/tasks"), &task("extra", shell, json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "the copy is editable");
    let mine: Value = ann.get_as("/api/v1/pipelines?mine=true").await;
    assert_eq!(mine["total"], 1);

    let mut publish = body.clone();
    publish["pipeline"]["name"] = json!("my-demo");
    publish["pipeline"]["expand"] = json!({"demo": true});
    publish["tasks"] = json!([]);
    let (status, _) = ann.post("/api/v1/pipelines", &publish).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only administrators publish demos");
});

on_both_backends!(project_membership_decides_visibility, async |app: TestApp| {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let (status, team) = ann.post("/api/v1/projects", &json!({"name": "team-a", "kind": "org"})).await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let team = team["id"].as_i64().unwrap();
    let (status, created) = ann.post("/api/v1/pipelines", &graph(team, "secret-plan", vec![], json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["pipeline"]["id"].as_i64().unwrap();

    let (status, _) = bob.get(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "non-members do not see it");
    let listed: Value = bob.get_as("/api/v1/pipelines?q=secret").await;
    assert_eq!(listed["total"], 0);
    let (status, _) = bob.post("/api/v1/pipelines", &graph(team, "intruder", vec![], json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nobody creates pipelines in others' projects");

    let (status, _) =
        ann.post(&format!("/api/v1/projects/{team}/members"), &json!({"username": "bob", "role": "dev"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let seen: Value = bob.get_as(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(seen["editable"], false, "a dev sees but does not change others' pipelines");
    let shared: Value = bob.get_as("/api/v1/pipelines?shared=true").await;
    assert_eq!(shared["total"], 1);
    assert_eq!(shared["items"][0]["name"], "secret-plan");
    let body = json!({"project_id": team, "name": "secret-plan", "description": "changed"});
    let (status, _) = bob.put(&format!("/api/v1/pipelines/{id}"), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, updated) = ann.put(&format!("/api/v1/pipelines/{id}"), &body).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["description"], "changed");

    let admin = app.admin().await;
    let (status, _) = admin.delete(&format!("/api/v1/projects/{team}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a project with pipelines stays");
    let (status, _) = bob.delete(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = ann.delete(&format!("/api/v1/pipelines/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
});

on_both_backends!(export_and_import_round_trip, async |app: TestApp| {
    let ann = app.user("ann").await;
    let public = public_id(&ann).await;
    let demos: Value = ann.get_as("/api/v1/pipelines?demo=true&q=scoring").await;
    let demo = demos["items"][0]["id"].as_i64().unwrap();
    let (_, copy) = ann.post(&format!("/api/v1/pipelines/{demo}/copy"), &json!({})).await;
    let id = copy["pipeline"]["id"].as_i64().unwrap();
    let mut body = json!({"project_id": public, "name": "global-settings"});
    body["global_env"] = json!("A=1\nB=two");
    body["parallelism"] = json!(3);
    body["schedule"] = json!({"kind": "cron", "cron": "0 3 * * 1-5", "max_active_runs": 2, "keep_newest": 5});
    body["alerts"] = json!({"statuses": ["failed", "succeeded"], "users": ["bob"]});
    body["dag"] = copy["pipeline"]["dag"].clone();
    body["expand"] = copy["pipeline"]["expand"].clone();
    let (status, _) = ann.put(&format!("/api/v1/pipelines/{id}"), &body).await;
    assert_eq!(status, StatusCode::OK);

    let exported: Value = ann.get_as(&format!("/api/v1/pipelines/{id}/export")).await;
    assert_eq!(exported["tasks"][0]["template"], "shell");
    assert!(exported["tasks"][0].get("id").is_none());
    let import = json!({"project_id": public, "name": "imported", "document": exported});
    let (status, imported) = ann.post("/api/v1/pipelines/import", &import).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    let new_id = imported["pipeline"]["id"].as_i64().unwrap();
    let again: Value = ann.get_as(&format!("/api/v1/pipelines/{new_id}/export")).await;
    let mut expected = exported.clone();
    expected["pipeline"]["name"] = json!("imported");
    assert_eq!(again, expected, "export → import → export round-trips");

    let mut broken = exported.clone();
    broken["tasks"][1]["template"] = json!("no-such-template");
    let (status, err) =
        ann.post("/api/v1/pipelines/import", &json!({"project_id": public, "name": "x2", "document": broken})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(common::error_fields(&err), ["document.tasks[1].template"]);
    let (status, err) =
        ann.post("/api/v1/pipelines/import", &json!({"project_id": public, "document": exported})).await;
    assert_eq!(status, StatusCode::CONFLICT, "the exported name is taken: {err}");
});
