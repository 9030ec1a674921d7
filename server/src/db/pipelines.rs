//! Queries on `pipelines`.

use app::domain::pagination::PageRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{pipelines, project_members, projects};
use super::{DbError, Tx, contains_pattern, lower};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pipelines)]
pub struct PipelineRow {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub description: String,
    pub global_env: String,
    pub parallelism: i64,
    pub schedule_kind: String,
    pub cron: String,
    pub catchup_start: Option<NaiveDateTime>,
    pub depends_on_past: bool,
    pub max_active_runs: i64,
    pub keep_newest: i64,
    pub alert_statuses: String,
    pub alert_users: String,
    pub dag: String,
    pub expand: String,
    pub is_demo: bool,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub schedule_timezone: String,
    pub schedule_paused: bool,
    /// Ticks up to here are recorded (`None`: from the catch-up start or the next pass on).
    pub schedule_cursor: Option<NaiveDateTime>,
}

/// A pipeline with its project's name.
pub type PipelineWithProject = (PipelineRow, String);

/// The columns a save writes.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = pipelines, treat_none_as_null = true)]
pub struct PipelineValues<'a> {
    pub project_id: i64,
    pub name: &'a str,
    pub description: &'a str,
    pub global_env: &'a str,
    pub parallelism: i64,
    pub schedule_kind: &'a str,
    pub cron: &'a str,
    pub catchup_start: Option<NaiveDateTime>,
    pub depends_on_past: bool,
    pub max_active_runs: i64,
    pub keep_newest: i64,
    pub alert_statuses: &'a str,
    pub alert_users: &'a str,
    pub dag: &'a str,
    pub expand: &'a str,
    pub is_demo: bool,
    pub updated_at: NaiveDateTime,
    pub schedule_timezone: &'a str,
    pub schedule_paused: bool,
}

/// Which pipelines a list shows; all filters combine.
#[derive(Debug, Clone, Default)]
pub struct PipelineFilter {
    pub demo_only: bool,
    pub created_by: Option<i64>,
    /// Only pipelines of projects this user belongs to, created by someone else (no demos).
    pub shared_with: Option<i64>,
    /// Only pipelines this user may see: demos and those of their projects (none: all).
    pub visible_to: Option<i64>,
    pub project_id: Option<i64>,
    pub text: Option<String>,
}

pub async fn by_id(tx: &mut Tx<'_>, id: i64) -> Result<Option<PipelineWithProject>, DbError> {
    Ok(with_tx!(tx, |c| pipelines::table
        .inner_join(projects::table)
        .filter(pipelines::id.eq(id))
        .select((PipelineRow::as_select(), projects::name))
        .first(c)
        .await
        .optional())?)
}

/// Locks the pipeline's row until the transaction ends (PostgreSQL; SQLite has one writer),
/// so concurrent edits of one pipeline apply one after the other.
pub async fn lock(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    if let Tx::Postgres(c) = tx {
        pipelines::table.find(id).select(pipelines::id).for_update().load::<i64>(&mut **c).await?;
    }
    Ok(())
}

pub async fn id_named(tx: &mut Tx<'_>, name: &str) -> Result<Option<i64>, DbError> {
    Ok(with_tx!(tx, |c| pipelines::table
        .filter(pipelines::name.eq(name))
        .select(pipelines::id)
        .first::<i64>(c)
        .await
        .optional())?)
}

/// One page, most recently changed first.
pub async fn page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    filter: &PipelineFilter,
) -> Result<(Vec<PipelineWithProject>, u64), DbError> {
    let pattern = filter.text.as_deref().map(contains_pattern);
    macro_rules! filtered {
        () => {{
            let mut q = pipelines::table.inner_join(projects::table).into_boxed();
            if filter.demo_only {
                q = q.filter(pipelines::is_demo.eq(true));
            }
            if let Some(user) = filter.created_by {
                q = q.filter(pipelines::created_by.eq(user));
            }
            if let Some(user) = filter.shared_with {
                let mine = project_members::table.filter(project_members::user_id.eq(user));
                q = q
                    .filter(pipelines::project_id.eq_any(mine.select(project_members::project_id)))
                    .filter(pipelines::created_by.ne(user).or(pipelines::created_by.is_null()))
                    .filter(pipelines::is_demo.eq(false));
            }
            if let Some(user) = filter.visible_to {
                let mine = project_members::table.filter(project_members::user_id.eq(user));
                q = q.filter(
                    pipelines::is_demo
                        .eq(true)
                        .or(pipelines::project_id.eq_any(mine.select(project_members::project_id))),
                );
            }
            if let Some(project) = filter.project_id {
                q = q.filter(pipelines::project_id.eq(project));
            }
            if let Some(pattern) = &pattern {
                q = q.filter(
                    lower(pipelines::name)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(pipelines::description).like(pattern.clone()).escape('\\')),
                );
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order((pipelines::updated_at.desc(), pipelines::id.desc()))
        .offset(page.offset())
        .limit(page.limit())
        .select((PipelineRow::as_select(), projects::name))
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

pub async fn insert(
    tx: &mut Tx<'_>,
    values: &PipelineValues<'_>,
    creator: i64,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| diesel::insert_into(pipelines::table)
        .values((values, pipelines::created_by.eq(creator), pipelines::created_at.eq(now)))
        .returning(pipelines::id)
        .get_result(c)
        .await)?)
}

pub async fn update(tx: &mut Tx<'_>, id: i64, values: &PipelineValues<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(pipelines::table.find(id)).set(values).execute(c).await)?;
    Ok(())
}

/// Sets how far the schedule's dates are recorded (`None`: from its catch-up start on).
pub async fn set_schedule_cursor(tx: &mut Tx<'_>, id: i64, cursor: Option<NaiveDateTime>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(pipelines::table.find(id))
        .set(pipelines::schedule_cursor.eq(cursor))
        .execute(c)
        .await)?;
    Ok(())
}

/// Deletes a pipeline and its tasks.
pub async fn delete(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    use super::schema::tasks;
    with_tx!(tx, |c| diesel::delete(tasks::table.filter(tasks::pipeline_id.eq(id))).execute(c).await)?;
    with_tx!(tx, |c| diesel::delete(pipelines::table.find(id)).execute(c).await)?;
    Ok(())
}

/// How many pipelines a project holds.
pub async fn count_in_project(tx: &mut Tx<'_>, project: i64) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| pipelines::table.filter(pipelines::project_id.eq(project)).count().get_result(c).await)?)
}
