//! Alerts: a failed run of a pipeline that alerts on failures reaches its creator and its
//! alert users who may see it in their inboxes, through a real local SMTP server (Debian's aiosmtpd) and a
//! local webhook receiver that refuses the first call; the webhook is retried, signed, and
//! every delivery is visible to administrators.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode as HttpStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Backend, TestApp};

const SECRET: &str = "webhook-secret-0123456789";

/// Calls the receiver got: (headers, body).
type Calls = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver on a free port that answers 500 to its first call and 200 after.
async fn receiver() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut calls = seen.lock().unwrap();
                calls.push((headers, body));
                if calls.len() == 1 { HttpStatus::INTERNAL_SERVER_ERROR } else { HttpStatus::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

/// Every mail in the Maildir `dir`, one after the other.
fn received(dir: &std::path::Path) -> String {
    let files = std::fs::read_dir(dir.join("new")).map(|d| d.filter_map(Result::ok).collect::<Vec<_>>());
    files.unwrap_or_default().iter().filter_map(|f| std::fs::read_to_string(f.path()).ok()).collect()
}

/// A real SMTP server (aiosmtpd) writing what it receives to a Maildir.
struct SmtpServer {
    child: tokio::process::Child,
    mailbox: std::path::PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

async fn smtp_server() -> SmtpServer {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailbox = dir.path().join("maildir");
    let child = tokio::process::Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&mailbox)
        .kill_on_drop(true)
        .spawn()
        .expect("Debian's python3-aiosmtpd is needed (scripts/test.sh installs it)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "the SMTP server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    SmtpServer { child, mailbox, port, _dir: dir }
}

/// Polls `read` until `done` holds for it.
async fn eventually<T: std::fmt::Debug>(what: &str, read: impl AsyncFn() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = read().await;
        if done(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "{what}: {got:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_databases!(a_failed_run_reaches_inboxes_mail_and_a_signed_webhook, failed_run_alerts);

async fn failed_run_alerts(backend: Backend) {
    let (hook, calls) = receiver().await;
    let mut smtp = smtp_server().await;
    let settings = server::alerts::settings::parse(server::alerts::settings::AlertVars {
        webhook_url: Some(hook),
        webhook_secret: Some(SECRET.into()),
        smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
        smtp_from: Some("cubist@example.com".into()),
        retry_ms: Some("200".into()),
    })
    .unwrap();
    let app = TestApp::spawn_with(backend, |config| {
        config.scheduler.tick = Duration::from_millis(100);
        config.alerts = settings;
    })
    .await;
    let admin = app.admin().await;
    let mut ids = std::collections::HashMap::new();
    for name in ["ann", "bob", "cid", "dan"] {
        let user =
            json!({"username": name, "password": format!("{name}-password"), "email": format!("{name}@example.com")});
        let (status, body) = admin.post("/api/v1/users", &user).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.insert(name, body["id"].as_i64().unwrap());
    }
    // Dan leaves `public`: named as an alert user, he still may not hear about its pipelines.
    let public = common::runs::public_project(&admin).await;
    let (status, body) = admin.delete(&format!("/api/v1/projects/{public}/members/{}", ids["dan"])).await;
    assert!(status.is_success(), "{body}");
    let dan = app.login("dan", "dan-password").await;
    let ann = app.login("ann", "ann-password").await;
    let bob = app.login("bob", "bob-password").await;
    let cid = app.login("cid", "cid-password").await;
    let id = common::runs::pipeline(&ann, "nightly-etl", &[("load", "exit 4", 0, 0, false)], json!({}), 1).await;
    let mut pipeline: Value = ann.get_as(&format!("/api/v1/pipelines/{id}")).await;
    pipeline["project_id"] = pipeline["project"]["id"].clone();
    pipeline["alerts"] = json!({"statuses": ["failed"], "users": ["bob", "dan"]});
    let (status, saved) = ann.put(&format!("/api/v1/pipelines/{id}"), &pipeline).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let run_id = common::runs::start(&ann, id).await;
    assert_eq!(common::runs::finished(&ann, &run_id).await["run"]["status"], "failed");

    // The inboxes of the creator and the alert user, nobody else's.
    for client in [&ann, &bob] {
        let inbox: Value = eventually(
            "the inbox",
            async || client.get_as::<Value>("/api/v1/me/notifications").await,
            |v| v["total"] == 1,
        )
        .await;
        let message = &inbox["items"][0];
        assert_eq!(message["subject"], "nightly-etl: run failed");
        assert_eq!(message["link"], format!("/runs/{run_id}"));
        assert_eq!(message["read"], false);
        let unread: Value = client.get_as("/api/v1/me/notifications/unread").await;
        assert_eq!(unread["unread"], 1);
    }
    let none: Value = cid.get_as("/api/v1/me/notifications").await;
    assert_eq!(none["total"], 0, "who is not a receiver hears nothing");
    let none: Value = dan.get_as("/api/v1/me/notifications").await;
    assert_eq!(none["total"], 0, "who may not see the pipeline hears nothing of it");

    // The webhook: refused once, then delivered again with the same delivery id and a
    // signature of its body.
    let calls = eventually("webhook calls", async || calls.lock().unwrap().clone(), |c| c.len() >= 2).await;
    assert_eq!(calls.len(), 2, "sent once more after the refusal, then no more");
    let (headers, body) = &calls[1];
    assert_eq!(headers["x-cubist-delivery"], calls[0].0["x-cubist-delivery"]);
    let signature = format!("sha256={}", server::alerts::signature(SECRET, body.as_bytes()));
    assert_eq!(headers["x-cubist-signature"].to_str().unwrap(), signature);
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!((payload["event"].as_str(), payload["run_id"].as_str()), (Some("run.failed"), Some(run_id.as_str())));

    // One mail to each receiver through the real SMTP server.
    let mail = eventually(
        "mail",
        async || received(&smtp.mailbox),
        |m| m.contains("ann@example.com") && m.contains("bob@example.com"),
    )
    .await;
    assert_eq!(mail.matches("Subject: nightly-etl: run failed").count(), 2, "{mail}");
    assert!(!mail.contains("dan@example.com"), "{mail}");
    smtp.child.kill().await.unwrap();

    let deliveries: Value = admin.get_as("/api/v1/notification-deliveries").await;
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{deliveries}");
    assert!(items.iter().all(|d| d["state"] == "sent"), "{deliveries}");
    let webhook = items.iter().find(|d| d["channel"] == "webhook").unwrap();
    assert_eq!(webhook["attempts"], 2);
    assert!(!webhook["target"].as_str().unwrap().contains("/hook"), "only the host is shown: {webhook}");
    let (status, _) = ann.get("/api/v1/notification-deliveries").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Reading.
    let bobs: Value = bob.get_as("/api/v1/me/notifications").await;
    let bobs_id = bobs["items"][0]["id"].as_i64().unwrap();
    let (status, _) = ann.post(&format!("/api/v1/me/notifications/{bobs_id}/read"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nobody reads another's message");
    let (status, left) = bob.post(&format!("/api/v1/me/notifications/{bobs_id}/read"), &json!({})).await;
    assert_eq!((status, left["unread"].as_u64()), (StatusCode::OK, Some(0)));
    let (_, left) = ann.post("/api/v1/me/notifications/read-all", &json!({})).await;
    assert_eq!(left["unread"], 0);
}
