//! Queries on `projects` and `project_members`.

use std::collections::HashMap;

use app::domain::pagination::PageRequest;
use app::model::{ProjectId, ProjectKind, ProjectMembership, ProjectRole, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{project_members, projects, users};
use super::{DbError, Tx};
use crate::with_tx;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = projects)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub expand: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sort_index: i64,
}

/// Columns of a new project.
#[derive(Debug, Insertable)]
#[diesel(table_name = projects)]
pub struct NewProjectRow<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub description: &'a str,
    pub expand: &'a str,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sort_index: i64,
}

/// Columns an update may change.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = projects)]
pub struct ProjectChanges<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub expand: &'a str,
    pub sort_index: i64,
    pub updated_at: NaiveDateTime,
}

pub async fn by_id(tx: &mut Tx<'_>, id: ProjectId) -> Result<Option<ProjectRow>, DbError> {
    Ok(with_tx!(tx, |c| projects::table.find(id.0).select(ProjectRow::as_select()).first(c).await.optional())?)
}

pub async fn by_name(tx: &mut Tx<'_>, kind: ProjectKind, name: &str) -> Result<Option<ProjectId>, DbError> {
    let found = with_tx!(tx, |c| projects::table
        .filter(projects::kind.eq(kind.as_str()))
        .filter(projects::name.eq(name))
        .select(projects::id)
        .first::<i64>(c)
        .await
        .optional())?;
    Ok(found.map(ProjectId))
}

/// One page of projects ordered by kind, index and name; optionally of one kind and only
/// those `member` belongs to.
pub async fn page(
    tx: &mut Tx<'_>,
    page: PageRequest,
    kind: Option<ProjectKind>,
    member: Option<UserId>,
) -> Result<(Vec<ProjectRow>, u64), DbError> {
    // A macro, not a closure: the boxed query's type depends on the backend of each arm.
    macro_rules! filtered {
        () => {{
            let mut q = projects::table.into_boxed();
            if let Some(kind) = kind {
                q = q.filter(projects::kind.eq(kind.as_str()));
            }
            if let Some(user) = member {
                let mine = project_members::table
                    .filter(project_members::user_id.eq(user.0))
                    .select(project_members::project_id);
                q = q.filter(projects::id.eq_any(mine));
            }
            q
        }};
    }
    let rows = with_tx!(tx, |c| filtered!()
        .order((projects::kind.asc(), projects::sort_index.asc(), projects::name.asc()))
        .offset(page.offset())
        .limit(page.limit())
        .select(ProjectRow::as_select())
        .load(c)
        .await)?;
    let total: i64 = with_tx!(tx, |c| filtered!().count().get_result(c).await)?;
    Ok((rows, total.max(0) as u64))
}

pub async fn insert(tx: &mut Tx<'_>, row: &NewProjectRow<'_>) -> Result<ProjectId, DbError> {
    let id =
        with_tx!(tx, |c| diesel::insert_into(projects::table).values(row).returning(projects::id).get_result(c).await)?;
    Ok(ProjectId(id))
}

/// Creates the project if missing and returns its id either way.
pub async fn ensure(tx: &mut Tx<'_>, row: &NewProjectRow<'_>) -> Result<ProjectId, DbError> {
    let kind = ProjectKind::parse(row.kind).unwrap_or(ProjectKind::Org);
    match by_name(tx, kind, row.name).await? {
        Some(id) => Ok(id),
        None => insert(tx, row).await,
    }
}

pub async fn update(tx: &mut Tx<'_>, id: ProjectId, changes: &ProjectChanges<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(projects::table.find(id.0)).set(changes).execute(c).await)?;
    Ok(())
}

pub async fn delete(tx: &mut Tx<'_>, id: ProjectId) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(projects::table.find(id.0)).execute(c).await)?;
    Ok(())
}

/// Usernames of the given users, in one query.
pub async fn usernames(tx: &mut Tx<'_>, ids: &[i64]) -> Result<HashMap<i64, String>, DbError> {
    let rows: Vec<(i64, String)> = with_tx!(tx, |c| users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .select((users::id, users::username))
        .load(c)
        .await)?;
    Ok(rows.into_iter().collect())
}

/// Member counts of the given projects, in one query.
pub async fn member_counts(tx: &mut Tx<'_>, ids: &[i64]) -> Result<HashMap<i64, u64>, DbError> {
    let rows: Vec<(i64, i64)> = with_tx!(tx, |c| project_members::table
        .filter(project_members::project_id.eq_any(ids.to_vec()))
        .group_by(project_members::project_id)
        .select((project_members::project_id, diesel::dsl::count_star()))
        .load(c)
        .await)?;
    Ok(rows.into_iter().map(|(p, n)| (p, n.max(0) as u64)).collect())
}

/// The user's role in each of the given projects, in one query.
pub async fn roles_of(tx: &mut Tx<'_>, user: UserId, ids: &[i64]) -> Result<HashMap<i64, ProjectRole>, DbError> {
    let rows: Vec<(i64, String)> = with_tx!(tx, |c| project_members::table
        .filter(project_members::user_id.eq(user.0))
        .filter(project_members::project_id.eq_any(ids.to_vec()))
        .select((project_members::project_id, project_members::role))
        .load(c)
        .await)?;
    Ok(rows.into_iter().filter_map(|(p, r)| ProjectRole::parse(&r).map(|r| (p, r))).collect())
}

/// The roles of `users` in `projects`, by (project, user).
pub async fn member_roles(
    tx: &mut Tx<'_>,
    projects: &[i64],
    users: &[i64],
) -> Result<HashMap<(i64, i64), ProjectRole>, DbError> {
    let rows: Vec<(i64, i64, String)> = with_tx!(tx, |c| project_members::table
        .filter(project_members::project_id.eq_any(projects))
        .filter(project_members::user_id.eq_any(users))
        .select((project_members::project_id, project_members::user_id, project_members::role))
        .load(c)
        .await)?;
    Ok(rows.into_iter().filter_map(|(p, u, r)| ProjectRole::parse(&r).map(|r| ((p, u), r))).collect())
}

/// Members of a project by username: (user id, username, role, since).
pub async fn members(
    tx: &mut Tx<'_>,
    project: ProjectId,
) -> Result<Vec<(i64, String, String, NaiveDateTime)>, DbError> {
    Ok(with_tx!(tx, |c| project_members::table
        .inner_join(users::table)
        .filter(project_members::project_id.eq(project.0))
        .order(users::username.asc())
        .select((users::id, users::username, project_members::role, project_members::created_at))
        .load(c)
        .await)?)
}

/// Adds a member unless they already belong to the project.
pub async fn add_member(
    tx: &mut Tx<'_>,
    project: ProjectId,
    user: UserId,
    role: ProjectRole,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(project_members::table)
        .values((
            project_members::project_id.eq(project.0),
            project_members::user_id.eq(user.0),
            project_members::role.eq(role.as_str()),
            project_members::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c)
        .await)?;
    Ok(())
}

/// Changes a member's role; `false` if they are not a member.
pub async fn set_member_role(
    tx: &mut Tx<'_>,
    project: ProjectId,
    user: UserId,
    role: ProjectRole,
) -> Result<bool, DbError> {
    let n = with_tx!(tx, |c| diesel::update(
        project_members::table
            .filter(project_members::project_id.eq(project.0))
            .filter(project_members::user_id.eq(user.0))
    )
    .set(project_members::role.eq(role.as_str()))
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// Removes a member; `false` if they were not one.
pub async fn remove_member(tx: &mut Tx<'_>, project: ProjectId, user: UserId) -> Result<bool, DbError> {
    let n = with_tx!(tx, |c| diesel::delete(
        project_members::table
            .filter(project_members::project_id.eq(project.0))
            .filter(project_members::user_id.eq(user.0))
    )
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// The org projects a user belongs to, by name.
pub async fn memberships_of(tx: &mut Tx<'_>, user: UserId) -> Result<Vec<ProjectMembership>, DbError> {
    let rows: Vec<(i64, String, String)> = with_tx!(tx, |c| project_members::table
        .inner_join(projects::table)
        .filter(project_members::user_id.eq(user.0))
        .filter(projects::kind.eq(ProjectKind::Org.as_str()))
        .order(projects::name.asc())
        .select((projects::id, projects::name, project_members::role))
        .load(c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, role)| ProjectMembership {
            project_id: ProjectId(id),
            name,
            role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Dev),
        })
        .collect())
}
