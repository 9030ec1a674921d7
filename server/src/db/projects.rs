//! Queries on `projects` and `project_members`, as far as accounts need them.

use app::model::{ProjectId, ProjectKind, ProjectMembership, ProjectRole, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{project_members, projects};
use super::{DbError, Tx};
use crate::with_tx;

pub async fn by_name(tx: &mut Tx<'_>, kind: ProjectKind, name: &str) -> Result<Option<ProjectId>, DbError> {
    Ok(with_tx!(tx, |c| projects::table
        .filter(projects::kind.eq(kind.as_str()))
        .filter(projects::name.eq(name))
        .select(projects::id)
        .first::<i64>(c)
        .await
        .optional())?
    .map(ProjectId))
}

/// Creates the project if missing and returns its id either way.
pub async fn ensure(
    tx: &mut Tx<'_>,
    kind: ProjectKind,
    name: &str,
    description: &str,
    expand: &str,
    now: NaiveDateTime,
) -> Result<ProjectId, DbError> {
    if let Some(id) = by_name(tx, kind, name).await? {
        return Ok(id);
    }
    Ok(ProjectId(with_tx!(tx, |c| diesel::insert_into(projects::table)
        .values((
            projects::name.eq(name),
            projects::kind.eq(kind.as_str()),
            projects::description.eq(description),
            projects::expand.eq(expand),
            projects::created_at.eq(now),
            projects::updated_at.eq(now),
        ))
        .returning(projects::id)
        .get_result(c)
        .await)?))
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
