//! Project groups and their members. Anyone may list them and create org projects (becoming
//! their `creator`); only administrators and the project's creators edit a project and its
//! members; only administrators delete, and never project `public`.

use app::domain::pagination::PageRequest;
use app::domain::project_expand::{Checked, check_category, check_org};
use app::domain::validation::{FieldErrors, check_display_name};
use app::model::{
    Member, MemberUpdate, NewMember, NewProject, Page, PageQuery, Project, ProjectExpand, ProjectId, ProjectKind,
    ProjectQuery, ProjectRole, ProjectUpdate, UserId,
};
use serde_json::{Map, Value};

use super::access::{self, Act, Row};
use super::accounts::PUBLIC_PROJECT;
use super::{Error, Result, invalid};
use crate::auth::Identity;
use crate::db::projects::{NewProjectRow, ProjectChanges, ProjectRow};
use crate::db::{self, Db, Tx, projects, users};
use crate::transaction;

/// A checked expand, stored as JSON, with its sort index and warnings.
struct Expand {
    json: String,
    index: i64,
    warnings: Vec<String>,
}

fn check_expand(kind: ProjectKind, raw: Map<String, Value>, clusters: &[String]) -> Result<Expand> {
    let (value, index, warnings) = match kind {
        ProjectKind::Org => {
            let Checked { expand, warnings } = check_org(raw, clusters)?;
            (serde_json::to_string(&expand), 0, warnings)
        }
        ProjectKind::JobTemplate => {
            let Checked { expand, warnings } = check_category(raw)?;
            let index = expand.index;
            (serde_json::to_string(&expand), index, warnings)
        }
    };
    Ok(Expand { json: value.unwrap_or_else(|_| "{}".into()), index, warnings })
}

fn check_fields(name: &str, description: &str) -> Result<()> {
    let mut errors = FieldErrors::new();
    if name.trim().is_empty() || name.chars().count() > 50 {
        errors.add("name", "must be 1 to 50 characters");
    }
    errors.check("name", check_display_name(name));
    if description.chars().count() > 500 {
        errors.add("description", "must be at most 500 characters");
    }
    Ok(errors.finish()?)
}

fn parse_expand(row: &ProjectRow, kind: ProjectKind) -> ProjectExpand {
    let raw: Map<String, Value> = serde_json::from_str(&row.expand).unwrap_or_default();
    match kind {
        ProjectKind::Org => ProjectExpand::Org(serde_json::from_value(Value::Object(raw)).unwrap_or_default()),
        ProjectKind::JobTemplate => {
            ProjectExpand::Category(serde_json::from_value(Value::Object(raw)).unwrap_or_default())
        }
    }
}

/// Rows to wire form with creators, member counts and the caller's roles (three queries).
async fn to_projects(tx: &mut Tx<'_>, rows: Vec<ProjectRow>, caller: UserId) -> Result<Vec<Project>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let creators: Vec<i64> = rows.iter().filter_map(|r| r.created_by).collect();
    let names = projects::usernames(tx, &creators).await?;
    let counts = projects::member_counts(tx, &ids).await?;
    let roles = projects::roles_of(tx, caller, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let kind = ProjectKind::parse(&row.kind).unwrap_or(ProjectKind::Org);
            Project {
                id: ProjectId(row.id),
                expand: parse_expand(&row, kind),
                kind,
                description: row.description.clone(),
                created_by: row.created_by.and_then(|u| names.get(&u).cloned()),
                created_at: db::utc(row.created_at),
                updated_at: db::utc(row.updated_at),
                member_count: counts.get(&row.id).copied().unwrap_or(0),
                my_role: roles.get(&row.id).copied(),
                warnings: Vec::new(),
                name: row.name,
            }
        })
        .collect())
}

pub async fn list(db: &Db, caller: &Identity, query: ProjectQuery) -> Result<Page<Project>> {
    let page = PageRequest::from_query(PageQuery { page: query.page, page_size: query.page_size })?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let member = query.mine.unwrap_or(false).then_some(caller.user_id);
    let (rows, total) = projects::page(&mut tx, page, query.kind, member).await?;
    let items = to_projects(&mut tx, rows, caller.user_id).await?;
    Ok(Page { items, total, page: page.page, page_size: page.page_size })
}

pub async fn get(db: &Db, caller: &Identity, id: ProjectId) -> Result<Project> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let row = projects::by_id(&mut tx, id).await?.ok_or(Error::NotFound("project"))?;
    Ok(to_projects(&mut tx, vec![row], caller.user_id).await?.remove(0))
}

/// Registry pull Secrets are written again on the cluster of an org project (its
/// namespaces may be new); the caller wakes the worker once this is committed.
async fn secrets_follow(tx: &mut Tx<'_>, expand_json: &str, now: chrono::NaiveDateTime) -> Result<()> {
    if let Ok(expand) = serde_json::from_str::<app::domain::project_expand::OrgExpand>(expand_json) {
        crate::db::registry_syncs::redo_cluster(tx, &expand.cluster, now).await?;
    }
    Ok(())
}

pub async fn create(db: &Db, caller: &Identity, input: NewProject, clusters: &[String]) -> Result<Project> {
    let name = input.name.trim().to_owned();
    check_fields(&name, &input.description)?;
    access::powers::project(caller.into(), &input.expand)?;
    let expand = check_expand(input.kind, input.expand, clusters)?;
    let mut conn = db.write().await?;
    let id = transaction!(&mut conn, |tx| {
        if projects::by_name(tx, input.kind, &name).await?.is_some() {
            return Err(Error::Conflict { field: "name", message: "a project of this kind has this name".into() });
        }
        let now = db::now();
        let row = NewProjectRow {
            name: &name,
            kind: input.kind.as_str(),
            description: input.description.trim(),
            expand: &expand.json,
            created_by: Some(caller.user_id.0),
            created_at: now,
            updated_at: now,
            sort_index: expand.index,
        };
        let id = projects::insert(tx, &row).await?;
        if input.kind == ProjectKind::Org {
            projects::add_member(tx, id, caller.user_id, ProjectRole::Creator, now).await?;
            secrets_follow(tx, &expand.json, now).await?;
        }
        Ok::<_, Error>(id)
    })?;
    drop(conn);
    let mut project = get(db, caller, id).await?;
    project.warnings = expand.warnings;
    Ok(project)
}

/// Only administrators and the project's creators manage it.
/// The project if the caller may do `act` to it (members count as changes of it).
async fn reach(tx: &mut Tx<'_>, caller: &Identity, id: ProjectId, act: Act) -> Result<ProjectRow> {
    let row = projects::by_id(tx, id).await?.ok_or(Error::NotFound("project"))?;
    let role = projects::roles_of(tx, caller.user_id, &[id.0]).await?.get(&id.0).copied();
    access::decide(caller.into(), act, Row::Project { role }).check("project")?;
    Ok(row)
}

pub async fn update(
    db: &Db,
    caller: &Identity,
    id: ProjectId,
    input: ProjectUpdate,
    clusters: &[String],
) -> Result<Project> {
    let mut conn = db.write().await?;
    let warnings = transaction!(&mut conn, |tx| {
        let row = reach(tx, caller, id, Act::Change).await?;
        let kind = ProjectKind::parse(&row.kind).unwrap_or(ProjectKind::Org);
        let name = input.name.as_deref().map_or(row.name.as_str(), str::trim).to_owned();
        let description = input.description.as_deref().map_or(row.description.as_str(), str::trim).to_owned();
        check_fields(&name, &description)?;
        if kind == ProjectKind::Org && row.name == PUBLIC_PROJECT && name != PUBLIC_PROJECT {
            return Err(invalid("name", "project public keeps its name: every user joins it"));
        }
        if name != row.name && projects::by_name(tx, kind, &name).await?.is_some() {
            return Err(Error::Conflict { field: "name", message: "a project of this kind has this name".into() });
        }
        let raw = match input.expand.clone() {
            Some(raw) => {
                access::powers::project(caller.into(), &raw)?;
                raw
            }
            None => serde_json::from_str(&row.expand).unwrap_or_default(),
        };
        let expand = check_expand(kind, raw, clusters)?;
        let changes = ProjectChanges {
            name: &name,
            description: &description,
            expand: &expand.json,
            sort_index: expand.index,
            updated_at: db::now(),
        };
        projects::update(tx, id, &changes).await?;
        if kind == ProjectKind::Org {
            secrets_follow(tx, &expand.json, changes.updated_at).await?;
        }
        Ok::<_, Error>(expand.warnings)
    })?;
    drop(conn);
    let mut project = get(db, caller, id).await?;
    project.warnings = warnings;
    Ok(project)
}

pub async fn delete(db: &Db, caller: &Identity, id: ProjectId) -> Result<()> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = reach(tx, caller, id, Act::Delete).await?;
        if row.kind == ProjectKind::Org.as_str() && row.name == PUBLIC_PROJECT {
            return Err(Error::Conflict { field: "name", message: "project public cannot be deleted".into() });
        }
        if super::job_templates::category_in_use(tx, id.0).await? {
            return Err(Error::Conflict { field: "id", message: "the category still holds job templates".into() });
        }
        if crate::db::pipelines::count_in_project(tx, id.0).await? > 0 {
            return Err(Error::Conflict { field: "id", message: "the project still holds pipelines".into() });
        }
        projects::delete(tx, id).await?;
        Ok::<_, Error>(())
    })
}

pub async fn members(db: &Db, id: ProjectId) -> Result<Vec<Member>> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    projects::by_id(&mut tx, id).await?.ok_or(Error::NotFound("project"))?;
    let rows = projects::members(&mut tx, id).await?;
    Ok(rows
        .into_iter()
        .map(|(user, username, role, since)| Member {
            user_id: UserId(user),
            username,
            role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Dev),
            since: db::utc(since),
        })
        .collect())
}

async fn creators_left_after(tx: &mut Tx<'_>, id: ProjectId, leaving: UserId) -> Result<usize> {
    let rows = projects::members(tx, id).await?;
    Ok(rows.iter().filter(|(u, _, r, _)| *u != leaving.0 && r == ProjectRole::Creator.as_str()).count())
}

pub async fn add_member(db: &Db, caller: &Identity, id: ProjectId, input: NewMember) -> Result<Vec<Member>> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = reach(tx, caller, id, Act::Change).await?;
        if row.kind != ProjectKind::Org.as_str() {
            return Err(invalid("project", "template categories have no members"));
        }
        let user =
            users::by_username(tx, input.username.trim()).await?.ok_or_else(|| invalid("username", "no such user"))?;
        if projects::roles_of(tx, UserId(user.id), &[id.0]).await?.contains_key(&id.0) {
            return Err(Error::Conflict { field: "username", message: "is already a member".into() });
        }
        projects::add_member(tx, id, UserId(user.id), input.role, db::now()).await?;
        Ok::<_, Error>(())
    })?;
    drop(conn);
    members(db, id).await
}

pub async fn update_member(
    db: &Db,
    caller: &Identity,
    id: ProjectId,
    user: UserId,
    input: MemberUpdate,
) -> Result<Vec<Member>> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = reach(tx, caller, id, Act::Change).await?;
        let needs_creator = row.name != PUBLIC_PROJECT;
        if needs_creator && input.role != ProjectRole::Creator && creators_left_after(tx, id, user).await? == 0 {
            return Err(Error::Conflict { field: "role", message: "a project keeps at least one creator".into() });
        }
        if !projects::set_member_role(tx, id, user, input.role).await? {
            return Err(Error::NotFound("member"));
        }
        Ok::<_, Error>(())
    })?;
    drop(conn);
    members(db, id).await
}

pub async fn remove_member(db: &Db, caller: &Identity, id: ProjectId, user: UserId) -> Result<Vec<Member>> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = reach(tx, caller, id, Act::Change).await?;
        let is_creator = projects::roles_of(tx, user, &[id.0]).await?.get(&id.0) == Some(&ProjectRole::Creator);
        if is_creator && creators_left_after(tx, id, user).await? == 0 && row.name != PUBLIC_PROJECT {
            return Err(Error::Conflict { field: "user", message: "a project keeps at least one creator".into() });
        }
        if !projects::remove_member(tx, id, user).await? {
            return Err(Error::NotFound("member"));
        }
        Ok::<_, Error>(())
    })?;
    drop(conn);
    members(db, id).await
}
