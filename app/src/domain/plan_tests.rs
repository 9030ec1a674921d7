use serde_json::json;

use super::*;
use crate::domain::mounts::MountSource;
use crate::domain::seed_templates::SEED_TEMPLATES;

fn ctx() -> RunContext {
    RunContext {
        run_id: "0123456789abcdef0123456789abcdef".into(),
        creator: "ann".into(),
        runner: "bob".into(),
        cluster: "local".into(),
        execution_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap().and_hms_opt(4, 5, 6).unwrap(),
    }
}

/// A template the first start seeds, as the plan sees it.
fn seeded(name: &str) -> TemplateSpec {
    SEED_TEMPLATES.iter().find(|t| t.name == name).unwrap().spec()
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
fn every_seeded_template_plans_with_its_defaults() {
    for seed in SEED_TEMPLATES {
        let template = seeded(seed.name);
        let args = template.args.validate(&serde_json::Map::new()).unwrap();
        let tasks = [task(1, "t", template, serde_json::Value::Object(args))];
        let plan = compile(&ctx(), &pipeline(json!({})), &tasks, None).unwrap();
        assert_eq!(plan.tasks[0].image, seed.image);
        assert_eq!(plan.tasks[0].argv.last().unwrap(), &seed.default.replace("{{run_id}}", &ctx().run_id));
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
    launcher.volume_mount = "cache(pvc):/cache".into();
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

#[test]
fn working_directory_precedence_gpu_placement_and_pull_secret() {
    let mut template = seeded("shell");
    template.workdir = "/template".into();
    template.pull_secret = Some("hubsecret-ann".into());
    let mut chosen = task(5, "train", template, json!({"workdir": "/arg/{{ runner }}"}));
    chosen.fields.workdir = "/task/{{ pipeline_name }}".into();
    chosen.fields.resources.gpu = "2(V100)".into();
    let plan_of =
        |t: &TaskSpec| compile(&ctx(), &pipeline(json!({})), std::slice::from_ref(t), None).unwrap().tasks.remove(0);
    let planned = plan_of(&chosen);
    assert_eq!(planned.workdir.as_deref(), Some("/arg/bob"), "an argument named workdir wins");
    assert_eq!(planned.pull_secrets, ["hubsecret-ann"]);
    assert_eq!(planned.node_selector, "org=public;gpu=true;train=true;gpu-type=V100");
    assert!(planned.env.contains(&("KFJ_TASK_RESOURCE_GPU".into(), "2(V100)".into())));
    chosen.fields.args.remove("workdir");
    assert_eq!(plan_of(&chosen).workdir.as_deref(), Some("/task/etl"), "then the task's own");
    chosen.fields.workdir = " ".into();
    assert_eq!(plan_of(&chosen).workdir.as_deref(), Some("/template"), "then the template's");
    chosen.fields.args.insert("workdir".into(), json!("/mnt/{{ runner }}/../../etc"));
    let err = compile(&ctx(), &pipeline(json!({})), std::slice::from_ref(&chosen), None).unwrap_err();
    assert_eq!(err.field, "tasks.train.workdir", "a rendered working directory must not climb: {err:?}");
    assert!(err.message.contains("/mnt/bob/../../etc"), "{err:?}");
    chosen.fields.args.remove("workdir");
    chosen.fields.resources.gpu = "two".into();
    let err = compile(&ctx(), &pipeline(json!({})), &[chosen], None).unwrap_err();
    assert_eq!(err.field, "tasks.train.resources.gpu");
}
