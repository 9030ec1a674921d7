//! What the benchmarks share: the release server started as a child process, an admin
//! client of its API, the seeded `shell` template, and the server's peak memory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};

const PASSWORD: &str = "bench-admin-password";

/// An administrator signed in to the server at `base`.
pub struct Api {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl Api {
    pub async fn admin(base: String) -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
        let api = Self { http, jar, base };
        api.post("/api/v1/auth/login", &json!({"username": "admin", "password": PASSWORD})).await;
        api
    }

    fn csrf(&self) -> String {
        let url = self.base.parse().unwrap();
        let cookies = self.jar.cookies(&url).map(|c| c.to_str().unwrap_or_default().to_owned()).unwrap_or_default();
        cookies.split("; ").find_map(|kv| kv.strip_prefix("cubist_csrf=")).unwrap_or_default().to_owned()
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http.get(format!("{}{path}", self.base)).send().await.unwrap().json().await.unwrap()
    }

    /// A write and its answer, whatever its status.
    pub async fn try_post(&self, path: &str, body: &Value) -> (reqwest::StatusCode, Value) {
        let resp = self.http.post(format!("{}{path}", self.base)).header("X-CSRF-Token", self.csrf()).json(body);
        let resp = resp.send().await.unwrap();
        (resp.status(), resp.json().await.unwrap_or_default())
    }

    /// A write that must succeed.
    pub async fn post(&self, path: &str, body: &Value) -> Value {
        let (status, answer) = self.try_post(path, body).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
        answer
    }

    /// The id of the seeded `shell` template.
    pub async fn shell_template(&self) -> Value {
        let templates = self.get("/api/v1/job-templates").await;
        templates["items"].as_array().unwrap().iter().find(|t| t["name"] == "shell").unwrap()["id"].clone()
    }
}

/// The peak resident memory of a process, in MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Starts the release server (`CUBIST_BIN`) on a SQLite database in `data` with `env`;
/// returns it and its URL.
pub fn start_server(data: &std::path::Path, env: &[(&str, &str)]) -> (Child, String) {
    let bin = std::env::var("CUBIST_BIN").unwrap_or_else(|_| "/var/tmp/cubist-target/release/cubist".into());
    let mut server = Command::new(bin)
        .arg("serve")
        .env("CUBIST_ADDR", "127.0.0.1:0")
        .env("CUBIST_DATA_DIR", data)
        .env("CUBIST_ADMIN_PASSWORD", PASSWORD)
        .env("CUBIST_LOG", "warn")
        .env("DATABASE_URL", "")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run the benchmark's script in scripts/, which builds the release server first");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("the server stopped").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (server, base)
}
