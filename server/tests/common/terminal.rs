//! Debug-shell terminals for tests: a task to open them on, the WebSocket handshake with a
//! client's session, typing and reading the screen.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;

use super::Client;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A pipeline with one `shell` task; returns the task's id.
pub async fn shell_task(client: &Client, name: &str) -> i64 {
    let templates: Value = client.get_as("/api/v1/job-templates?page_size=200").await;
    let shell = templates["items"].as_array().unwrap().iter().find(|t| t["name"] == "shell").unwrap()["id"].clone();
    let projects: Value = client.get_as("/api/v1/projects?kind=org").await;
    let public = projects["items"].as_array().unwrap().iter().find(|p| p["name"] == "public").unwrap()["id"].clone();
    let body = json!({"pipeline": {"project_id": public, "name": name, "global_env": "STAGE=debugging"},
        "tasks": [{"name": "probe", "template_id": shell, "args": {"script": "true"}}]});
    let (status, created) = client.post("/api/v1/pipelines", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["tasks"][0]["id"].as_i64().unwrap()
}

/// The run id a task's debug shells carry.
pub async fn run_id_of(client: &Client, task: i64) -> String {
    let info: Value = client.get_as(&format!("/api/v1/tasks/{task}/debug")).await;
    info["run_id"].as_str().unwrap().to_owned()
}

/// The WebSocket handshake of a task's terminal, with the client's session and `origin`.
pub fn handshake(client: &Client, task: i64, origin: &str) -> Request {
    let host = client.base.trim_start_matches("http://");
    let mut request = format!("ws://{host}/api/v1/tasks/{task}/debug?cols=100&rows=30").into_client_request().unwrap();
    let url = client.base.parse().unwrap();
    let cookies = reqwest::cookie::CookieStore::cookies(&*client.jar, &url).unwrap();
    request.headers_mut().insert("cookie", cookies);
    request.headers_mut().insert("origin", origin.parse().unwrap());
    request
}

/// Opens the task's terminal from the server's own origin.
pub async fn open(client: &Client, task: i64) -> Socket {
    let (socket, response) = tokio_tungstenite::connect_async(handshake(client, task, &client.base)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
}

/// Reads the terminal until its output contains `needle`; returns everything read.
pub async fn read_until(socket: &mut Socket, needle: &str) -> String {
    let mut screen = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !screen.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => screen.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Some(Ok(_))) => {}
            other => panic!("no {needle:?} in the terminal ({other:?}): {screen}"),
        }
    }
    screen
}

/// Types a line into the terminal.
pub async fn type_line(socket: &mut Socket, line: &str) {
    socket.send(Message::Binary(format!("{line}\n").into_bytes().into())).await.unwrap();
}
