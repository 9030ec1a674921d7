//! Single-task edits of a pipeline. Each one applies a change to the stored document and
//! saves it whole, so the DAG and the canvas layout stay consistent: a renamed task keeps
//! its edges and position, a deleted one takes its edges along.

use app::domain::pipeline_rules::{remove_task, rename_task};
use app::model::{FieldError, PipelineId, Position, Task, TaskId, TaskInput};

use super::pipelines::{edit, reach, to_task};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::Db;
use crate::db::tasks as task_rows;

/// Horizontal distance between a new task and the rightmost one on the canvas.
const NEW_TASK_GAP: f64 = 280.0;

pub async fn list(db: &Db, caller: &Identity, pipeline: PipelineId) -> Result<Vec<Task>> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    reach(&mut tx, caller, pipeline).await?;
    Ok(task_rows::of_pipeline(&mut tx, pipeline.0).await?.iter().map(to_task).collect())
}

pub async fn get(db: &Db, caller: &Identity, pipeline: PipelineId, id: TaskId) -> Result<Task> {
    list(db, caller, pipeline).await?.into_iter().find(|t| t.id == id).ok_or(Error::NotFound("task"))
}

/// Errors of the task at `index` named as fields of the single task.
fn for_single(index: usize) -> impl Fn(Error) -> Error {
    let prefix = format!("tasks[{index}].");
    move |error| match error {
        Error::Validation(errors) => Error::Validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field.strip_prefix(&prefix).unwrap_or(&e.field).to_owned(),
                    message: e.message,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Adds a task, placed to the right of the rightmost one.
pub async fn create(db: &Db, caller: &Identity, pipeline: PipelineId, mut input: TaskInput) -> Result<Task> {
    input.id = None;
    let name = input.fields.name.trim().to_owned();
    let mut index = 0;
    edit(db, caller, pipeline, |mut graph| {
        let layout = &mut graph.pipeline.fields.expand.layout;
        let right = layout.values().map(|p| p.x).fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        layout.insert(name.clone(), Position { x: right.map_or(40.0, |x| x + NEW_TASK_GAP), y: 40.0 });
        index = graph.tasks.len();
        graph.tasks.push(input);
        Ok(graph)
    })
    .await
    .map_err(|e| for_single(index)(e))?;
    list(db, caller, pipeline).await?.into_iter().find(|t| t.fields.name == name).ok_or(Error::NotFound("task"))
}

/// Replaces a task; a new name is carried into the DAG and the layout.
pub async fn update(
    db: &Db,
    caller: &Identity,
    pipeline: PipelineId,
    id: TaskId,
    mut input: TaskInput,
) -> Result<Task> {
    input.id = Some(id);
    let mut index = 0;
    edit(db, caller, pipeline, |mut graph| {
        index = graph.tasks.iter().position(|t| t.id == Some(id)).ok_or(Error::NotFound("task"))?;
        let old = graph.tasks[index].fields.name.clone();
        rename_task(&mut graph.pipeline.fields, &old, input.fields.name.trim());
        graph.tasks[index] = input;
        Ok(graph)
    })
    .await
    .map_err(|e| for_single(index)(e))?;
    get(db, caller, pipeline, id).await
}

/// Deletes a task and its edges.
pub async fn delete(db: &Db, caller: &Identity, pipeline: PipelineId, id: TaskId) -> Result<()> {
    edit(db, caller, pipeline, |mut graph| {
        let index = graph.tasks.iter().position(|t| t.id == Some(id)).ok_or(Error::NotFound("task"))?;
        let removed = graph.tasks.remove(index);
        remove_task(&mut graph.pipeline.fields, &removed.fields.name);
        Ok(graph)
    })
    .await
}
