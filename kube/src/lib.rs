//! Cubist on Kubernetes. The cluster side of the engine lives here, apart from the server
//! crate, so that kube-rs and the Kubernetes types compile once and not with every change
//! to the server. With the `testenv` feature it also starts a real control plane for tests
//! (see [`testenv`]).

pub mod argo;
/// The client of a cluster, as the server holds it.
pub use kube::Client;
pub mod clusters;
pub mod debug_pods;
pub mod pod_logs;
pub mod pods;
pub mod registry_secrets;
pub mod run_state;
#[cfg(feature = "testenv")]
pub mod testenv;
pub mod workflow;
pub mod workflows;
