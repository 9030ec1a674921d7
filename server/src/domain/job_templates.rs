//! Job templates. Everyone sees released templates; administrators and the creator also
//! see test versions. Only they edit, copy-edit and delete. Saving checks every field with
//! the shared grammars: name, mounts, environment, host aliases, the argument schema, and
//! the demo arguments against that schema.

use app::domain::container_path::check_container_path;
use app::domain::env_lines::{format_env, parse_env};
use app::domain::host_aliases::{format_host_aliases, parse_host_aliases};
use app::domain::mounts::{format_mounts, parse_mounts};
use app::domain::pagination::PageRequest;
use app::domain::username::check_username;
use app::domain::validation::FieldErrors;
use app::model::{
    FieldError, JobTemplate, NamedRef, Page, PageQuery, ProjectKind, TemplateInput, TemplateQuery, TemplateVersion,
    UserId,
};

use super::access::powers::TemplatePowers;
use super::access::{self, Act, Row};
use super::{Error, Result, invalid};
use crate::auth::Identity;
use crate::db::job_templates::{self as rows, TemplateValues, TemplateWithNames};
use crate::db::projects::usernames;
use crate::db::{self, Db, Tx, projects, registry};
use crate::transaction;

fn to_template((row, category, image): TemplateWithNames, creator: Option<String>) -> JobTemplate {
    JobTemplate {
        id: row.id,
        category: NamedRef { id: row.project_id, name: category },
        version: TemplateVersion::parse(&row.version).unwrap_or(TemplateVersion::Test),
        image: NamedRef { id: row.image_id, name: image },
        args: serde_json::from_str(&row.args).unwrap_or_default(),
        demo: serde_json::from_str(&row.demo).unwrap_or_default(),
        expand: serde_json::from_str(&row.expand).unwrap_or_default(),
        created_by: creator,
        created_at: db::utc(row.created_at),
        updated_at: db::utc(row.updated_at),
        name: row.name,
        description: row.description,
        workdir: row.workdir,
        command: row.entrypoint,
        volume_mount: row.volume_mount,
        env: row.env,
        service_account: row.service_account,
        privileged: row.privileged,
        host_aliases: row.host_aliases,
    }
}

async fn with_creators(tx: &mut Tx<'_>, found: Vec<TemplateWithNames>) -> Result<Vec<JobTemplate>> {
    let ids: Vec<i64> = found.iter().filter_map(|(r, _, _)| r.created_by).collect();
    let names = usernames(tx, &ids).await?;
    Ok(found
        .into_iter()
        .map(|t| {
            let creator = t.0.created_by.and_then(|u| names.get(&u).cloned());
            to_template(t, creator)
        })
        .collect())
}

pub async fn list(db: &Db, caller: &Identity, query: TemplateQuery) -> Result<Page<JobTemplate>> {
    let page = PageRequest::from_query(PageQuery { page: query.page, page_size: query.page_size })?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let own = access::own_rows_only(caller.into()).map(|u| u.0);
    let (found, total) = rows::page(&mut tx, page, query.category_id, own).await?;
    Ok(Page { items: with_creators(&mut tx, found).await?, total, page: page.page, page_size: page.page_size })
}

/// The template if the caller may do `act` to it.
async fn reach(tx: &mut Tx<'_>, caller: &Identity, id: i64, act: Act) -> Result<TemplateWithNames> {
    let found = rows::by_id(tx, id).await?.ok_or(Error::NotFound("job template"))?;
    let row = Row::Template {
        created_by: found.0.created_by.map(UserId),
        released: found.0.version == TemplateVersion::Release.as_str(),
    };
    access::decide(caller.into(), act, row).check("job template")?;
    Ok(found)
}

pub async fn get(db: &Db, caller: &Identity, id: i64) -> Result<JobTemplate> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let found = reach(&mut tx, caller, id, Act::See).await?;
    Ok(with_creators(&mut tx, vec![found]).await?.remove(0))
}

/// The normalised text columns of a checked input.
struct Checked {
    volume_mount: String,
    env: String,
    host_aliases: String,
    args: String,
    demo: String,
    expand: String,
}

fn prefixed(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.into_iter().map(|e| FieldError { field: format!("{prefix}.{}", e.field), message: e.message }).collect()
}

fn check_fields(input: &TemplateInput) -> Result<Checked> {
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    errors.check("name", check_username(name));
    if name.len() > 54 {
        errors.add("name", "must be at most 54 characters");
    }
    if input.description.chars().count() > 500 {
        errors.add("description", "must be at most 500 characters");
    }
    let workdir = input.workdir.trim();
    if !workdir.is_empty() {
        errors.check("workdir", check_container_path(workdir));
    }
    if input.command.len() > 2000 {
        errors.add("command", "must be at most 2000 characters");
    }
    let sa = input.service_account.trim();
    if !sa.is_empty() {
        errors.check("service_account", check_username(sa));
    }
    let volume_mount = parse_mounts(&input.volume_mount).map(|m| format_mounts(&m));
    errors.check("volume_mount", volume_mount.as_ref().map(|_| ()).map_err(ToString::to_string));
    let env = parse_env(&input.env).map(|v| format_env(&v));
    errors.check("env", env.as_ref().map(|_| ()).map_err(Clone::clone));
    let aliases = parse_host_aliases(&input.host_aliases).map(|a| format_host_aliases(&a));
    errors.check("host_aliases", aliases.as_ref().map(|_| ()).map_err(Clone::clone));
    if let Some(url) = &input.expand.help_url
        && !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
    {
        errors.add("expand.help_url", "must be an http(s) URL or a path");
    }
    let mut all: Vec<FieldError> = Vec::new();
    if let Err(e) = errors.finish() {
        all.extend(e);
    }
    let schema_ok = input.args.check("args").map_err(|e| all.extend(e)).is_ok();
    let demo = if schema_ok {
        input.args.validate(&input.demo).map_err(|e| all.extend(prefixed("demo", e))).ok()
    } else {
        None
    };
    if !all.is_empty() {
        return Err(Error::Validation(all));
    }
    Ok(Checked {
        volume_mount: volume_mount.unwrap_or_default(),
        env: env.unwrap_or_default(),
        host_aliases: aliases.unwrap_or_default(),
        args: to_json(&input.args),
        demo: to_json(&demo.unwrap_or_default()),
        expand: to_json(&input.expand),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

async fn check_references(tx: &mut Tx<'_>, input: &TemplateInput) -> Result<()> {
    let category = projects::by_id(tx, app::model::ProjectId(input.category_id)).await?;
    if category.is_none_or(|c| c.kind != ProjectKind::JobTemplate.as_str()) {
        return Err(invalid("category_id", "no such template category"));
    }
    if registry::image(tx, input.image_id).await?.is_none() {
        return Err(invalid("image_id", "no such image"));
    }
    Ok(())
}

fn values<'a>(input: &'a TemplateInput, checked: &'a Checked) -> TemplateValues<'a> {
    TemplateValues {
        project_id: input.category_id,
        name: input.name.trim(),
        version: input.version.as_str(),
        image_id: input.image_id,
        description: input.description.trim(),
        workdir: input.workdir.trim(),
        entrypoint: input.command.trim(),
        volume_mount: &checked.volume_mount,
        env: &checked.env,
        service_account: input.service_account.trim(),
        privileged: input.privileged,
        host_aliases: &checked.host_aliases,
        args: &checked.args,
        demo: &checked.demo,
        expand: &checked.expand,
        sort_index: input.expand.index,
        updated_at: db::now(),
    }
}

/// Creates (`id` none) or replaces a template.
pub async fn save(db: &Db, caller: &Identity, id: Option<i64>, input: TemplateInput) -> Result<JobTemplate> {
    let checked = check_fields(&input)?;
    access::powers::template(caller.into(), &input)?;
    let mut conn = db.write().await?;
    let id = transaction!(&mut conn, |tx| {
        let Some(id) = id else { return insert_checked(tx, caller.user_id.0, &input).await };
        reach(tx, caller, id, Act::Change).await?;
        check_references(tx, &input).await?;
        if rows::id_named(tx, input.name.trim()).await?.is_some_and(|other| other != id) {
            return Err(Error::Conflict { field: "name", message: "a job template has this name".into() });
        }
        rows::update(tx, id, &values(&input, &checked)).await?;
        Ok::<_, Error>(id)
    })?;
    drop(conn);
    get(db, caller, id).await
}

/// Inserts a template checked like any other (the first-start seed uses it too).
pub async fn insert_checked(tx: &mut Tx<'_>, creator: i64, input: &TemplateInput) -> Result<i64> {
    let checked = check_fields(input)?;
    check_references(tx, input).await?;
    if rows::id_named(tx, input.name.trim()).await?.is_some() {
        return Err(Error::Conflict { field: "name", message: "a job template has this name".into() });
    }
    let values = values(input, &checked);
    Ok(rows::insert(tx, &values, creator, values.updated_at).await?)
}

/// Copies a visible template under the name `<name>-copy-<4 hex>`, owned by the caller.
pub async fn copy(db: &Db, caller: &Identity, id: i64) -> Result<JobTemplate> {
    let mut conn = db.write().await?;
    let new_id = transaction!(&mut conn, |tx| {
        let (row, _, _) = reach(tx, caller, id, Act::See).await?;
        access::powers::template_copy(caller.into(), TemplatePowers::of(&row))?;
        let suffix = &crate::auth::secret::random_secret().to_ascii_lowercase().replace(['-', '_'], "")[..4];
        let base: String = row.name.chars().take(54 - 10).collect();
        let name = format!("{}-copy-{suffix}", base.trim_end_matches('-'));
        let values = TemplateValues {
            project_id: row.project_id,
            name: &name,
            version: &row.version,
            image_id: row.image_id,
            description: &row.description,
            workdir: &row.workdir,
            entrypoint: &row.entrypoint,
            volume_mount: &row.volume_mount,
            env: &row.env,
            service_account: &row.service_account,
            privileged: row.privileged,
            host_aliases: &row.host_aliases,
            args: &row.args,
            demo: &row.demo,
            expand: &row.expand,
            sort_index: row.sort_index,
            updated_at: db::now(),
        };
        Ok::<_, Error>(rows::insert(tx, &values, caller.user_id.0, values.updated_at).await?)
    })?;
    drop(conn);
    get(db, caller, new_id).await
}

pub async fn delete(db: &Db, caller: &Identity, id: i64) -> Result<()> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        reach(tx, caller, id, Act::Delete).await?;
        if crate::db::tasks::count_using_template(tx, id).await? > 0 {
            return Err(Error::Conflict { field: "id", message: "tasks of pipelines still use this template".into() });
        }
        rows::delete(tx, id).await?;
        Ok::<_, Error>(())
    })
}

/// Whether a category still holds templates (categories in use cannot be deleted).
pub async fn category_in_use(tx: &mut Tx<'_>, category: i64) -> Result<bool> {
    Ok(rows::count_in_category(tx, category).await? > 0)
}
