//! What a run of a pipeline would submit to its cluster, before anything is submitted: the
//! Argo Workflow rendered from the plan the run would compile now. Who may run a pipeline
//! may preview it.

use std::time::Duration;

use app::model::PipelineId;
use cubist_kube::argo::Workflow;
use cubist_kube::workflow::{self, GpuResources, Target};

use super::Result;
use super::runs::{Compiled, compile, new_run_id};
use crate::auth::Identity;
use crate::db::Db;

/// The service account pipeline pods run as unless their template names one.
pub const PIPELINE_SERVICE_ACCOUNT: &str = "pipeline-runner";

/// The Workflow a run of pipeline `id` would submit (its run id is a fresh one).
pub async fn preview(db: &Db, caller: &Identity, id: PipelineId, retry_backoff: Duration) -> Result<Workflow> {
    let Compiled { plan, project, .. } = compile(&mut db.read().await?.tx(), caller, id, &new_run_id(), None).await?;
    let target = Target {
        namespace: project.pipeline_namespace().to_owned(),
        cluster: project.cluster.clone(),
        pull_secrets: Vec::new(),
        service_account: PIPELINE_SERVICE_ACCOUNT.to_owned(),
        gpu_resources: GpuResources::default(),
        retry_backoff_secs: u32::try_from(retry_backoff.as_secs().max(1)).unwrap_or(u32::MAX),
    };
    Ok(workflow::render(&plan, &target))
}
