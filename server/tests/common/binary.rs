//! The real `cubist` binary as a child process on a data dir and database of the test's,
//! for tests that kill or inspect the server process itself.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::Client;

/// The password of `admin` on servers started here (also in their environment).
pub const PASSWORD: &str = "restart-admin-password";

/// Starts the server with `env` added to its environment; returns it and its base URL.
pub async fn serve_with(data: &Path, database: &str, env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cubist"))
        .arg("serve")
        .env("CUBIST_ADDR", "127.0.0.1:0")
        .env("CUBIST_DATA_DIR", data)
        .env("CUBIST_STATIC_DIR", data.join("dist"))
        .env("CUBIST_ADMIN_PASSWORD", PASSWORD)
        .env("DATABASE_URL", database)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("listening on ").nth(1) {
                return rest.split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
            }
        }
        panic!("the server stopped before listening");
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

/// Starts the server; returns it and its base URL.
pub async fn serve(data: &Path, database: &str) -> (Child, String) {
    serve_with(data, database, &[]).await
}

/// `admin`, signed in.
pub async fn admin(base: &str) -> Client {
    login(base, "admin", PASSWORD).await
}

/// A user signed in with a password.
pub async fn login(base: &str, username: &str, password: &str) -> Client {
    let client = Client::new(base);
    let (status, body) = client.post("/api/v1/auth/login", &json!({"username": username, "password": password})).await;
    assert!(status.is_success(), "{body}");
    client
}

/// Creates user `username` (a Gamma user in project `public`) as `admin`; returns it signed in.
pub async fn new_user(base: &str, username: &str) -> Client {
    let password = format!("{username}-password");
    let (status, body) =
        admin(base).await.post("/api/v1/users", &json!({"username": username, "password": password})).await;
    assert!(status.is_success(), "{body}");
    login(base, username, &password).await
}
