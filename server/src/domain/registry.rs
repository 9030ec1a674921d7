//! Registry repositories and runtime images. Users see and change their own; administrators
//! all. Repository passwords are sealed at rest and never returned.

use app::domain::pagination::PageRequest;
use app::domain::username::check_username;
use app::domain::validation::{FieldErrors, check_display_name};
use std::collections::HashMap;

use app::model::{
    Image, ImageInput, NamedRef, NewRepository, Page, PageQuery, Repository, RepositoryUpdate, SecretSync,
    SecretSyncState, UserId,
};

use super::access::{self, Act, Row};
use super::{Error, Result, invalid};
use crate::auth::Identity;
use crate::db::projects::usernames;
use crate::db::registry::{self, ImageRow, ImageValues, RepositoryRow, RepositoryValues};
use crate::db::registry_syncs;
use crate::db::{self, Db, Tx};
use crate::state::AppState;
use crate::transaction;

fn owner_filter(caller: &Identity) -> Option<i64> {
    access::own_rows_only(caller.into()).map(|u| u.0)
}

/// Registry rows are their creator's alone (they hold credentials), whatever the act.
fn reachable(caller: &Identity, created_by: Option<i64>) -> bool {
    access::decide(caller.into(), Act::Change, Row::Registry { created_by: created_by.map(UserId) }).allowed()
}

fn check_server(server: &str) -> std::result::Result<(), String> {
    let ok = !server.is_empty()
        && server.len() <= 200
        && server.chars().all(|c| c.is_ascii_alphanumeric() || "-._:@/".contains(c));
    if ok { Ok(()) } else { Err("must be a registry address like harbor.example.com/team/".into()) }
}

fn check_hubsecret(name: &str) -> std::result::Result<(), String> {
    check_username(name)?;
    if name.len() > 54 { Err("must be at most 54 characters".into()) } else { Ok(()) }
}

/// A pull Secret name repository `from` gave up stays wanted when another repository uses
/// it too (that one's account is written instead of the Secret being removed).
async fn hand_over(tx: &mut Tx<'_>, name: &str, from: i64, clusters: &[String]) -> Result<()> {
    if let Some(other) = registry::other_with_hubsecret(tx, name, from).await? {
        registry_syncs::want(tx, other, name, clusters, db::now()).await?;
    }
    Ok(())
}

/// The Kubernetes clusters pull Secrets go to: every configured cluster but `local`.
fn secret_clusters(state: &AppState) -> Vec<String> {
    crate::cluster_config::kubernetes(&state.config.clusters)
}

async fn to_repositories(tx: &mut Tx<'_>, rows: Vec<RepositoryRow>) -> Result<Vec<Repository>> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.created_by).collect();
    let names = usernames(tx, &ids).await?;
    let repo_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut syncs: HashMap<i64, Vec<SecretSync>> = HashMap::new();
    for sync in registry_syncs::of_repositories(tx, &repo_ids).await? {
        let Some(repo) = sync.repository_id else { continue };
        syncs.entry(repo).or_default().push(SecretSync {
            cluster: sync.cluster,
            state: SecretSyncState::parse(&sync.state).unwrap_or(SecretSyncState::Pending),
            message: sync.message,
            updated_at: db::utc(sync.updated_at),
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| Repository {
            secret_syncs: syncs.remove(&r.id).unwrap_or_default(),
            id: r.id,
            created_by: r.created_by.and_then(|u| names.get(&u).cloned()),
            created_at: db::utc(r.created_at),
            updated_at: db::utc(r.updated_at),
            name: r.name,
            server: r.server,
            username: r.username,
            hubsecret: r.hubsecret,
        })
        .collect())
}

pub async fn list_repositories(db: &Db, caller: &Identity, query: PageQuery) -> Result<Page<Repository>> {
    let page = PageRequest::from_query(query)?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let (rows, total) = registry::repositories_page(&mut tx, page, owner_filter(caller)).await?;
    Ok(Page { items: to_repositories(&mut tx, rows).await?, total, page: page.page, page_size: page.page_size })
}

async fn visible_repository(tx: &mut Tx<'_>, caller: &Identity, id: i64) -> Result<RepositoryRow> {
    match registry::repository(tx, id).await? {
        Some(row) if reachable(caller, row.created_by) => Ok(row),
        _ => Err(Error::NotFound("repository")),
    }
}

pub async fn get_repository(db: &Db, caller: &Identity, id: i64) -> Result<Repository> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let row = visible_repository(&mut tx, caller, id).await?;
    Ok(to_repositories(&mut tx, vec![row]).await?.remove(0))
}

struct RepoFields {
    name: String,
    server: String,
    username: String,
    hubsecret: String,
}

fn check_repo(f: &RepoFields, password: Option<&str>) -> Result<()> {
    let mut errors = FieldErrors::new();
    if f.name.is_empty() || f.name.chars().count() > 200 {
        errors.add("name", "must be 1 to 200 characters");
    }
    errors.check("name", check_display_name(&f.name));
    errors.check("server", check_server(&f.server));
    if f.username.is_empty() || f.username.len() > 100 {
        errors.add("username", "must be 1 to 100 characters");
    }
    if let Some(p) = password
        && (p.is_empty() || p.len() > 1000)
    {
        errors.add("password", "must be 1 to 1000 characters");
    }
    errors.check("hubsecret", check_hubsecret(&f.hubsecret));
    Ok(errors.finish()?)
}

pub async fn create_repository(state: &AppState, caller: &Identity, input: NewRepository) -> Result<Repository> {
    let fields = RepoFields {
        name: input.name.trim().to_owned(),
        server: input.server.trim().to_owned(),
        username: input.username.trim().to_owned(),
        hubsecret: input.hubsecret.map_or_else(|| format!("{}-hubsecret", caller.username), |h| h.trim().to_owned()),
    };
    check_repo(&fields, Some(&input.password))?;
    let sealed = state.secrets.seal(&input.password);
    let clusters = secret_clusters(state);
    let mut conn = state.db.write().await?;
    let id = transaction!(&mut conn, |tx| {
        if registry::repository_named(tx, &fields.name).await?.is_some() {
            return Err(Error::Conflict { field: "name", message: "a repository has this name".into() });
        }
        let now = db::now();
        let values = RepositoryValues {
            name: &fields.name,
            server: &fields.server,
            username: &fields.username,
            password_enc: &sealed,
            hubsecret: &fields.hubsecret,
            updated_at: now,
        };
        let id = registry::insert_repository(tx, &values, caller.user_id.0, now).await?;
        registry_syncs::want(tx, id, &fields.hubsecret, &clusters, now).await?;
        Ok::<_, Error>(id)
    })?;
    drop(conn);
    state.registry_sync.wake();
    get_repository(&state.db, caller, id).await
}

pub async fn update_repository(
    state: &AppState,
    caller: &Identity,
    id: i64,
    input: RepositoryUpdate,
) -> Result<Repository> {
    let clusters = secret_clusters(state);
    let mut conn = state.db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = visible_repository(tx, caller, id).await?;
        let pick = |new: &Option<String>, old: &str| new.as_deref().map_or(old, str::trim).to_owned();
        let fields = RepoFields {
            name: pick(&input.name, &row.name),
            server: pick(&input.server, &row.server),
            username: pick(&input.username, &row.username),
            hubsecret: pick(&input.hubsecret, &row.hubsecret),
        };
        check_repo(&fields, input.password.as_deref())?;
        if fields.name != row.name && registry::repository_named(tx, &fields.name).await?.is_some() {
            return Err(Error::Conflict { field: "name", message: "a repository has this name".into() });
        }
        let sealed = input.password.as_deref().map_or_else(|| row.password_enc.clone(), |p| state.secrets.seal(p));
        let values = RepositoryValues {
            name: &fields.name,
            server: &fields.server,
            username: &fields.username,
            password_enc: &sealed,
            hubsecret: &fields.hubsecret,
            updated_at: db::now(),
        };
        registry::update_repository(tx, id, &values).await?;
        registry_syncs::release(tx, id, Some(&fields.hubsecret), values.updated_at).await?;
        registry_syncs::want(tx, id, &fields.hubsecret, &clusters, values.updated_at).await?;
        if row.hubsecret != fields.hubsecret {
            hand_over(tx, &row.hubsecret, id, &clusters).await?;
        }
        Ok::<_, Error>(())
    })?;
    drop(conn);
    state.registry_sync.wake();
    get_repository(&state.db, caller, id).await
}

/// Deletes a repository; its pull Secrets are removed from the clusters right after.
pub async fn delete_repository(state: &AppState, caller: &Identity, id: i64) -> Result<()> {
    let clusters = secret_clusters(state);
    let mut conn = state.db.write().await?;
    transaction!(&mut conn, |tx| {
        let row = visible_repository(tx, caller, id).await?;
        registry_syncs::release(tx, id, None, db::now()).await?;
        registry::delete_repository(tx, id).await?;
        hand_over(tx, &row.hubsecret, id, &clusters).await?;
        Ok::<_, Error>(())
    })?;
    drop(conn);
    state.registry_sync.wake();
    Ok(())
}

async fn to_images(tx: &mut Tx<'_>, rows: Vec<ImageRow>) -> Result<Vec<Image>> {
    let users: Vec<i64> = rows.iter().filter_map(|r| r.created_by).collect();
    let names = usernames(tx, &users).await?;
    let repo_ids: Vec<i64> = rows.iter().filter_map(|r| r.repository_id).collect();
    let repos = registry::repository_names(tx, &repo_ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Image {
            id: r.id,
            repository: r.repository_id.and_then(|id| {
                repos.iter().find(|(rid, _)| *rid == id).map(|(id, name)| NamedRef { id: *id, name: name.clone() })
            }),
            created_by: r.created_by.and_then(|u| names.get(&u).cloned()),
            created_at: db::utc(r.created_at),
            name: r.name,
            description: r.description,
            entrypoint: r.entrypoint,
        })
        .collect())
}

pub async fn list_images(db: &Db, caller: &Identity, query: PageQuery) -> Result<Page<Image>> {
    let page = PageRequest::from_query(query)?;
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let (rows, total) = registry::images_page(&mut tx, page, owner_filter(caller)).await?;
    Ok(Page { items: to_images(&mut tx, rows).await?, total, page: page.page, page_size: page.page_size })
}

async fn visible_image(tx: &mut Tx<'_>, caller: &Identity, id: i64) -> Result<ImageRow> {
    match registry::image(tx, id).await? {
        Some(row) if reachable(caller, row.created_by) => Ok(row),
        _ => Err(Error::NotFound("image")),
    }
}

pub async fn get_image(db: &Db, caller: &Identity, id: i64) -> Result<Image> {
    let mut conn = db.read().await?;
    let mut tx = conn.tx();
    let row = visible_image(&mut tx, caller, id).await?;
    Ok(to_images(&mut tx, vec![row]).await?.remove(0))
}

/// An image reference: registry/path:tag or @digest, no spaces.
fn check_image_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 500
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-._/:@".contains(c));
    if ok { Ok(()) } else { Err("must be an image reference like registry.example.com/team/image:tag".into()) }
}

async fn check_image(tx: &mut Tx<'_>, caller: &Identity, input: &ImageInput) -> Result<()> {
    let mut errors = FieldErrors::new();
    errors.check("name", check_image_name(input.name.trim()));
    if input.description.chars().count() > 1000 {
        errors.add("description", "must be at most 1000 characters");
    }
    if input.entrypoint.len() > 2000 {
        errors.add("entrypoint", "must be at most 2000 characters");
    }
    errors.finish()?;
    if let Some(repo) = input.repository_id {
        visible_repository(tx, caller, repo)
            .await
            .map_err(|_| invalid("repository_id", "no such repository of yours"))?;
    }
    Ok(())
}

pub async fn save_image(db: &Db, caller: &Identity, id: Option<i64>, input: ImageInput) -> Result<Image> {
    let mut conn = db.write().await?;
    let id = transaction!(&mut conn, |tx| {
        check_image(tx, caller, &input).await?;
        let name = input.name.trim();
        let existing = registry::image_named(tx, name).await?;
        if existing.is_some() && existing != id {
            return Err(Error::Conflict { field: "name", message: "this image is registered already".into() });
        }
        let now = db::now();
        let values = ImageValues {
            name,
            repository_id: input.repository_id,
            description: input.description.trim(),
            entrypoint: input.entrypoint.trim(),
            updated_at: now,
        };
        match id {
            Some(id) => {
                visible_image(tx, caller, id).await?;
                registry::update_image(tx, id, &values).await?;
                Ok::<_, Error>(id)
            }
            None => Ok(registry::insert_image(tx, &values, caller.user_id.0, now).await?),
        }
    })?;
    drop(conn);
    get_image(db, caller, id).await
}

pub async fn delete_image(db: &Db, caller: &Identity, id: i64) -> Result<()> {
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        visible_image(tx, caller, id).await?;
        if registry::templates_using_image(tx, id).await? > 0 {
            return Err(Error::Conflict { field: "id", message: "job templates still use this image".into() });
        }
        registry::delete_image(tx, id).await?;
        Ok::<_, Error>(())
    })
}
