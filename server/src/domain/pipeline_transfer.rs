//! Moving pipelines around: copy (also of demo pipelines, into a project of the caller),
//! export as a portable JSON document (templates by name) and import of such a document.

use std::collections::HashMap;

use app::domain::pipeline_rules::MAX_NAME_LEN;
use app::model::{
    ExportedTask, FieldError, GraphInput, PipelineCopy, PipelineExport, PipelineGraph, PipelineId, PipelineImport,
    PipelineInput, ProjectId, ScheduleKind, TaskInput,
};

use super::pipeline_graph::{self, current_input};
use super::pipelines::{self, fields_of, reach};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::job_templates as templates;
use crate::db::projects::memberships_of;
use crate::db::tasks as task_rows;
use crate::db::{Db, Tx};
use crate::transaction;

/// `<name>-copy-<4 hex>`, cut so it stays a valid name.
fn copy_name(name: &str) -> String {
    let suffix: String = crate::auth::secret::random_secret()
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .take(4)
        .collect();
    let base: String = name.chars().take(MAX_NAME_LEN - 10).collect();
    format!("{}-copy-{suffix}", base.trim_end_matches('-'))
}

/// Where a copy goes: the requested project, else the source's if the caller belongs to
/// it, else the caller's first project.
async fn copy_target(tx: &mut Tx<'_>, caller: &Identity, source: i64, asked: Option<ProjectId>) -> Result<ProjectId> {
    if let Some(project) = asked {
        return Ok(project);
    }
    let mine = memberships_of(tx, caller.user_id).await?;
    if caller.is_admin() || mine.iter().any(|m| m.project_id.0 == source) {
        return Ok(ProjectId(source));
    }
    mine.first()
        .map(|m| m.project_id)
        .ok_or_else(|| super::invalid("project_id", "you belong to no project group to copy into"))
}

/// Copies a visible pipeline with its tasks; the copy is not a demo, runs only by hand and
/// tells nobody but its owner about runs.
pub async fn copy(db: &Db, caller: &Identity, id: PipelineId, body: PipelineCopy) -> Result<PipelineGraph> {
    let mut conn = db.write().await?;
    let new_id = transaction!(&mut conn, |tx| {
        let source = reach(tx, caller, id).await?;
        let tasks = task_rows::of_pipeline(tx, id.0).await?;
        let mut input = current_input(&source.row, &tasks);
        input.pipeline.project_id = copy_target(tx, caller, source.row.project_id, body.project_id).await?;
        let fields = &mut input.pipeline.fields;
        fields.name = copy_name(&fields.name);
        fields.expand.demo = false;
        fields.schedule.kind = ScheduleKind::Once;
        // A copy never catches up on the dates of its original.
        fields.schedule.catchup_start = None;
        fields.alerts.users.clear();
        for task in &mut input.tasks {
            task.id = None;
        }
        pipeline_graph::save(tx, caller, None, &input).await
    })?;
    drop(conn);
    pipelines::graph(db, caller, PipelineId(new_id)).await
}

/// The pipeline as a document that [`import`] takes back.
pub async fn export(db: &Db, caller: &Identity, id: PipelineId) -> Result<PipelineExport> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let reached = reach(&mut tx, caller, id).await?;
    let tasks = task_rows::of_pipeline(&mut tx, id.0).await?;
    Ok(PipelineExport {
        pipeline: fields_of(&reached.row),
        tasks: tasks
            .iter()
            .map(|(row, template)| ExportedTask {
                template: template.clone(),
                fields: pipeline_graph::task_fields(row),
            })
            .collect(),
    })
}

/// Errors of the underlying save, named after the document's fields.
fn in_document(error: Error) -> Error {
    match error {
        Error::Validation(errors) => Error::Validation(
            errors
                .into_iter()
                .map(|e| {
                    let field = match e.field.as_str() {
                        "project_id" | "name" => e.field,
                        f if f.starts_with("tasks") => format!("document.{f}"),
                        f => format!("document.pipeline.{f}"),
                    };
                    FieldError { field, message: e.message }
                })
                .collect(),
        ),
        other => other,
    }
}

/// Creates a pipeline from an exported document. Templates are found by name; only
/// administrators import demo pipelines as demos.
pub async fn import(db: &Db, caller: &Identity, body: PipelineImport) -> Result<PipelineGraph> {
    let mut conn = db.write().await?;
    let new_id = transaction!(&mut conn, |tx| import_in(tx, caller, &body).await)?;
    drop(conn);
    pipelines::graph(db, caller, PipelineId(new_id)).await
}

/// [`import`] inside the caller's transaction (the first-start seed uses it too).
pub async fn import_in(tx: &mut Tx<'_>, caller: &Identity, body: &PipelineImport) -> Result<i64> {
    let document = &body.document;
    let wanted: Vec<String> = document.tasks.iter().map(|t| t.template.clone()).collect();
    let found: HashMap<String, i64> = templates::ids_named(tx, &wanted).await?.into_iter().collect();
    let mut missing = Vec::new();
    let mut tasks = Vec::with_capacity(document.tasks.len());
    for (i, task) in document.tasks.iter().enumerate() {
        match found.get(&task.template) {
            Some(id) => tasks.push(TaskInput { id: None, template_id: *id, fields: task.fields.clone() }),
            None => missing.push(FieldError {
                field: format!("document.tasks[{i}].template"),
                message: format!("no job template is named '{}'", task.template),
            }),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    let mut fields = document.pipeline.clone();
    if let Some(name) = &body.name {
        fields.name.clone_from(name);
    }
    fields.expand.demo &= caller.is_admin();
    // An imported schedule starts from now: an old export never floods with its catch-up.
    fields.schedule.catchup_start = None;
    let input =
        GraphInput { pipeline: PipelineInput { project_id: body.project_id, fields }, tasks, base_updated_at: None };
    pipeline_graph::save(tx, caller, None, &input).await.map_err(in_document)
}
