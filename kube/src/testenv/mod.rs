//! A real Kubernetes control plane for tests: etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler, kwok (fake nodes whose pods run through stages instead of containers) and
//! the Argo workflow-controller, each its own process on loopback, built from Go modules by
//! `scripts/testenv-build.sh`. One plane per test binary, started on first use; every test
//! gets a namespace of its own.
//!
//! The processes are started from one thread that lives as long as the test binary, each
//! with a parent-death signal, so nothing is left running when the binary ends (even when
//! it crashes); the folders of earlier planes whose binary is gone are removed at the next
//! start.

mod components;
mod nodes;
mod programs;
mod setup;
mod workspace;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

pub use nodes::{FAKE_NODES, POD_OUTPUT, RUNS_UNTIL_STOPPED};

/// Why the control plane could not start.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the Kubernetes test control plane did not start: {0}")]
pub struct StartError(pub String);

/// A running control plane, as tests reach it.
#[derive(Debug, Clone)]
pub struct ControlPlane {
    /// A kubeconfig with the administrator's token (for programs and clients).
    pub kubeconfig: PathBuf,
    /// The plane's folder: configuration, data and every component's log.
    pub dir: PathBuf,
}

/// How long the whole plane may take to come up on a loaded two-core machine.
const START_LIMIT: Duration = Duration::from_secs(180);

/// The plane of this test binary, started on first use.
pub fn shared() -> Result<&'static ControlPlane, StartError> {
    static PLANE: OnceLock<Result<ControlPlane, StartError>> = OnceLock::new();
    PLANE.get_or_init(components::start_keeper).as_ref().map_err(Clone::clone)
}

impl ControlPlane {
    /// A client of the plane with administrator rights, on the caller's runtime.
    pub async fn client(&self) -> Result<Client, StartError> {
        let fail = |e: &dyn std::fmt::Display| StartError(format!("cannot make a client: {e}"));
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig).map_err(|e| fail(&e))?;
        let config =
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await.map_err(|e| fail(&e))?;
        Client::try_from(config).map_err(|e| fail(&e))
    }

    /// Creates a namespace of its own for a test, `<prefix>-<random>`, with the workspace
    /// claim every Cubist namespace has (`kubeflow-user-workspace`, bound), and waits until
    /// its `default` service account exists (pods are refused before).
    pub async fn namespace(&self, client: &Client, prefix: &str) -> Result<String, kube::Error> {
        let name = format!("{prefix}-{:08x}", rand_suffix());
        let namespace = Namespace {
            metadata: ObjectMeta { name: Some(name.clone()), ..ObjectMeta::default() },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &namespace).await?;
        workspace::create(client, &name).await?;
        let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &name);
        for _ in 0..200 {
            if accounts.get_opt("default").await?.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(name)
    }
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    hasher.finish() as u32
}
