//! Queries on `repositories` and `images`.

use app::domain::pagination::PageRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{images, job_templates, repositories};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = repositories)]
pub struct RepositoryRow {
    pub id: i64,
    pub name: String,
    pub server: String,
    pub username: String,
    pub password_enc: String,
    pub hubsecret: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = repositories)]
pub struct RepositoryValues<'a> {
    pub name: &'a str,
    pub server: &'a str,
    pub username: &'a str,
    pub password_enc: &'a str,
    pub hubsecret: &'a str,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = images)]
pub struct ImageRow {
    pub id: i64,
    pub name: String,
    pub repository_id: Option<i64>,
    pub description: String,
    pub entrypoint: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = images)]
#[diesel(treat_none_as_null = true)]
pub struct ImageValues<'a> {
    pub name: &'a str,
    pub repository_id: Option<i64>,
    pub description: &'a str,
    pub entrypoint: &'a str,
    pub updated_at: NaiveDateTime,
}

pub async fn repository(tx: &mut Tx<'_>, id: i64) -> Result<Option<RepositoryRow>, DbError> {
    Ok(with_tx!(tx, |c| repositories::table.find(id).select(RepositoryRow::as_select()).first(c).await.optional())?)
}

pub async fn repository_named(tx: &mut Tx<'_>, name: &str) -> Result<Option<i64>, DbError> {
    Ok(with_tx!(tx, |c| repositories::table
        .filter(repositories::name.eq(name))
        .select(repositories::id)
        .first::<i64>(c)
        .await
        .optional())?)
}

/// One page of repositories by name; only `owner`'s when given.
pub async fn repositories_page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    owner: Option<i64>,
) -> Result<(Vec<RepositoryRow>, u64), DbError> {
    macro_rules! filtered {
        () => {{
            let mut q = repositories::table.into_boxed();
            if let Some(owner) = owner {
                q = q.filter(repositories::created_by.eq(owner));
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order(repositories::name.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(RepositoryRow::as_select())
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

pub async fn insert_repository(
    tx: &mut Tx<'_>,
    values: &RepositoryValues<'_>,
    creator: i64,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| diesel::insert_into(repositories::table)
        .values((values, repositories::created_by.eq(creator), repositories::created_at.eq(now)))
        .returning(repositories::id)
        .get_result(c)
        .await)?)
}

pub async fn update_repository(tx: &mut Tx<'_>, id: i64, values: &RepositoryValues<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(repositories::table.find(id)).set(values).execute(c).await)?;
    Ok(())
}

/// Another repository whose pull Secret has this name, if any (the lowest id).
pub async fn other_with_hubsecret(tx: &mut Tx<'_>, name: &str, except: i64) -> Result<Option<i64>, DbError> {
    Ok(with_tx!(tx, |c| repositories::table
        .filter(repositories::hubsecret.eq(name))
        .filter(repositories::id.ne(except))
        .order(repositories::id.asc())
        .select(repositories::id)
        .first(c)
        .await
        .optional())?)
}

/// Every repository's id and pull Secret name.
pub async fn hubsecrets(tx: &mut Tx<'_>) -> Result<Vec<(i64, String)>, DbError> {
    Ok(with_tx!(tx, |c| repositories::table.select((repositories::id, repositories::hubsecret)).load(c).await)?)
}

pub async fn delete_repository(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(repositories::table.find(id)).execute(c).await)?;
    Ok(())
}

/// Names of the given repositories, in one query.
pub async fn repository_names(tx: &mut Tx<'_>, ids: &[i64]) -> Result<Vec<(i64, String)>, DbError> {
    Ok(with_tx!(tx, |c| repositories::table
        .filter(repositories::id.eq_any(ids.to_vec()))
        .select((repositories::id, repositories::name))
        .load(c)
        .await)?)
}

pub async fn image(tx: &mut Tx<'_>, id: i64) -> Result<Option<ImageRow>, DbError> {
    Ok(with_tx!(tx, |c| images::table.find(id).select(ImageRow::as_select()).first(c).await.optional())?)
}

pub async fn image_named(tx: &mut Tx<'_>, name: &str) -> Result<Option<i64>, DbError> {
    Ok(with_tx!(tx, |c| images::table
        .filter(images::name.eq(name))
        .select(images::id)
        .first::<i64>(c)
        .await
        .optional())?)
}

/// One page of images by name; only `owner`'s when given.
pub async fn images_page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    owner: Option<i64>,
) -> Result<(Vec<ImageRow>, u64), DbError> {
    macro_rules! filtered {
        () => {{
            let mut q = images::table.into_boxed();
            if let Some(owner) = owner {
                q = q.filter(images::created_by.eq(owner));
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order(images::name.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(ImageRow::as_select())
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

pub async fn insert_image(
    tx: &mut Tx<'_>,
    values: &ImageValues<'_>,
    creator: i64,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| diesel::insert_into(images::table)
        .values((values, images::created_by.eq(creator), images::created_at.eq(now)))
        .returning(images::id)
        .get_result(c)
        .await)?)
}

pub async fn update_image(tx: &mut Tx<'_>, id: i64, values: &ImageValues<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(images::table.find(id)).set(values).execute(c).await)?;
    Ok(())
}

pub async fn delete_image(tx: &mut Tx<'_>, id: i64) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(images::table.find(id)).execute(c).await)?;
    Ok(())
}

/// How many templates use the image.
pub async fn templates_using_image(tx: &mut Tx<'_>, id: i64) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| job_templates::table.filter(job_templates::image_id.eq(id)).count().get_result(c).await)?)
}
