//! The container that runs one task, the same in a Workflow's template and in a single-task
//! Pod: image, argv, working directory, environment (the pod's names from the downward API
//! first, so the task's variables may use them), resources and mounts.

use k8s_openapi::api::core::v1::{Container, EnvVar, EnvVarSource, ObjectFieldSelector, SecurityContext, Volume};

use app::domain::plan::TaskPlan;

use super::{Target, resources, volumes};

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar { name: name.into(), value: Some(value.into()), ..EnvVar::default() }
}

/// The pod's own names, from the downward API.
fn pod_env() -> Vec<EnvVar> {
    [
        ("K8S_NODE_NAME", "spec.nodeName"),
        ("K8S_POD_NAMESPACE", "metadata.namespace"),
        ("K8S_POD_IP", "status.podIP"),
        ("K8S_HOST_IP", "status.hostIP"),
        ("K8S_POD_NAME", "metadata.name"),
    ]
    .into_iter()
    .map(|(name, path)| EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector { field_path: path.into(), ..ObjectFieldSelector::default() }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    })
    .collect()
}

/// The task's container and the volumes its mounts need.
pub fn container(task: &TaskPlan, target: &Target) -> (Container, Vec<Volume>) {
    let (requirements, gpu_env) = resources::requirements(&task.resources, &target.gpu_resources);
    let mut mounts = Vec::new();
    let mut needed: Vec<Volume> = Vec::new();
    for mount in &task.mounts {
        let (volume, volume_mount) = volumes::volume_of(mount, &task.mount_user);
        if !needed.iter().any(|v| v.name == volume.name) {
            needed.push(volume);
        }
        mounts.push(volume_mount);
    }
    let mut variables = pod_env();
    variables.extend(task.env.iter().map(|(k, v)| env(k, v)));
    variables.extend(gpu_env);
    let (program, args) = match task.argv.split_first() {
        Some((program, args)) => (vec![program.clone()], args.to_vec()),
        None => (Vec::new(), Vec::new()),
    };
    let container = Container {
        name: "main".into(),
        image: Some(task.image.clone()),
        command: Some(program),
        args: (!args.is_empty()).then_some(args),
        working_dir: task.workdir.clone(),
        env: Some(variables),
        resources: Some(requirements),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        security_context: task
            .privileged
            .then(|| SecurityContext { privileged: Some(true), ..SecurityContext::default() }),
        ..Container::default()
    };
    (container, needed)
}
