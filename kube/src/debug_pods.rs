//! Debug shells of tasks on a cluster: a pod that runs the task's container idle (its
//! image, environment, mounts, resources and placement, as the task would run), and an
//! interactive shell in it through the API server's exec. The pod carries the task's run
//! id, so clearing the task removes it; it ends by itself after [`DEBUG_POD_LIFETIME`].
//! A running pod is kept for the next shell unless the task changed since it was made.

use std::pin::Pin;
use std::time::Duration;

use app::domain::plan::{Plan, TaskPlan};
/// The Kubernetes pod a debug shell runs in.
pub use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Sink, SinkExt};
use kube::api::{AttachParams, AttachedProcess, DeleteParams, PostParams, TerminalSize};
use kube::runtime::wait::await_condition;
use kube::{Api, Client};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::pod_logs::MAIN_CONTAINER;
use crate::pods::single_task_pod;
use crate::workflow::{Target, slug};

/// The `pod-type` label of debug pods.
pub const DEBUG_POD_TYPE: &str = "debug";
/// How long a debug pod lives at most (clearing the task removes it sooner).
pub const DEBUG_POD_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How long opening a shell waits for the pod to run.
const START_WAIT: Duration = Duration::from_secs(60);

/// Why a debug pod could not be had.
#[derive(Debug, thiserror::Error)]
pub enum DebugPodError {
    #[error("the cluster refused or did not answer: {0}")]
    Cluster(#[from] kube::Error),
    #[error("the debug pod did not start within {0} s: {1}")]
    NotRunning(u64, String),
    #[error("the debug pod ended or was removed instead of running: {0}")]
    Ended(String),
}

/// The name of the debug pod of a task's run id.
pub fn debug_pod_name(run_id: &str) -> String {
    format!("debug-{}", slug(run_id, 56))
}

/// The pod a debug shell of `task` runs in: the task's container, idle.
pub fn debug_pod(plan: &Plan, task: &TaskPlan, target: &Target) -> Pod {
    let mut pod = single_task_pod(plan, task, target);
    pod.metadata.name = Some(debug_pod_name(&plan.run_id));
    if let Some(labels) = pod.metadata.labels.as_mut() {
        labels.insert("pod-type".into(), DEBUG_POD_TYPE.into());
    }
    if let Some(spec) = pod.spec.as_mut() {
        let lifetime = DEBUG_POD_LIFETIME.as_secs();
        spec.active_deadline_seconds = i64::try_from(lifetime).ok();
        // `sleep` as the container's first process ignores SIGTERM: no grace to wait out.
        spec.termination_grace_period_seconds = Some(0);
        for container in &mut spec.containers {
            container.command = Some(vec!["sleep".into(), lifetime.to_string()]);
            container.args = None;
        }
    }
    let made_from = spec_hash(&pod);
    pod.metadata.annotations.get_or_insert_with(Default::default).insert(SPEC_HASH.into(), made_from);
    pod
}

/// The annotation recording what a debug pod was made from.
const SPEC_HASH: &str = "cubist.dev/spec-hash";

/// The variable naming who opened the shell: it does not make the pod another one.
const RUNNER_VARIABLE: &str = "KFJ_RUNNER";

/// A digest of what the pod runs (its spec, less who opened it), to tell a pod made before
/// the task changed.
fn spec_hash(pod: &Pod) -> String {
    use sha2::Digest;
    let mut spec = pod.spec.clone().unwrap_or_default();
    for container in &mut spec.containers {
        if let Some(env) = container.env.as_mut() {
            env.retain(|variable| variable.name != RUNNER_VARIABLE);
        }
    }
    let digest = sha2::Sha256::digest(serde_json::to_vec(&spec).unwrap_or_default());
    digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect()
}

fn made_from(pod: &Pod) -> Option<&str> {
    pod.metadata.annotations.as_ref()?.get(SPEC_HASH).map(String::as_str)
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.phase.as_deref()
}

/// Why a pod is not running, as its status says.
fn reason(pod: Option<&Pod>) -> String {
    let Some(status) = pod.and_then(|p| p.status.as_ref()) else {
        return "it is gone (deleted meanwhile, or never made)".into();
    };
    let said = |reason: &Option<String>, message: &Option<String>| {
        format!("{}: {}", reason.as_deref().unwrap_or("unknown"), message.as_deref().unwrap_or("no message"))
    };
    let containers = status.container_statuses.iter().flatten().filter_map(|c| c.state.as_ref());
    let from_container = containers
        .filter_map(|state| match (&state.waiting, &state.terminated) {
            (Some(w), _) => Some(said(&w.reason, &w.message)),
            (_, Some(t)) => Some(format!("{} (exit {})", said(&t.reason, &t.message), t.exit_code)),
            _ => None,
        })
        .next();
    let condition =
        status.conditions.iter().flatten().find(|c| c.status == "False").map(|c| said(&c.reason, &c.message));
    from_container.or(condition).unwrap_or_else(|| format!("it is {}", phase_of(pod)))
}

fn phase_of(pod: Option<&Pod>) -> String {
    pod.and_then(phase).unwrap_or("not scheduled yet").to_lowercase()
}

/// Whether the pod has started or will not (ended, or being deleted).
fn settled(pod: Option<&Pod>) -> bool {
    pod.is_none_or(|p| {
        p.metadata.deletion_timestamp.is_some() || matches!(phase(p), Some("Running" | "Succeeded" | "Failed"))
    })
}

/// Makes sure `wanted`'s pod runs: one of that name that runs or is starting, made from
/// the same spec, is kept; any other is replaced. Returns once it runs, or says why it
/// does not.
pub async fn ensure_running(client: &Client, wanted: &Pod) -> Result<(), DebugPodError> {
    let namespace = wanted.metadata.namespace.as_deref().unwrap_or("default");
    let name = wanted.metadata.name.clone().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let keep = |pod: &Pod| {
        pod.metadata.deletion_timestamp.is_none()
            && matches!(phase(pod), Some("Running" | "Pending"))
            && made_from(pod) == made_from(wanted)
    };
    let replace = match pods.get_opt(&name).await? {
        Some(pod) if keep(&pod) => false,
        Some(_) => {
            match pods.delete(&name, &DeleteParams::foreground()).await {
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                deleted => drop(deleted?),
            }
            let gone = await_condition(pods.clone(), &name, |p: Option<&Pod>| p.is_none());
            if tokio::time::timeout(START_WAIT, gone).await.is_err() {
                let why = "the previous debug pod is still being deleted".to_owned();
                return Err(DebugPodError::NotRunning(START_WAIT.as_secs(), why));
            }
            true
        }
        None => true,
    };
    if replace {
        match pods.create(&PostParams::default(), wanted).await {
            // Another shell made it meanwhile: it is waited for like ours.
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            created => drop(created?),
        }
    }
    let waited = tokio::time::timeout(START_WAIT, await_condition(pods.clone(), &name, settled)).await;
    let now = pods.get_opt(&name).await?;
    match now.as_ref().map(phase) {
        Some(Some("Running")) if now.as_ref().is_some_and(|p| p.metadata.deletion_timestamp.is_none()) => Ok(()),
        _ if waited.is_err() => Err(DebugPodError::NotRunning(START_WAIT.as_secs(), reason(now.as_ref()))),
        _ => Err(DebugPodError::Ended(reason(now.as_ref()))),
    }
}

/// A shell running in a debug pod: what it shows, what is typed into it, its terminal's
/// size, and its end.
pub struct PodShell {
    pub output: Pin<Box<dyn AsyncRead + Send>>,
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
    pub size: PodTerminalSize,
    pub end: PodShellEnd,
}

/// Sets the size of a pod shell's terminal.
pub struct PodTerminalSize(Option<Pin<Box<dyn Sink<TerminalSize, Error = ()> + Send>>>);

impl PodTerminalSize {
    pub async fn resize(&mut self, cols: u16, rows: u16) {
        if let Some(sink) = self.0.as_mut() {
            let _ = sink.send(TerminalSize { width: cols, height: rows }).await;
        }
    }
}

/// The end of a pod shell: its exit code, or stopping it.
pub struct PodShellEnd {
    status: Option<BoxFuture<'static, Option<Status>>>,
    code: Option<Option<i32>>,
    process: AttachedProcess,
}

impl PodShellEnd {
    /// Waits until the shell has exited; its exit code, when the cluster reported one.
    pub async fn exited(&mut self) -> Option<i32> {
        if let Some(code) = self.code {
            return code;
        }
        let status = match self.status.as_mut() {
            Some(status) => status.await,
            None => std::future::pending().await,
        };
        let code = exit_code(status.as_ref());
        self.code = Some(code);
        code
    }

    /// Ends the shell's stream (the shell gets a hang-up).
    pub fn stop(&self) {
        self.process.abort();
    }
}

/// An interactive shell (bash where the image has it, else sh) in the debug pod, on a
/// terminal of `cols` × `rows`.
pub async fn shell(client: &Client, namespace: &str, pod: &str, cols: u16, rows: u16) -> Result<PodShell, kube::Error> {
    let program = ["sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"];
    let mut process = Api::<Pod>::namespaced(client.clone(), namespace)
        .exec(pod, program, &AttachParams::interactive_tty().container(MAIN_CONTAINER))
        .await?;
    let mut size = PodTerminalSize(
        process
            .terminal_size()
            .map(|s| Box::pin(s.sink_map_err(|_| ())) as Pin<Box<dyn Sink<TerminalSize, Error = ()> + Send>>),
    );
    size.resize(cols, rows).await;
    let output: Pin<Box<dyn AsyncRead + Send>> = match process.stdout() {
        Some(stdout) => Box::pin(stdout),
        None => Box::pin(tokio::io::empty()),
    };
    let input: Pin<Box<dyn AsyncWrite + Send>> = match process.stdin() {
        Some(stdin) => Box::pin(stdin),
        None => Box::pin(tokio::io::sink()),
    };
    let status = process.take_status().map(FutureExt::boxed);
    Ok(PodShell { output, input, size, end: PodShellEnd { status, code: None, process } })
}

/// The exit code an exec's final status reports, as a kubelet reports it (cause `ExitCode`);
/// `None` when it says none (the stream broke, or the node reports exits otherwise, as
/// kwok does).
pub fn exit_code(status: Option<&Status>) -> Option<i32> {
    let status = status?;
    if status.status.as_deref() == Some("Success") {
        return Some(0);
    }
    status
        .details
        .as_ref()?
        .causes
        .iter()
        .flatten()
        .find(|cause| cause.reason.as_deref() == Some("ExitCode"))
        .and_then(|cause| cause.message.as_deref()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    use super::*;

    fn failure(reason: Option<&str>, message: &str) -> Status {
        Status {
            status: Some("Failure".into()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: reason.map(String::from),
                    message: Some(message.into()),
                    ..StatusCause::default()
                }]),
                ..StatusDetails::default()
            }),
            ..Status::default()
        }
    }

    #[test]
    fn exit_codes_are_read_from_the_kubelets_status() {
        let success = Status { status: Some("Success".into()), ..Status::default() };
        assert_eq!(exit_code(Some(&success)), Some(0));
        assert_eq!(exit_code(Some(&failure(Some("ExitCode"), "3"))), Some(3));
        assert_eq!(exit_code(Some(&failure(None, "cmd wait: exit status 3"))), None, "no structured code");
        assert_eq!(exit_code(None), None);
    }
}
