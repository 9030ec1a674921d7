//! What a run of a pipeline would submit to its cluster, before anything is submitted: the
//! Argo Workflow rendered from the plan the run would compile now. Who may run a pipeline
//! may preview it.

use std::time::Duration;

use app::model::PipelineId;
use cubist_kube::argo::Workflow;
use cubist_kube::workflow;

use super::Result;
use super::runs::{Compiled, compile, new_run_id};
use crate::auth::Identity;
use crate::db::Db;
use crate::engine::cluster::ClusterEngine;

/// The Workflow a run of pipeline `id` would submit (its run id is a fresh one).
pub async fn preview(db: &Db, caller: &Identity, id: PipelineId, retry_backoff: Duration) -> Result<Workflow> {
    let Compiled { plan, project, .. } = compile(&mut db.read().await?.tx(), caller, id, &new_run_id(), None).await?;
    let target = ClusterEngine::target(&project.cluster, project.pipeline_namespace(), retry_backoff);
    Ok(workflow::render(&plan, &target))
}
