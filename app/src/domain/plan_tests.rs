use serde_json::json;

use super::*;
use crate::domain::mounts::MountSource;

fn ctx() -> RunContext {
    RunContext {
        run_id: "0123456789abcdef0123456789abcdef".into(),
        creator: "ann".into(),
        runner: "bob".into(),
        cluster: "local".into(),
        execution_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap().and_hms_opt(4, 5, 6).unwrap(),
    }
}

/// The templates the first start seeds, as the plan sees them.
fn seeded(name: &str) -> TemplateSpec {
    let (image, command, arg, default) = match name {
        "shell" => ("debian:bookworm-slim", "bash -c", "script", "echo \"hello from {{run_id}}\""),
        _ => ("python:3.11-slim", "python3 -c", "code", "print('hello from Cubist')"),
    };
    TemplateSpec {
        name: name.into(),
        image: image.into(),
        image_entrypoint: String::new(),
        workdir: String::new(),
        command: command.into(),
        env: String::new(),
        volume_mount: "cache(pvc):/cache".into(),
        privileged: false,
        service_account: String::new(),
        args: serde_json::from_value(
            json!([{"label": "Task", "args": [{"name": arg, "type": "text", "default": default}]}]),
        )
        .unwrap(),
        pull_secret: None,
    }
}

fn task(id: i64, name: &str, template: TemplateSpec, args: serde_json::Value) -> TaskSpec {
    let mut fields: TaskFields = serde_json::from_value(json!({"name": name, "args": args})).unwrap();
    fields.volume_mount = "scratch(pvc):/scratch,other(pvc):/cache".into();
    TaskSpec { id, fields, template }
}

fn pipeline(dag: serde_json::Value) -> PipelineSpec {
    let fields: PipelineFields =
        serde_json::from_value(json!({"name": "etl", "global_env": "REGION=eu\nDAY={{ execution_date | date_format('%Y%m%d') }}", "dag": dag, "parallelism": 2}))
            .unwrap();
    PipelineSpec {
        id: 7,
        fields,
        project: "public".into(),
        project_expand: OrgExpand::default_for(&["local".to_owned()]),
    }
}

#[test]
fn seeded_shell_template_plan() {
    let tasks = [task(1, "hello", seeded("shell"), json!({"script": "echo \"hello from {{run_id}}\""}))];
    let plan = compile(&ctx(), &pipeline(json!({})), &tasks, None).unwrap();
    insta::assert_json_snapshot!(plan);
}

#[test]
fn seeded_python_template_plan() {
    let tasks = [task(2, "py", seeded("python"), json!({"code": "print('{{ creator }}')"}))];
    let plan = compile(&ctx(), &pipeline(json!({})), &tasks, None).unwrap();
    insta::assert_json_snapshot!(plan);
}

#[test]
fn order_upstream_overrides_and_single_task() {
    let mut launcher = seeded("shell");
    launcher.env = "TASK_RESOURCE_CPU=0.5\nREGION=us".into();
    launcher.workdir = "/mnt/{{creator}}".into();
    let tasks = [
        task(3, "load", seeded("shell"), json!({"script": "echo load"})),
        task(4, "extract", launcher, json!({"script": "echo $REGION", "images": "alpine:3"})),
    ];
    let plan = compile(&ctx(), &pipeline(json!({"load": ["extract"]})), &tasks, None).unwrap();
    let names: Vec<&str> = plan.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["extract", "load"], "dependency order");
    assert_eq!(plan.tasks[1].upstream, ["extract"]);
    let extract = &plan.tasks[0];
    assert_eq!(extract.image, "alpine:3", "the images argument chooses the image");
    assert_eq!(extract.resources.cpu, "0.5", "TASK_RESOURCE_CPU replaces the task's CPU");
    assert_eq!(extract.workdir.as_deref(), Some("/mnt/ann"));
    let region: Vec<&str> = extract.env.iter().filter(|(k, _)| k == "REGION").map(|(_, v)| v.as_str()).collect();
    assert_eq!(region, ["eu"], "the pipeline's global env overrides the template's");
    assert!(extract.env.contains(&("DAY".into(), "20260301".into())));
    assert_eq!(extract.argv, ["bash", "-c", "echo $REGION"]);
    let paths: Vec<&str> = extract.mounts.iter().map(|m| m.mount_path.as_str()).collect();
    assert_eq!(paths, ["/mnt", "/cache", "/scratch"], "project, then template, then task mounts; first wins");
    assert!(matches!(&extract.mounts[1].source, MountSource::Pvc { claim } if claim == "cache"));

    let mut single = ctx();
    single.run_id = "run-7-3".into();
    let one = compile(&single, &pipeline(json!({"load": ["extract"]})), &tasks, Some(3)).unwrap();
    assert_eq!(one.tasks.len(), 1);
    assert!(one.tasks[0].upstream.is_empty());
    assert_eq!(one.tasks[0].labels["run-id"], "run-7-3");
    assert!(compile(&single, &pipeline(json!({})), &tasks, Some(99)).is_err());
}

#[test]
fn template_errors_name_the_task_field() {
    let tasks = [task(1, "bad", seeded("shell"), json!({"script": "echo {{ oops"}))];
    let err = compile(&ctx(), &pipeline(json!({})), &tasks, None).unwrap_err();
    assert_eq!(err.field, "tasks.bad.args");
    let mut empty = seeded("shell");
    empty.command = String::new();
    let tasks = [task(1, "nothing", empty, json!({}))];
    assert_eq!(compile(&ctx(), &pipeline(json!({})), &tasks, None).unwrap_err().field, "tasks.nothing.command");
}

#[test]
fn the_run_id_cannot_be_overridden() {
    let mut spec = pipeline(json!({}));
    spec.fields.global_env = "KFJ_RUN_ID=someone-else".into();
    let tasks = [task(1, "hello", seeded("shell"), json!({}))];
    let plan = compile(&ctx(), &spec, &tasks, None).unwrap();
    let ids: Vec<&str> = plan.tasks[0].env.iter().filter(|(k, _)| k == "KFJ_RUN_ID").map(|(_, v)| v.as_str()).collect();
    assert_eq!(ids, [ctx().run_id.as_str()]);
}
