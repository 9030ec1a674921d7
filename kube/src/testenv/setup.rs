//! The plane's files (service-account key, admin token, kubeconfigs), the flags of its
//! Kubernetes components, waiting for the API server, and what the cluster needs before
//! Argo starts: its CRDs (read from the Go module cache, never copied) and its namespace.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, Patch, PatchParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, Client};

use super::components::Ports;
use super::{ControlPlane, START_LIMIT, StartError, programs};

/// The field manager of everything the harness applies.
pub const MANAGER: &str = "cubist-testenv";
/// The namespace the Argo controller lives in (it watches every namespace).
pub const ARGO_NAMESPACE: &str = "argo";

/// The Argo controller's configuration map.
const ARGO_CONFIG: &str = "workflow-controller-configmap";

/// Files the components read.
pub struct Files {
    pub kubeconfig: PathBuf,
    pub argo_kubeconfig: PathBuf,
    pub sa_key: PathBuf,
    pub sa_public: PathBuf,
    pub tokens: PathBuf,
}

fn io(what: &str) -> impl Fn(std::io::Error) -> StartError + '_ {
    move |e| StartError(format!("{what}: {e}"))
}

fn random_token() -> Result<String, StartError> {
    use std::io::Read;
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(io("no randomness"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn openssl(args: &[&str]) -> Result<(), StartError> {
    let out = Command::new("openssl").args(args).output().map_err(io("cannot run openssl"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(StartError(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr))))
    }
}

fn kubeconfig(port: u16, token: &str, namespace: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: https://127.0.0.1:{port}\n    \
         insecure-skip-tls-verify: true\nusers:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n- name: testenv\n  \
         context:\n    cluster: testenv\n    user: admin\n    namespace: {namespace}\ncurrent-context: testenv\n"
    )
}

/// Writes the key pair that signs service-account tokens, the static admin token (group
/// `system:masters`) and the kubeconfigs.
pub fn write_files(dir: &Path, apiserver_port: u16) -> Result<Files, StartError> {
    let files = Files {
        kubeconfig: dir.join("kubeconfig"),
        argo_kubeconfig: dir.join("kubeconfig-argo"),
        sa_key: dir.join("sa.key"),
        sa_public: dir.join("sa.pub"),
        tokens: dir.join("tokens.csv"),
    };
    let key = files.sa_key.display().to_string();
    openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", &key])?;
    openssl(&["ec", "-in", &key, "-pubout", "-out", &files.sa_public.display().to_string()])?;
    let token = random_token()?;
    std::fs::write(&files.tokens, format!("{token},admin,admin,\"system:masters\"\n")).map_err(io("tokens"))?;
    std::fs::write(&files.kubeconfig, kubeconfig(apiserver_port, &token, "default")).map_err(io("kubeconfig"))?;
    std::fs::write(&files.argo_kubeconfig, kubeconfig(apiserver_port, &token, ARGO_NAMESPACE))
        .map_err(io("kubeconfig"))?;
    Ok(files)
}

pub fn apiserver_args(dir: &Path, files: &Files, ports: &Ports) -> Vec<String> {
    vec![
        format!("--etcd-servers={}", ports.etcd_url()),
        "--bind-address=127.0.0.1".into(),
        "--advertise-address=127.0.0.1".into(),
        format!("--secure-port={}", ports.apiserver),
        format!("--cert-dir={}", dir.join("certs").display()),
        "--service-cluster-ip-range=10.0.0.0/24".into(),
        "--allow-privileged=true".into(),
        "--service-account-issuer=https://kubernetes.default.svc".into(),
        format!("--service-account-key-file={}", files.sa_public.display()),
        format!("--service-account-signing-key-file={}", files.sa_key.display()),
        format!("--token-auth-file={}", files.tokens.display()),
        "--authorization-mode=RBAC".into(),
        "--profiling=false".into(),
        // Fake nodes are reached at their InternalIP (kwok's server on loopback).
        "--kubelet-preferred-address-types=InternalIP".into(),
    ]
}

pub fn controller_manager_args(files: &Files, port: u16) -> Vec<String> {
    vec![
        format!("--kubeconfig={}", files.kubeconfig.display()),
        "--leader-elect=false".into(),
        "--bind-address=127.0.0.1".into(),
        format!("--secure-port={port}"),
        format!("--service-account-private-key-file={}", files.sa_key.display()),
        "--use-service-account-credentials=false".into(),
        "--controllers=*,-csrsigning,-nodeipam".into(),
    ]
}

pub fn scheduler_args(kubeconfig: &str, port: u16) -> Vec<String> {
    vec![
        format!("--kubeconfig={kubeconfig}"),
        "--leader-elect=false".into(),
        "--bind-address=127.0.0.1".into(),
        format!("--secure-port={port}"),
    ]
}

pub fn argo_args(files: &Files) -> Vec<String> {
    vec![format!("--kubeconfig={}", files.argo_kubeconfig.display()), "--loglevel=info".into()]
}

/// Waits until the API server answers `/readyz`, failing early when a process died.
pub async fn wait_ready(plane: &ControlPlane, children: &mut [Child]) -> Result<(), StartError> {
    let deadline = Instant::now() + START_LIMIT;
    let mut last = String::from("no answer yet");
    loop {
        if let Some(dead) = children.iter_mut().find_map(|c| c.try_wait().ok().flatten()) {
            return Err(StartError(format!("a component exited ({dead}) before the API server was ready")));
        }
        if let Ok(client) = plane.client().await {
            let request = http::Request::get("/readyz").body(Vec::new());
            match request {
                Ok(request) => match client.request_text(request).await {
                    Ok(text) if text.trim() == "ok" => return Ok(()),
                    Ok(text) => last = text,
                    Err(e) => last = e.to_string(),
                },
                Err(e) => last = e.to_string(),
            }
        }
        if Instant::now() > deadline {
            return Err(StartError(format!("the API server was not ready in time: {last}")));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Applies Argo's full-schema CRDs (server-side apply: they are large) and waits until they
/// serve; makes the Argo controller's namespace.
pub async fn prepare_cluster(plane: &ControlPlane) -> Result<(), StartError> {
    let fail = |e: kube::Error| StartError(format!("preparing the cluster: {e}"));
    let client = plane.client().await?;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let dir = programs::module_dir("argo-module-dir")?.join("manifests/base/crds/full");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io("Argo's CRDs"))?.filter_map(Result::ok) {
        let path = entry.path();
        if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("argoproj.io_")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(io("an Argo CRD"))?;
        let crd: CustomResourceDefinition =
            serde_yaml::from_str(&text).map_err(|e| StartError(format!("{}: {e}", path.display())))?;
        let name = crd.metadata.name.clone().unwrap_or_default();
        crds.patch(&name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&crd)).await.map_err(fail)?;
        names.push(name);
    }
    for name in &names {
        let established = await_condition(crds.clone(), name, conditions::is_crd_established());
        tokio::time::timeout(Duration::from_secs(60), established)
            .await
            .map_err(|_| StartError(format!("CRD {name} was not established in time")))?
            .map_err(|e| StartError(format!("waiting for CRD {name}: {e}")))?;
    }
    create_namespace(&client, ARGO_NAMESPACE).await.map_err(fail)?;
    // The controller stops when its configuration map is missing; the defaults are right.
    let config = ConfigMap {
        metadata: ObjectMeta { name: Some(ARGO_CONFIG.into()), ..ObjectMeta::default() },
        ..ConfigMap::default()
    };
    Api::<ConfigMap>::namespaced(client, ARGO_NAMESPACE)
        .patch(ARGO_CONFIG, &PatchParams::apply(MANAGER), &Patch::Apply(&config))
        .await
        .map_err(fail)?;
    Ok(())
}

async fn create_namespace(client: &Client, name: &str) -> Result<(), kube::Error> {
    let namespace =
        Namespace { metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() }, ..Namespace::default() };
    Api::<Namespace>::all(client.clone()).patch(name, &PatchParams::apply(MANAGER), &Patch::Apply(&namespace)).await?;
    Ok(())
}
