//! Typed configuration, read once at start from an optional `cubist.toml` and then the
//! environment (which wins). A bad value stops the server with a message naming the variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use app::model::LoginMethod;
use ipnet::IpNet;
use serde::Deserialize;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Sign-in through a reverse proxy that authenticates users and passes the name on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedHeader {
    /// Request header carrying the username, e.g. `X-Remote-User`.
    pub header: String,
    /// Peers allowed to set it; requests from elsewhere are ignored.
    pub proxies: Vec<IpNet>,
}

/// Which ID-token claim names the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameClaim {
    PreferredUsername,
    Email,
    Subject,
}

/// Sign-in with an OpenID Connect provider (authorization-code flow with PKCE).
#[derive(Clone, PartialEq, Eq)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back: `<public URL>/api/v1/auth/oidc/callback`.
    pub redirect_url: String,
    pub scopes: Vec<String>,
    pub username_claim: UsernameClaim,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<set>"))
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("username_claim", &self.username_claim)
            .finish()
    }
}

/// How users sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub primary: LoginMethod,
    pub enabled: Vec<LoginMethod>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`CUBIST_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
    pub trusted_header: Option<TrustedHeader>,
    pub oidc: Option<OidcConfig>,
}

impl AuthConfig {
    pub fn allows(&self, method: LoginMethod) -> bool {
        self.enabled.contains(&method)
    }
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
        Ok(Self {
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

fn parse_method(var: &str, v: &str) -> Result<LoginMethod, ConfigError> {
    match v.trim() {
        "password" => Ok(LoginMethod::Password),
        "oidc" => Ok(LoginMethod::Oidc),
        "trusted-header" => Ok(LoginMethod::TrustedHeader),
        other => Err(bad(var, format!("unknown login method '{other}' (password, oidc, trusted-header)"))),
    }
}

fn auth_config(
    methods: Option<String>,
    primary: Option<String>,
    header: Option<String>,
    proxies: Option<String>,
) -> Result<AuthConfig, ConfigError> {
    let enabled = match methods {
        None => vec![LoginMethod::Password],
        Some(list) => list
            .split(',')
            .filter(|m| !m.trim().is_empty())
            .map(|m| parse_method("CUBIST_LOGIN_METHODS", m))
            .collect::<Result<Vec<_>, _>>()?,
    };
    if enabled.is_empty() {
        return Err(bad("CUBIST_LOGIN_METHODS", "at least one login method is needed"));
    }
    let primary = match primary {
        Some(p) => parse_method("CUBIST_PRIMARY_LOGIN", &p)?,
        None => enabled[0],
    };
    if !enabled.contains(&primary) {
        return Err(bad("CUBIST_PRIMARY_LOGIN", "must be one of CUBIST_LOGIN_METHODS"));
    }
    let trusted_proxies = proxies
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| parse_net(p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let trusted_header = if enabled.contains(&LoginMethod::TrustedHeader) {
        let header = header.ok_or_else(|| bad("CUBIST_TRUSTED_HEADER", "required when trusted-header login is on"))?;
        if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(bad("CUBIST_TRUSTED_HEADER", format!("'{header}' is not a header name")));
        }
        if trusted_proxies.is_empty() {
            return Err(bad("CUBIST_TRUSTED_PROXIES", "required when trusted-header login is on"));
        }
        Some(TrustedHeader { header, proxies: trusted_proxies.clone() })
    } else {
        None
    };
    Ok(AuthConfig { primary, enabled, trusted_proxies, trusted_header, oidc: None })
}

/// The raw OpenID Connect settings.
struct OidcVars {
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    redirect_url: Option<String>,
    scopes: Option<String>,
    username_claim: Option<String>,
}

fn oidc_config(v: OidcVars) -> Result<OidcConfig, ConfigError> {
    let required = |var: &str, value: Option<String>| value.ok_or_else(|| bad(var, "required when oidc login is on"));
    let issuer = required("CUBIST_OIDC_ISSUER", v.issuer)?;
    let redirect_url = required("CUBIST_OIDC_REDIRECT_URL", v.redirect_url)?;
    for (var, value) in [("CUBIST_OIDC_ISSUER", &issuer), ("CUBIST_OIDC_REDIRECT_URL", &redirect_url)] {
        match url::Url::parse(value) {
            Ok(u) if u.scheme() == "https" || u.scheme() == "http" => {}
            _ => return Err(bad(var, format!("'{value}' is not an http(s) URL"))),
        }
    }
    let username_claim = match v.username_claim.as_deref().unwrap_or("preferred_username") {
        "preferred_username" => UsernameClaim::PreferredUsername,
        "email" => UsernameClaim::Email,
        "sub" => UsernameClaim::Subject,
        other => {
            return Err(bad(
                "CUBIST_OIDC_USERNAME_CLAIM",
                format!("'{other}' is not preferred_username, email or sub"),
            ));
        }
    };
    let scopes = v.scopes.unwrap_or_else(|| "openid email profile".into());
    Ok(OidcConfig {
        issuer,
        client_id: required("CUBIST_OIDC_CLIENT_ID", v.client_id)?,
        client_secret: v.client_secret,
        redirect_url,
        scopes: scopes.split([' ', ',']).filter(|s| !s.is_empty() && *s != "openid").map(str::to_owned).collect(),
        username_claim,
    })
}

fn parse_net(p: &str) -> Result<IpNet, ConfigError> {
    p.parse::<IpNet>()
        .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| bad("CUBIST_TRUSTED_PROXIES", format!("'{p}' is not an IP address or CIDR range")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(&|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_embedded() {
        let c = load(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database, DatabaseUrl::Sqlite(PathBuf::from("data/cubist.db")));
        assert_eq!(c.auth.enabled, vec![LoginMethod::Password]);
    }

    #[test]
    fn an_https_public_url_makes_cookies_secure() {
        let plain = load(&[]).unwrap();
        assert!(!plain.secure_cookies && !plain.served_over_https());
        let https = load(&[("CUBIST_PUBLIC_URL", "https://cubist.example.com/")]).unwrap();
        assert!(https.secure_cookies && https.served_over_https());
        assert_eq!(https.public_url.as_deref(), Some("https://cubist.example.com"));
        let http = load(&[("CUBIST_PUBLIC_URL", "http://10.0.0.2:3000")]).unwrap();
        assert!(!http.secure_cookies && !http.served_over_https());
        let refused = load(&[("CUBIST_PUBLIC_URL", "https://c.example"), ("CUBIST_SECURE_COOKIES", "false")]);
        assert_eq!(refused.unwrap_err().variable, "CUBIST_SECURE_COOKIES");
        assert_eq!(load(&[("CUBIST_PUBLIC_URL", "cubist.example")]).unwrap_err().variable, "CUBIST_PUBLIC_URL");
    }

    #[test]
    fn errors_name_the_variable() {
        assert_eq!(load(&[("CUBIST_ADDR", "nope")]).unwrap_err().variable, "CUBIST_ADDR");
        assert_eq!(load(&[("DATABASE_URL", "mysql://x")]).unwrap_err().variable, "DATABASE_URL");
        assert_eq!(load(&[("CUBIST_SECURE_COOKIES", "maybe")]).unwrap_err().variable, "CUBIST_SECURE_COOKIES");
        let e = load(&[("CUBIST_LOGIN_METHODS", "password,trusted-header")]).unwrap_err();
        assert_eq!(e.variable, "CUBIST_TRUSTED_HEADER");
        let e = load(&[("CUBIST_LOGIN_METHODS", "oidc"), ("CUBIST_OIDC_ISSUER", "https://id.example")]).unwrap_err();
        assert_eq!(e.variable, "CUBIST_OIDC_REDIRECT_URL");
        let e = load(&[
            ("CUBIST_LOGIN_METHODS", "oidc"),
            ("CUBIST_OIDC_ISSUER", "https://id.example"),
            ("CUBIST_OIDC_REDIRECT_URL", "https://cubist.example/api/v1/auth/oidc/callback"),
            ("CUBIST_OIDC_CLIENT_ID", "cubist"),
            ("CUBIST_OIDC_USERNAME_CLAIM", "nick"),
        ])
        .unwrap_err();
        assert_eq!(e.variable, "CUBIST_OIDC_USERNAME_CLAIM");
        let e = load(&[("CUBIST_CONFIG", "/nonexistent/cubist.toml")]).unwrap_err();
        assert_eq!(e.variable, "CUBIST_CONFIG");
    }

    #[test]
    fn postgres_and_trusted_header() {
        let c = load(&[
            ("DATABASE_URL", "postgres://u:secret@db/cubist"),
            ("CUBIST_LOGIN_METHODS", "trusted-header,password"),
            ("CUBIST_TRUSTED_HEADER", "X-Remote-User"),
            ("CUBIST_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
        ])
        .unwrap();
        assert!(matches!(c.database, DatabaseUrl::Postgres(_)));
        assert_eq!(c.auth.primary, LoginMethod::TrustedHeader);
        assert_eq!(c.auth.trusted_header.unwrap().proxies.len(), 2);
        assert!(!format!("{:?}", load(&[("DATABASE_URL", "postgres://u:hunter2@db/x")]).unwrap()).contains("hunter2"));
    }

    #[test]
    fn host_shells_follow_the_bind_address_unless_set() {
        assert!(load(&[]).unwrap().host_shells, "loopback: a single-machine install");
        assert!(!load(&[("CUBIST_ADDR", "0.0.0.0:3000")]).unwrap().host_shells);
        assert!(load(&[("CUBIST_ADDR", "0.0.0.0:3000"), ("CUBIST_HOST_SHELLS", "true")]).unwrap().host_shells);
        assert!(!load(&[("CUBIST_HOST_SHELLS", "off")]).unwrap().host_shells);
        assert_eq!(load(&[("CUBIST_HOST_SHELLS", "sometimes")]).unwrap_err().variable, "CUBIST_HOST_SHELLS");
    }
}
