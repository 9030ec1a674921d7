//! Typed configuration, read once at start from an optional `cubist.toml` and then the
//! environment (which wins). A bad value stops the server with a message naming the variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use app::model::LoginMethod;
use serde::Deserialize;

mod auth;

pub use auth::{AuthConfig, OidcConfig, TrustedHeader, UsernameClaim};
use auth::{OidcVars, auth_config, oidc_config};

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The server's whole configuration.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    /// Password of the built-in `admin` when the database is first created.
    pub admin_password: Option<String>,
    /// The built UI (Trunk's output).
    pub static_dir: PathBuf,
    /// Where users reach the server (`CUBIST_PUBLIC_URL`), if configured. When it is https,
    /// cookies are `Secure` and responses carry HSTS.
    pub public_url: Option<String>,
    /// Mark cookies `Secure`: on whenever the public URL is https, or when set explicitly.
    pub secure_cookies: bool,
    pub session_hours: i64,
    pub auth: AuthConfig,
    /// Base64 key (32 bytes) sealing stored credentials; a key file in the data dir otherwise.
    pub secret_key: Option<String>,
    /// Names of the Kubernetes clusters projects may use; the first is the console's own.
    pub clusters: Vec<String>,
    /// How each cluster other than `local` is reached (`CUBIST_KUBECONFIGS`).
    pub cluster_settings: Vec<cubist_kube::clusters::ClusterSettings>,
    /// How fast Cubist creates Workflows and pods on each cluster (`CUBIST_CLUSTER_CREATE_RATE`).
    pub cluster_create_rate: crate::engine::cluster::create_rate::CreateRate,
    /// Who may frame Cubist and which external panels it shows.
    pub embed: crate::embedding::EmbedConfig,
    /// Hours a finished run's scratch folder is kept (its logs and record stay).
    pub scratch_hours: i64,
    /// Whether debug shells may run on this machine (`CUBIST_HOST_SHELLS`: `auto`, the
    /// default, allows them only when the server listens on a loopback address).
    pub host_shells: bool,
    /// How local tasks and debug shells are isolated.
    pub sandbox: crate::engine::sandbox::SandboxSettings,
    /// How schedules are run.
    pub scheduler: crate::scheduler::SchedulerSettings,
    /// Where alerts go besides the inbox.
    pub alerts: crate::alerts::AlertSettings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database", &redact(&self.database))
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<set>"))
            .field("static_dir", &self.static_dir)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("auth", &self.auth)
            .field("host_shells", &self.host_shells)
            .field("sandbox", &self.sandbox)
            .finish()
    }
}

fn redact(db: &DatabaseUrl) -> String {
    match db {
        DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        DatabaseUrl::Postgres(url) => match url::Url::parse(url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => url.clone(),
        },
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: String,
    pub problem: String,
}

fn bad(variable: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable: variable.to_owned(), problem: problem.into() }
}

/// The optional file's shape; every key mirrors an environment variable.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    admin_password: Option<String>,
    static_dir: Option<PathBuf>,
    public_url: Option<String>,
    secure_cookies: Option<bool>,
    session_hours: Option<i64>,
    login_methods: Option<String>,
    primary_login: Option<String>,
    trusted_header: Option<String>,
    trusted_proxies: Option<String>,
    oidc_issuer: Option<String>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<String>,
    oidc_redirect_url: Option<String>,
    oidc_scopes: Option<String>,
    oidc_username_claim: Option<String>,
    clusters: Option<String>,
    kubeconfigs: Option<String>,
    secret_key: Option<String>,
    frame_ancestors: Option<String>,
    panels: Option<String>,
    scratch_hours: Option<i64>,
    host_shells: Option<String>,
    sandbox: Option<String>,
    bwrap: Option<String>,
    task_user: Option<String>,
    task_network: Option<String>,
    sandbox_readonly: Option<String>,
    scheduler_tick_ms: Option<String>,
    timezone: Option<String>,
    catchup_cap: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    delivery_retry_ms: Option<String>,
    housekeeping_ms: Option<String>,
    retain_runs_days: Option<String>,
    retain_audit_days: Option<String>,
    retain_notifications_days: Option<String>,
    cluster_keep_minutes: Option<String>,
    cluster_create_rate: Option<String>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(&|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `env` (a lookup of environment variables).
    pub fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let file = read_file(env)?;
        let pick = |var: &str, from_file: Option<String>| env(var).or(from_file);

        let addr_text = pick("CUBIST_ADDR", file.addr).unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_text
            .parse()
            .map_err(|_| bad("CUBIST_ADDR", format!("'{addr_text}' is not an address like 127.0.0.1:3000")))?;
        let data_dir = env("CUBIST_DATA_DIR").map(PathBuf::from).or(file.data_dir).unwrap_or_else(|| "data".into());
        let database = match pick("DATABASE_URL", file.database_url) {
            None => DatabaseUrl::Sqlite(data_dir.join("cubist.db")),
            Some(url) => parse_database_url(&url)?,
        };
        let static_dir =
            env("CUBIST_STATIC_DIR").map(PathBuf::from).or(file.static_dir).unwrap_or_else(|| "dist".into());
        let public_url = pick("CUBIST_PUBLIC_URL", file.public_url).map(check_public_url).transpose()?;
        let https = public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
        let secure_cookies = match env("CUBIST_SECURE_COOKIES") {
            Some(v) => parse_bool("CUBIST_SECURE_COOKIES", &v)?,
            None => file.secure_cookies.unwrap_or(https),
        };
        if https && !secure_cookies {
            return Err(bad("CUBIST_SECURE_COOKIES", "must not be false while CUBIST_PUBLIC_URL is https"));
        }
        let session_hours = match env("CUBIST_SESSION_HOURS") {
            Some(v) => v.parse().map_err(|_| bad("CUBIST_SESSION_HOURS", format!("'{v}' is not a whole number")))?,
            None => file.session_hours.unwrap_or(24 * 7),
        };
        if !(1..=24 * 366).contains(&session_hours) {
            return Err(bad("CUBIST_SESSION_HOURS", "must be between 1 and 8784"));
        }
        let mut auth = auth_config(
            pick("CUBIST_LOGIN_METHODS", file.login_methods),
            pick("CUBIST_PRIMARY_LOGIN", file.primary_login),
            pick("CUBIST_TRUSTED_HEADER", file.trusted_header),
            pick("CUBIST_TRUSTED_PROXIES", file.trusted_proxies),
        )?;
        if auth.allows(LoginMethod::Oidc) {
            auth.oidc = Some(oidc_config(OidcVars {
                issuer: pick("CUBIST_OIDC_ISSUER", file.oidc_issuer),
                client_id: pick("CUBIST_OIDC_CLIENT_ID", file.oidc_client_id),
                client_secret: pick("CUBIST_OIDC_CLIENT_SECRET", file.oidc_client_secret),
                redirect_url: pick("CUBIST_OIDC_REDIRECT_URL", file.oidc_redirect_url),
                scopes: pick("CUBIST_OIDC_SCOPES", file.oidc_scopes),
                username_claim: pick("CUBIST_OIDC_USERNAME_CLAIM", file.oidc_username_claim),
            })?);
        }
        let clusters: Vec<String> = pick("CUBIST_CLUSTERS", file.clusters)
            .unwrap_or_else(|| "local".into())
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        if clusters.is_empty() || !clusters.iter().all(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
        {
            return Err(bad("CUBIST_CLUSTERS", "must be a comma list of cluster names (letters, digits, '-')"));
        }
        let in_pod = env("KUBERNETES_SERVICE_HOST").is_some();
        let kubeconfigs = pick("CUBIST_KUBECONFIGS", file.kubeconfigs);
        let cluster_settings = crate::cluster_config::parse(&clusters, kubeconfigs.as_deref(), in_pod)?;
        let secret_key = pick("CUBIST_SECRET_KEY", file.secret_key);
        if let Some(key) = &secret_key {
            crate::crypto::SecretBox::from_base64(key).map_err(|m| bad("CUBIST_SECRET_KEY", m))?;
        }
        let embed = crate::embedding::EmbedConfig {
            frame_ancestors: crate::embedding::parse_frame_ancestors(
                &pick("CUBIST_FRAME_ANCESTORS", file.frame_ancestors).unwrap_or_default(),
            )
            .map_err(|m| bad("CUBIST_FRAME_ANCESTORS", m))?,
            panels: crate::embedding::parse_panels(&pick("CUBIST_PANELS", file.panels).unwrap_or_default())
                .map_err(|m| bad("CUBIST_PANELS", m))?,
        };
        let scratch_hours = match env("CUBIST_SCRATCH_HOURS") {
            Some(v) => v.parse().map_err(|_| bad("CUBIST_SCRATCH_HOURS", format!("'{v}' is not a whole number")))?,
            None => file.scratch_hours.unwrap_or(24),
        };
        if !(0..=24 * 366).contains(&scratch_hours) {
            return Err(bad("CUBIST_SCRATCH_HOURS", "must be between 0 and 8784"));
        }
        let host_shells = match pick("CUBIST_HOST_SHELLS", file.host_shells).as_deref().map(str::trim) {
            None | Some("auto") => addr.ip().is_loopback(),
            Some(v) => parse_bool("CUBIST_HOST_SHELLS", v)
                .map_err(|_| bad("CUBIST_HOST_SHELLS", format!("'{v}' is not auto, true or false")))?,
        };
        let sandbox = crate::engine::sandbox::settings::parse(crate::engine::sandbox::settings::SandboxVars {
            sandbox: pick("CUBIST_SANDBOX", file.sandbox),
            bwrap: pick("CUBIST_BWRAP", file.bwrap),
            task_user: pick("CUBIST_TASK_USER", file.task_user),
            task_network: pick("CUBIST_TASK_NETWORK", file.task_network),
            readonly: pick("CUBIST_SANDBOX_READONLY", file.sandbox_readonly),
        })
        .map_err(|(variable, problem)| bad(variable, problem))?;
        let scheduler = crate::scheduler::settings::parse(crate::scheduler::settings::SchedulerVars {
            tick_ms: pick("CUBIST_SCHEDULER_TICK_MS", file.scheduler_tick_ms),
            timezone: pick("CUBIST_TIMEZONE", file.timezone),
            catchup_cap: pick("CUBIST_CATCHUP_CAP", file.catchup_cap),
            housekeeping_ms: pick("CUBIST_HOUSEKEEPING_MS", file.housekeeping_ms),
            retain_runs_days: pick("CUBIST_RETAIN_RUNS_DAYS", file.retain_runs_days),
            retain_audit_days: pick("CUBIST_RETAIN_AUDIT_DAYS", file.retain_audit_days),
            retain_notifications_days: pick("CUBIST_RETAIN_NOTIFICATIONS_DAYS", file.retain_notifications_days),
            cluster_keep_minutes: pick("CUBIST_CLUSTER_KEEP_MINUTES", file.cluster_keep_minutes),
        })
        .map_err(|(variable, problem)| bad(variable, problem))?;
        let alerts = crate::alerts::settings::parse(crate::alerts::settings::AlertVars {
            webhook_url: pick("CUBIST_WEBHOOK_URL", file.webhook_url),
            webhook_secret: pick("CUBIST_WEBHOOK_SECRET", file.webhook_secret),
            smtp_url: pick("CUBIST_SMTP_URL", file.smtp_url),
            smtp_from: pick("CUBIST_SMTP_FROM", file.smtp_from),
            retry_ms: pick("CUBIST_DELIVERY_RETRY_MS", file.delivery_retry_ms),
        })
        .map_err(|(variable, problem)| bad(variable, problem))?;
        let cluster_create_rate = crate::engine::cluster::create_rate::parse(
            pick(crate::engine::cluster::create_rate::VARIABLE, file.cluster_create_rate).as_deref(),
        )
        .map_err(|problem| bad(crate::engine::cluster::create_rate::VARIABLE, problem))?;
        Ok(Self {
            cluster_create_rate,
            alerts,
            scheduler,
            sandbox,
            host_shells,
            scratch_hours,
            embed,
            secret_key,
            clusters,
            cluster_settings,
            addr,
            data_dir,
            database,
            admin_password: pick("CUBIST_ADMIN_PASSWORD", file.admin_password),
            static_dir,
            public_url,
            secure_cookies,
            session_hours,
            auth,
        })
    }
}

impl Config {
    /// Whether users reach the server over HTTPS (so browsers should never use plain HTTP).
    pub fn served_over_https(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// Whether cookies carry `Secure`.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies || self.served_over_https()
    }
}

fn check_public_url(url: String) -> Result<String, ConfigError> {
    let url = url.trim().trim_end_matches('/').to_owned();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(url),
        _ => Err(bad("CUBIST_PUBLIC_URL", format!("'{url}' is not a URL like https://cubist.example.com"))),
    }
}

fn read_file(env: &dyn Fn(&str) -> Option<String>) -> Result<FileConfig, ConfigError> {
    let (path, required) = match env("CUBIST_CONFIG") {
        Some(p) => (PathBuf::from(p), true),
        None => (PathBuf::from("cubist.toml"), false),
    };
    if !required && !Path::new(&path).exists() {
        return Ok(FileConfig::default());
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| bad("CUBIST_CONFIG", format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| bad("CUBIST_CONFIG", format!("{}: {}", path.display(), e.message())))
}

fn parse_database_url(url: &str) -> Result<DatabaseUrl, ConfigError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DatabaseUrl::Postgres(url.to_owned()))
    } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        if path.is_empty() {
            return Err(bad("DATABASE_URL", "the sqlite: URL has no file path"));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    } else {
        Err(bad("DATABASE_URL", "must start with postgres://, postgresql:// or sqlite:"))
    }
}

pub(crate) fn parse_bool(var: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(bad(var, format!("'{v}' is not true or false"))),
    }
}

#[cfg(test)]
mod tests;
