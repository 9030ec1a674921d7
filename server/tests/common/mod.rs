//! Test harness: a real server on a real port, over a fresh SQLite file or a fresh
//! PostgreSQL database, and an HTTP client that behaves like a browser (cookies + CSRF).
//!
//! PostgreSQL comes from `CUBIST_TEST_POSTGRES` (set by `scripts/test.sh`, which starts a
//! throw-away server; default `postgres://postgres@127.0.0.1:5432/postgres`); tests fail
//! loudly when it is unreachable.

#![allow(dead_code, clippy::unwrap_used)]

pub mod binary;
pub mod runs;
pub mod terminal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use app::model::LoginMethod;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use server::config::{AuthConfig, Config, DatabaseUrl};

pub const ADMIN_PASSWORD: &str = "admin-password-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the test body once against SQLite and once against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = common::TestApp::spawn(common::Backend::Sqlite).await;
                ($body)(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = common::TestApp::spawn(common::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

/// Runs `body(backend)` once with each database, for tests that start servers themselves.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body(common::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body(common::Backend::Postgres).await;
            }
        }
    };
}

fn admin_url() -> String {
    std::env::var("CUBIST_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A throw-away PostgreSQL database, dropped when the test ends.
pub struct PgDatabase {
    name: String,
}

impl PgDatabase {
    async fn create() -> (Self, String) {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name =
            format!("cubist_test_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst), rand_suffix());
        let admin = admin_url();
        let mut conn = AsyncPgConnection::establish(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is required for the tests but unreachable at {admin}: {e} (set CUBIST_TEST_POSTGRES)")
        });
        conn.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        (Self { name }, url.to_string())
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin_url()).await {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    nanos % 1_000_000
}

/// A fresh database of `backend`: for PostgreSQL the throw-away database and its URL, for
/// SQLite nothing and "" (the server's default file in its data dir).
pub async fn database(backend: Backend) -> (Option<PgDatabase>, String) {
    match backend {
        Backend::Sqlite => (None, String::new()),
        Backend::Postgres => {
            let (db, url) = PgDatabase::create().await;
            (Some(db), url)
        }
    }
}

/// A running server and what it needs to live.
pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub backend: Backend,
    pub routes: Vec<server::api::RouteInfo>,
    /// The running server's state (database, engine), for tests that reach behind the API.
    pub state: server::state::AppState,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server whose configuration `adjust` may change first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (pg, url) = database(backend).await;
        let database = match pg {
            None => DatabaseUrl::Sqlite(dir.path().join("cubist.db")),
            Some(_) => DatabaseUrl::Postgres(url),
        };
        let mut config = Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            database,
            admin_password: Some(ADMIN_PASSWORD.into()),
            static_dir: dir.path().join("dist"),
            public_url: None,
            secure_cookies: false,
            session_hours: 1,
            clusters: vec!["local".into(), "gpu-east".into()],
            cluster_settings: Vec::new(),
            cluster_create_rate: Default::default(),
            secret_key: None,
            embed: Default::default(),
            scratch_hours: 24,
            host_shells: true,
            sandbox: Default::default(),
            scheduler: Default::default(),
            alerts: Default::default(),
            auth: AuthConfig {
                primary: LoginMethod::Password,
                enabled: vec![LoginMethod::Password],
                trusted_proxies: Vec::new(),
                trusted_header: None,
                oidc: None,
            },
        };
        adjust(&mut config);
        let built = server::build(config).await.unwrap();
        let routes = built.routes.clone();
        let state = built.state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server::serve(listener, built));
        Self {
            base: format!("http://{addr}"),
            addr,
            backend,
            routes,
            state,
            data_dir: dir.path().to_path_buf(),
            _dir: dir,
            _pg: pg,
        }
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client signed in with a password.
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let client = self.anonymous();
        let (status, body) =
            client.post("/api/v1/auth/login", &serde_json::json!({"username": username, "password": password})).await;
        assert_eq!(status, StatusCode::OK, "login of {username} failed: {body}");
        client
    }

    pub async fn admin(&self) -> Client {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates a user through the API (as admin) and signs them in.
    pub async fn user(&self, username: &str) -> Client {
        let password = format!("{username}-password");
        let (status, body) = self
            .admin()
            .await
            .post("/api/v1/users", &serde_json::json!({"username": username, "password": password}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.login(username, &password).await
    }
}

/// A browser-like client: keeps cookies and echoes the CSRF cookie on writes.
pub struct Client {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
    pub bearer: Option<String>,
    pub send_csrf: bool,
}

impl Client {
    pub fn new(base: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { http, jar, base: base.to_owned(), bearer: None, send_csrf: true }
    }

    /// A client that authenticates with an API token only.
    pub fn with_token(base: &str, token: &str) -> Self {
        let mut c = Self::new(base);
        c.bearer = Some(token.to_owned());
        c
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method.clone(), format!("{}{}", self.base, path));
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        if self.send_csrf
            && method != Method::GET
            && let Some(csrf) = self.cookie("cubist_csrf")
        {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &impl Serialize) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(&serde_json::to_value(body).unwrap())).await
    }

    pub async fn patch(&self, path: &str, body: &impl Serialize) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(&serde_json::to_value(body).unwrap())).await
    }

    pub async fn put(&self, path: &str, body: &impl Serialize) -> (StatusCode, Value) {
        self.request(Method::PUT, path, Some(&serde_json::to_value(body).unwrap())).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, None).await
    }

    /// GET and decode into a typed value, asserting success.
    pub async fn get_as<T: DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_value(body).unwrap()
    }
}

/// Asserts the standard error body and returns its code.
pub fn error_code(body: &Value) -> String {
    let error = body.get("error").unwrap_or_else(|| panic!("not an error body: {body}"));
    assert!(error.get("message").and_then(Value::as_str).is_some_and(|m| !m.is_empty()), "{body}");
    assert!(error.get("details").is_some_and(Value::is_array), "{body}");
    error["code"].as_str().unwrap().to_owned()
}

/// The field names of a validation error.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap().to_owned()).collect()
}

/// Whether process `pid` is alive (a zombie counts as gone).
pub fn process_alive(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(") ").next().is_some_and(|rest| !rest.is_empty() && !rest.starts_with('Z'))
}

/// The host process id of process `inner_pid` of a sandbox of run `run_id` (a sandbox has
/// process ids of its own); waits at most five seconds for it to appear.
pub async fn host_pid(run_id: &str, inner_pid: &str) -> String {
    let marker = format!("KFJ_RUN_ID={run_id}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let found = std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).find_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let ids: Vec<&str> = status.lines().find_map(|l| l.strip_prefix("NSpid:"))?.split_whitespace().collect();
            if ids.len() < 2 || ids.last() != Some(&inner_pid.trim()) {
                return None;
            }
            let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
            environ.split(|b| *b == 0).any(|var| var == marker.as_bytes()).then(|| pid.to_string())
        });
        if let Some(pid) = found {
            return pid;
        }
        assert!(std::time::Instant::now() < deadline, "no process {inner_pid} in a sandbox of {run_id}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits (at most five seconds) for process `pid` to be gone.
pub async fn process_gone(pid: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while process_alive(pid) {
        assert!(std::time::Instant::now() < deadline, "process {pid} was left running");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Creates role `role` holding the permission `action` on `resource` and adds it to the
/// roles of `user` (signed in), as `admin`; returns the role's id.
pub async fn grant(admin: &Client, user: &Client, role: &str, action: &str, resource: &str) -> i64 {
    let perms: Value = admin.get_as("/api/v1/permissions?page_size=200").await;
    let permission = perms["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["action"] == action && p["resource"] == resource)
        .unwrap_or_else(|| panic!("no permission {action}:{resource}"))["id"]
        .clone();
    let (status, created) =
        admin.post("/api/v1/roles", &serde_json::json!({"name": role, "permissions": [permission]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let me: app::model::Me = user.get_as("/api/v1/me").await;
    let mut roles: Vec<i64> = me.user.roles.iter().map(|r| r.id.0).collect();
    let id = created["id"].as_i64().unwrap();
    roles.push(id);
    let (status, body) =
        admin.patch(&format!("/api/v1/users/{}", me.user.id), &serde_json::json!({"roles": roles})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}
