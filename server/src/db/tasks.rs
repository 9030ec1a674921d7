//! Queries on `tasks`. A pipeline's tasks are read and written as a set, in batches.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{job_templates, tasks};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tasks)]
pub struct TaskRow {
    pub id: i64,
    pub pipeline_id: i64,
    pub name: String,
    pub label: String,
    pub template_id: i64,
    pub args: String,
    pub workdir: String,
    pub command: String,
    pub volume_mount: String,
    pub cpu: String,
    pub memory: String,
    pub gpu: String,
    pub timeout_secs: i64,
    pub retries: i64,
    pub skip: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A task with its template's name.
pub type TaskWithTemplate = (TaskRow, String);

/// The columns a save writes.
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = tasks)]
pub struct TaskValues {
    pub pipeline_id: i64,
    pub name: String,
    pub label: String,
    pub template_id: i64,
    pub args: String,
    pub workdir: String,
    pub command: String,
    pub volume_mount: String,
    pub cpu: String,
    pub memory: String,
    pub gpu: String,
    pub timeout_secs: i64,
    pub retries: i64,
    pub skip: bool,
    pub updated_at: NaiveDateTime,
    #[diesel(skip_update)]
    pub created_at: NaiveDateTime,
}

impl TaskValues {
    /// Whether saving these values would change the stored row (timestamps aside).
    pub fn differs_from(&self, row: &TaskRow) -> bool {
        (&self.name, &self.label, self.template_id, &self.args, &self.workdir, &self.command)
            != (&row.name, &row.label, row.template_id, &row.args, &row.workdir, &row.command)
            || (&self.volume_mount, &self.cpu, &self.memory, &self.gpu)
                != (&row.volume_mount, &row.cpu, &row.memory, &row.gpu)
            || (self.timeout_secs, self.retries, self.skip) != (row.timeout_secs, row.retries, row.skip)
    }
}

/// A pipeline's tasks in creation order.
pub async fn of_pipeline(tx: &mut Tx<'_>, pipeline: i64) -> Result<Vec<TaskWithTemplate>, DbError> {
    Ok(with_tx!(tx, |c| tasks::table
        .inner_join(job_templates::table)
        .filter(tasks::pipeline_id.eq(pipeline))
        .order(tasks::id.asc())
        .select((TaskRow::as_select(), job_templates::name))
        .load(c)
        .await)?)
}

/// Inserts tasks in batches.
pub async fn insert_all(tx: &mut Tx<'_>, rows: &[TaskValues]) -> Result<(), DbError> {
    crate::insert_rows!(tx, tasks::table, rows);
    Ok(())
}

pub async fn update(tx: &mut Tx<'_>, id: i64, values: &TaskValues) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(tasks::table.find(id)).set(values).execute(c).await)?;
    Ok(())
}

pub async fn delete_all(tx: &mut Tx<'_>, ids: &[i64]) -> Result<(), DbError> {
    if !ids.is_empty() {
        with_tx!(tx, |c| diesel::delete(tasks::table.filter(tasks::id.eq_any(ids.to_vec()))).execute(c).await)?;
    }
    Ok(())
}

/// How many tasks use a template (templates in use cannot be deleted).
pub async fn count_using_template(tx: &mut Tx<'_>, template: i64) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| tasks::table.filter(tasks::template_id.eq(template)).count().get_result(c).await)?)
}

/// A task with what planning needs: its template, the image's name and entrypoint, and the
/// pull secret of the image's registry account.
pub type TaskForPlan = (TaskRow, super::job_templates::TemplateRow, String, String, Option<String>);

/// The tasks of a pipeline with their templates and images, in one query.
pub async fn for_plan(tx: &mut Tx<'_>, pipeline: i64) -> Result<Vec<TaskForPlan>, DbError> {
    use super::job_templates::TemplateRow;
    use super::schema::{images, repositories};
    Ok(with_tx!(tx, |c| tasks::table
        .inner_join(job_templates::table.inner_join(images::table.left_join(repositories::table)))
        .filter(tasks::pipeline_id.eq(pipeline))
        .order(tasks::id.asc())
        .select((
            TaskRow::as_select(),
            TemplateRow::as_select(),
            images::name,
            images::entrypoint,
            repositories::hubsecret.nullable(),
        ))
        .load(c)
        .await)?)
}

/// The pipeline and name of a task.
pub async fn owner(tx: &mut Tx<'_>, task: i64) -> Result<Option<(i64, String)>, DbError> {
    Ok(with_tx!(tx, |c| tasks::table.find(task).select((tasks::pipeline_id, tasks::name)).first(c).await.optional())?)
}
