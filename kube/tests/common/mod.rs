//! Plans of what users get on a first start (the seeded templates and the demo pipelines),
//! compiled as the server compiles them, and the cluster settings the tests render with.

#![allow(dead_code, clippy::unwrap_used)]

use app::domain::plan::{PipelineSpec, Plan, RunContext, TaskSpec, TemplateSpec, compile};
use app::domain::project_expand::OrgExpand;
use app::domain::seed_templates::SEED_TEMPLATES;
use app::model::{PipelineExport, PipelineFields, TaskFields};
use cubist_kube::workflow::{GpuResources, Target};

const DEMO_PIPELINES: &str = include_str!("../../../server/seed/demo-pipelines.json");

pub fn context(run_id: &str) -> RunContext {
    RunContext {
        run_id: run_id.into(),
        creator: "ann".into(),
        runner: "bob".into(),
        cluster: "testenv".into(),
        execution_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap().and_hms_opt(4, 5, 6).unwrap(),
    }
}

/// A seeded template as plans see it.
pub fn seeded(name: &str) -> TemplateSpec {
    SEED_TEMPLATES.iter().find(|t| t.name == name).unwrap().spec()
}

pub fn pipeline(id: i64, fields: PipelineFields) -> PipelineSpec {
    PipelineSpec {
        id,
        fields,
        project: "public".into(),
        project_expand: OrgExpand::default_for(&["testenv".to_owned()]),
    }
}

/// Every demo pipeline of the gallery, planned: (name, plan).
pub fn demo_plans(run_id: &str) -> Vec<(String, Plan)> {
    let demos: Vec<PipelineExport> = serde_json::from_str(DEMO_PIPELINES).unwrap();
    demos
        .into_iter()
        .zip(1..)
        .map(|(demo, id)| {
            let tasks: Vec<TaskSpec> = demo
                .tasks
                .iter()
                .zip(1..)
                .map(|(t, task_id)| TaskSpec { id: task_id, fields: t.fields.clone(), template: seeded(&t.template) })
                .collect();
            let plan = compile(&context(run_id), &pipeline(id, demo.pipeline.clone()), &tasks, None).unwrap();
            (demo.pipeline.name.clone(), plan)
        })
        .collect()
}

/// A one-task pipeline of each seeded template with its defaults: (template, plan).
pub fn seeded_plans(run_id: &str) -> Vec<(String, Plan)> {
    SEED_TEMPLATES
        .iter()
        .map(|seed| {
            let template = seeded(seed.name);
            let args = template.args.validate(&serde_json::Map::new()).unwrap();
            let fields: TaskFields = serde_json::from_value(serde_json::json!({"name": "only", "args": args})).unwrap();
            let pipeline_fields: PipelineFields =
                serde_json::from_value(serde_json::json!({"name": format!("seeded-{}", seed.name)})).unwrap();
            let tasks = [TaskSpec { id: 1, fields, template }];
            (seed.name.to_owned(), compile(&context(run_id), &pipeline(9, pipeline_fields), &tasks, None).unwrap())
        })
        .collect()
}

/// One pipeline using every feature the renderer maps: GPUs of a type, several resource
/// groups, every kind of mount, retries, a deadline, a skipped task, privileged and a
/// service account.
pub fn kitchen_sink(run_id: &str) -> Plan {
    let mut template = seeded("shell");
    template.privileged = true;
    template.service_account = "trainer".into();
    template.pull_secret = Some("hubsecret-ann".into());
    template.env = "TOKEN_URL=http://auth/?a=b\nMODE=train".into();
    let mounts = "scratch(pvc):/scratch;team(pvc-share):/team;bucket(storage):/bucket;/data/k8s(hostpath):/host;\
                  10.0.0.5/exports/data(nfs):/nfs;kube-config(configmap):/root/.kube;creds(secret):/etc/creds;4G(memory):/dev/shm";
    let task = |id: i64, name: &str, extra: serde_json::Value| {
        let mut fields = serde_json::json!({"name": name, "args": {"script": "nvidia-smi"}, "volume_mount": mounts});
        fields.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        TaskSpec { id, fields: serde_json::from_value(fields).unwrap(), template: template.clone() }
    };
    let tasks = [
        task(
            1,
            "train",
            serde_json::json!({"resources": {"cpu": "4~8", "memory": "16G~32G", "gpu": "2(V100)"}, "retries": 3, "timeout": 3600}),
        ),
        task(2, "report", serde_json::json!({"skip": true, "resources": {"cpu": "0.5", "memory": "512M", "gpu": "0"}})),
    ];
    let fields: PipelineFields = serde_json::from_value(serde_json::json!({
        "name": "Kitchen Sink", "parallelism": 3, "dag": {"report": ["train"]}, "global_env": "REGION=eu"
    }))
    .unwrap();
    let mut spec = pipeline(42, fields);
    spec.project_expand.org = "public,research".into();
    compile(&context(run_id), &spec, &tasks, None).unwrap()
}

pub fn target(namespace: &str) -> Target {
    Target {
        namespace: namespace.into(),
        cluster: "testenv".into(),
        pull_secrets: vec!["hubsecret".into()],
        service_account: "default".into(),
        gpu_resources: GpuResources::default(),
        retry_backoff_secs: 10,
    }
}

/// A pipeline of `count` tasks, too many for a template each: `shard-0000` feeds all the
/// others, every seventh task asks for other resources, `shard-0005` is skipped, and
/// `shard-0007`'s label has characters Argo cannot take as a parameter (an escape and a
/// flag emoji beyond the Basic Multilingual Plane).
pub fn large(run_id: &str, count: usize) -> Plan {
    let template = seeded("shell");
    let tasks: Vec<TaskSpec> = (0..count)
        .map(|i| {
            let mut fields = serde_json::json!({
                "name": format!("shard-{i:04}"), "label": format!("分片 \"{i}\""),
                "args": {"script": format!("echo shard {i}")}
            });
            if i == 7 {
                fields["label"] = serde_json::json!("\u{1b}[31m red 🏴\u{e0067}\u{e0062}\u{e007f}");
            }
            if i % 7 == 3 {
                fields["resources"] = serde_json::json!({"cpu": "2", "memory": "4G", "gpu": "0"});
            }
            fields["skip"] = serde_json::json!(i == 5);
            TaskSpec { id: i as i64 + 1, fields: serde_json::from_value(fields).unwrap(), template: template.clone() }
        })
        .collect();
    let dag: serde_json::Map<String, serde_json::Value> =
        (1..count).map(|i| (format!("shard-{i:04}"), serde_json::json!(["shard-0000"]))).collect();
    let fields: PipelineFields =
        serde_json::from_value(serde_json::json!({"name": "Large", "parallelism": 200, "dag": dag})).unwrap();
    compile(&context(run_id), &pipeline(77, fields), &tasks, None).unwrap()
}
