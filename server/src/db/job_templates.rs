//! Queries on `job_templates`.

use app::domain::pagination::PageRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{images, job_templates, projects};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = job_templates)]
pub struct TemplateRow {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub version: String,
    pub image_id: i64,
    pub description: String,
    pub workdir: String,
    pub entrypoint: String,
    pub volume_mount: String,
    pub env: String,
    pub service_account: String,
    pub privileged: bool,
    pub host_aliases: String,
    pub args: String,
    pub demo: String,
    pub expand: String,
    pub sort_index: i64,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A template with its category's and image's names.
pub type TemplateWithNames = (TemplateRow, String, String);

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = job_templates)]
pub struct TemplateValues<'a> {
    pub project_id: i64,
    pub name: &'a str,
    pub version: &'a str,
    pub image_id: i64,
    pub description: &'a str,
    pub workdir: &'a str,
    pub entrypoint: &'a str,
    pub volume_mount: &'a str,
    pub env: &'a str,
    pub service_account: &'a str,
    pub privileged: bool,
    pub host_aliases: &'a str,
    pub args: &'a str,
    pub demo: &'a str,
    pub expand: &'a str,
    pub sort_index: i64,
    pub updated_at: NaiveDateTime,
}

pub async fn by_id(tx: &mut Tx<'_>, id: i64) -> Result<Option<TemplateWithNames>, DbError> {
    Ok(with_tx!(tx, |c| job_templates::table
        .inner_join(projects::table)
        .inner_join(images::table)
        .filter(job_templates::id.eq(id))
        .select((TemplateRow::as_select(), projects::name, images::name))
        .first(c)
        .await
        .optional())?)
}

pub async fn id_named(tx: &mut Tx<'_>, name: &str) -> Result<Option<i64>, DbError> {
    Ok(with_tx!(tx, |c| job_templates::table
        .filter(job_templates::name.eq(name))
        .select(job_templates::id)
        .first::<i64>(c)
        .await
        .optional())?)
}

/// One page ordered by category index, template index and name. `visible_to` limits
/// non-released templates to that creator (administrators pass `None`).
pub async fn page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    category: Option<i64>,
    visible_to: Option<i64>,
) -> Result<(Vec<TemplateWithNames>, u64), DbError> {
    macro_rules! filtered {
        () => {{
            let mut q = job_templates::table.inner_join(projects::table).inner_join(images::table).into_boxed();
            if let Some(category) = category {
                q = q.filter(job_templates::project_id.eq(category));
            }
            if let Some(user) = visible_to {
                q = q.filter(job_templates::version.eq("Release").or(job_templates::created_by.eq(user)));
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order((
            projects::sort_index.asc(),
            projects::name.asc(),
            job_templates::sort_index.asc(),
            job_templates::name.asc()
        ))
        .offset(page.offset())
        .limit(page.limit())
        .select((TemplateRow::as_select(), projects::name, images::name))
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

pub async fn insert(
    tx: &mut Tx<'_>,
    values: &TemplateValues<'_>,
    creator: i64,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| diesel::insert_into(job_templates::table)
        .values((values, job_templates::created_by.eq(creator), job_templates::created_at.eq(now)))
        .returning(job_templates::id)
        .get_result(c)
        .await)?)
}

pub async fn update(tx: &mut Tx<'_>, id: i64, values: &TemplateValues<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(job_templates::table.find(id)).set(values).execute(c).await)?;
    Ok(())
}

pub async fn delete(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(job_templates::table.find(id)).execute(c).await)?;
    Ok(())
}

/// How many templates a category holds.
pub async fn count_in_category(tx: &mut Tx<'_>, category: i64) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| job_templates::table
        .filter(job_templates::project_id.eq(category))
        .count()
        .get_result(c)
        .await)?)
}

/// The templates with these ids, in one query.
pub async fn by_ids(tx: &mut Tx<'_>, ids: &[i64]) -> Result<Vec<TemplateRow>, DbError> {
    Ok(with_tx!(tx, |c| job_templates::table
        .filter(job_templates::id.eq_any(ids.to_vec()))
        .select(TemplateRow::as_select())
        .load(c)
        .await)?)
}

/// Ids of the templates with these names, in one query.
pub async fn ids_named(tx: &mut Tx<'_>, names: &[String]) -> Result<Vec<(String, i64)>, DbError> {
    Ok(with_tx!(tx, |c| job_templates::table
        .filter(job_templates::name.eq_any(names.to_vec()))
        .select((job_templates::name, job_templates::id))
        .load(c)
        .await)?)
}
