//! Framing rules: nothing frames Cubist by default; configured portals may, and configured
//! external panels are listed and allowed as frame sources.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Backend, TestApp};
use serde_json::Value;
use server::embedding::{parse_frame_ancestors, parse_panels};

async fn headers_of(app: &TestApp) -> reqwest::header::HeaderMap {
    reqwest::get(format!("{}/", app.base)).await.unwrap().headers().clone()
}

#[tokio::test]
async fn nothing_frames_cubist_by_default() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let headers = headers_of(&app).await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    let panels: Value = app.admin().await.get_as("/api/v1/panels").await;
    assert_eq!(panels, Value::Array(vec![]));
}

#[tokio::test]
async fn allowed_portals_frame_it_and_panels_are_listed() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.embed.frame_ancestors = parse_frame_ancestors("https://portal.example.com").unwrap();
        config.embed.panels = parse_panels("grafana|Grafana|https://grafana.example.com/d/pods").unwrap();
    })
    .await;
    let headers = headers_of(&app).await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors https://portal.example.com;"), "{csp}");
    assert!(csp.contains("frame-src 'self' https://grafana.example.com"), "{csp}");
    assert!(headers.get("x-frame-options").is_none());
    let panels: Value = app.user("ann").await.get_as("/api/v1/panels").await;
    assert_eq!(panels[0]["url"], "https://grafana.example.com/d/pods");
}
