//! First-start data: the built-in administrator, project `public`, the job-template
//! categories, and basic runtime images and job templates (shell, python). Runs once, when the database has no users yet.

use app::model::{ProjectKind, UserId};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::accounts::{PUBLIC_PROJECT, provision};
use super::job_templates;
use super::login::make_admin;
use super::{Error, Result};
use crate::auth::{AuthVia, Identity};
use crate::auth::{password, secret};
use crate::db::projects::NewProjectRow;
use crate::db::registry::{self, ImageValues};
use crate::db::schema::users;
use crate::db::users::NewUserRow;
use crate::db::{self, Db, projects};
use crate::{transaction, with_tx};
use app::domain::project_expand::OrgExpand;
use app::domain::seed_templates::SEED_TEMPLATES;
use app::model::{PipelineExport, PipelineImport, TemplateExpand, TemplateInput, TemplateVersion};

/// Name of the built-in administrator.
pub const ADMIN_USERNAME: &str = "admin";

/// Template categories in editor order: (name, description).
const CATEGORIES: &[(&str, &str)] = &[
    ("basic-commands", "Shell commands and scripts"),
    ("data-import-export", "Moving data in and out"),
    ("data-preprocessing", "Cleaning and shaping data"),
    ("data-tools", "General data processing tools"),
    ("feature-engineering", "Building features"),
    ("ml-frameworks", "Machine-learning frameworks"),
    ("ml-algorithms", "Classic machine-learning algorithms"),
    ("deep-learning", "Neural-network training"),
    ("distributed-acceleration", "Distributed and accelerated training"),
    ("tf-distributed", "TensorFlow distributed training"),
];

/// What seeding did; the generated admin password is shown once by the caller.
pub enum Seeded {
    AlreadyDone,
    Fresh { generated_admin_password: Option<String> },
}

fn project_row<'a>(
    kind: ProjectKind,
    name: &'a str,
    description: &'a str,
    expand: &'a str,
    sort_index: i64,
    now: chrono::NaiveDateTime,
) -> NewProjectRow<'a> {
    NewProjectRow {
        name,
        kind: kind.as_str(),
        description,
        expand,
        created_by: None,
        created_at: now,
        updated_at: now,
        sort_index,
    }
}

async fn seed_templates(tx: &mut crate::db::Tx<'_>, admin: UserId, now: chrono::NaiveDateTime) -> Result<()> {
    let Some(category) = projects::by_name(tx, ProjectKind::JobTemplate, CATEGORIES[0].0).await? else {
        return Ok(());
    };
    for (index, template) in (1..).zip(SEED_TEMPLATES) {
        let values = ImageValues {
            name: template.image,
            repository_id: None,
            description: template.description,
            entrypoint: "",
            updated_at: now,
        };
        let image_id = registry::insert_image(tx, &values, admin.0, now).await?;
        let input = TemplateInput {
            category_id: category.0,
            name: template.name.to_owned(),
            version: TemplateVersion::Release,
            image_id,
            description: template.description.to_owned(),
            workdir: String::new(),
            command: template.command.to_owned(),
            volume_mount: String::new(),
            env: String::new(),
            service_account: String::new(),
            privileged: false,
            host_aliases: String::new(),
            args: template.schema(),
            demo: serde_json::Map::new(),
            expand: TemplateExpand { index, help_url: None, extra: serde_json::Map::new() },
        };
        job_templates::insert_checked(tx, admin.0, &input).await?;
    }
    Ok(())
}

/// The demo pipelines of the homepage gallery, in the export format.
const DEMO_PIPELINES: &str = include_str!("../../seed/demo-pipelines.json");

async fn seed_demo_pipelines(tx: &mut crate::db::Tx<'_>, admin: UserId) -> Result<()> {
    let Some(public) = projects::by_name(tx, ProjectKind::Org, PUBLIC_PROJECT).await? else {
        return Ok(());
    };
    let documents: Vec<PipelineExport> =
        serde_json::from_str(DEMO_PIPELINES).map_err(|e| super::invalid("demo-pipelines.json", e.to_string()))?;
    let caller = Identity {
        user_id: admin,
        username: ADMIN_USERNAME.to_owned(),
        permissions: Default::default(),
        via: AuthVia::ApiToken,
        is_admin: true,
    };
    for document in documents {
        let body = PipelineImport { project_id: public, name: None, document };
        super::pipeline_transfer::import_in(tx, &caller, &body).await?;
    }
    Ok(())
}

pub async fn run(db: &Db, admin_password: Option<&str>, clusters: &[String]) -> Result<Seeded> {
    let mut conn = db.write().await?;
    let count: i64 =
        with_tx!(&mut conn.tx(), |c| users::table.count().get_result(c).await).map_err(db::DbError::from)?;
    if count > 0 {
        return Ok(Seeded::AlreadyDone);
    }
    let generated = admin_password.is_none().then(secret::random_secret);
    let chosen = admin_password.map(str::to_owned).or_else(|| generated.clone()).unwrap_or_default();
    let hash = password::hash(chosen).await.map_err(|e| super::invalid("CUBIST_ADMIN_PASSWORD", e))?;
    transaction!(&mut conn, |tx| {
        let now = db::now();
        let public = OrgExpand::default_for(clusters);
        let public = serde_json::to_string(&public).unwrap_or_else(|_| "{}".into());
        projects::ensure(
            tx,
            &project_row(ProjectKind::Org, PUBLIC_PROJECT, "Shared project of every user", &public, 0, now),
        )
        .await?;
        for (index, (name, description)) in (1..).zip(CATEGORIES) {
            let expand = format!("{{\"index\":{index}}}");
            projects::ensure(tx, &project_row(ProjectKind::JobTemplate, name, description, &expand, index, now))
                .await?;
        }
        let row = NewUserRow {
            username: ADMIN_USERNAME,
            nickname: "Administrator",
            email: None,
            password_hash: Some(&hash),
            active: true,
            created_at: now,
            updated_at: now,
            external_id: None,
        };
        let id: UserId = db::users::insert(tx, &row).await?;
        provision(tx, id, ADMIN_USERNAME, now).await?;
        make_admin(tx, id).await?;
        seed_templates(tx, id, now).await?;
        seed_demo_pipelines(tx, id).await?;
        Ok::<_, Error>(())
    })?;
    Ok(Seeded::Fresh { generated_admin_password: generated })
}
