//! Registry repositories, runtime images and job templates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::arg_schema::ArgSchema;

/// A registry account and the pull secret that carries it. The password never leaves the
/// server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repository {
    pub id: i64,
    pub name: String,
    /// Registry address with optional path, e.g. `harbor.example.com/team/`.
    pub server: String,
    pub username: String,
    /// Name of the Kubernetes image-pull secret.
    pub hubsecret: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where its pull secret stands on each Kubernetes cluster.
    #[serde(default)]
    pub secret_syncs: Vec<SecretSync>,
}

/// A repository's pull secret on one cluster: written into every pipeline namespace of the
/// cluster's projects, or not yet (and why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretSync {
    pub cluster: String,
    pub state: SecretSyncState,
    /// What failed, namespace by namespace; or how many namespaces have it.
    pub message: String,
    pub updated_at: DateTime<Utc>,
}

/// How a pull secret's sync to a cluster stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecretSyncState {
    /// Being written.
    Pending,
    /// In every namespace.
    Applied,
    /// The last attempt failed; it is tried again every minute.
    Failed,
}

impl SecretSyncState {
    /// Its name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Applied, Self::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// Body of `POST /api/v1/repositories`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRepository {
    pub name: String,
    pub server: String,
    pub username: String,
    pub password: String,
    /// Defaults to `<your username>-hubsecret`.
    #[serde(default)]
    pub hubsecret: Option<String>,
}

/// Body of `PATCH /api/v1/repositories/{id}`: absent fields (and an absent password) stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepositoryUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub server: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub hubsecret: Option<String>,
}

/// A reference to another resource by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedRef {
    pub id: i64,
    pub name: String,
}

/// A runtime image for job templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Image {
    pub id: i64,
    /// Full reference, e.g. `registry.example.com/ml/pytorch:2.4`.
    pub name: String,
    pub repository: Option<NamedRef>,
    pub description: String,
    pub entrypoint: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/images` and `PUT /api/v1/images/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageInput {
    pub name: String,
    #[serde(default)]
    pub repository_id: Option<i64>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub entrypoint: String,
}

/// Whether a template is offered to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TemplateVersion {
    /// Visible to everyone and in the editor palette.
    Release,
    /// Visible to administrators and its creator only.
    Test,
}

impl TemplateVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Release => "Release",
            Self::Test => "Test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Release" => Some(Self::Release),
            "Test" => Some(Self::Test),
            _ => None,
        }
    }
}

/// `expand` of a job template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateExpand {
    /// Position inside its category (ascending).
    #[serde(default)]
    pub index: i64,
    /// Link to the template's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_url: Option<String>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: Map<String, Value>,
}

/// A job template: how tasks built from it run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobTemplate {
    pub id: i64,
    pub category: NamedRef,
    pub name: String,
    pub version: TemplateVersion,
    pub image: NamedRef,
    pub description: String,
    /// Overrides the image's working directory when set.
    pub workdir: String,
    /// Overrides the image's entrypoint when set.
    pub command: String,
    /// Mounts every task of the template gets.
    pub volume_mount: String,
    /// `KEY=VALUE` lines.
    pub env: String,
    pub service_account: String,
    pub privileged: bool,
    /// Lines of `ip host [host…]`.
    pub host_aliases: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub args: ArgSchema,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub demo: Map<String, Value>,
    pub expand: TemplateExpand,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/job-templates` and `PUT /api/v1/job-templates/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateInput {
    pub category_id: i64,
    pub name: String,
    pub version: TemplateVersion,
    pub image_id: i64,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub workdir: String,
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub volume_mount: String,
    #[serde(default)]
    pub env: String,
    #[serde(default)]
    pub service_account: String,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub host_aliases: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub args: ArgSchema,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub demo: Map<String, Value>,
    #[serde(default)]
    pub expand: TemplateExpand,
}

/// Filters of `GET /api/v1/job-templates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct TemplateQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    /// Only templates of this category.
    pub category_id: Option<i64>,
}
