//! Debug shells of single tasks over a WebSocket terminal: the shell has the task's
//! environment and working directory, reports its exit, ends with its socket or when the
//! task is cleared, and is refused without the permission, the right to run the task, the
//! configuration, or when the handshake comes from another site.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use common::TestApp;
use common::terminal::{handshake, open, read_until, shell_task as task, type_line};

on_both_backends!(a_shell_has_the_task_environment_and_reports_its_exit, async |app: TestApp| {
    let admin = app.admin().await;
    let id = task(&admin, "debugged").await;
    let info: Value = admin.get_as(&format!("/api/v1/tasks/{id}/debug")).await;
    assert_eq!(info["task"], "probe");
    let run_id = info["run_id"].as_str().unwrap().to_owned();
    assert!(run_id.starts_with("run-") && run_id.ends_with(&format!("-{id}")), "{info}");

    let mut socket = open(&admin, id).await;
    type_line(&mut socket, "echo \"[$KFJ_TASK_NAME|$KFJ_RUN_ID|$STAGE|$(pwd)|$(stty size)]\"").await;
    let screen = read_until(&mut socket, "]\r\n").await;
    let expected = format!("[probe|{run_id}|debugging|{}|30 100]", info["workdir"].as_str().unwrap());
    assert!(screen.contains(&expected), "expected {expected} in: {screen}");

    socket.send(Message::Text(r#"{"type":"resize","cols":132,"rows":43}"#.into())).await.unwrap();
    type_line(&mut socket, "echo \"<$(stty size)>\"").await;
    read_until(&mut socket, "<43 132>").await;

    type_line(&mut socket, "exit 7").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let close = loop {
        match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), socket.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => break frame.unwrap(),
            Some(Ok(_)) => {}
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::Library(4000));
    assert_eq!(close.reason.as_str(), "exit 7");

    let audit: Value = admin.get_as("/api/v1/audit-log?page_size=50").await;
    let logged = audit["items"].as_array().unwrap().iter().any(|e| e["path"] == format!("/api/v1/tasks/{id}/debug"));
    assert!(logged, "opening a shell is audited: {audit}");
});

on_both_backends!(closing_the_terminal_or_clearing_the_task_ends_the_shell_and_its_jobs, async |app: TestApp| {
    let admin = app.admin().await;
    let id = task(&admin, "jobs").await;

    let mut socket = open(&admin, id).await;
    // The typed line is echoed; the quotes keep the marker out of the echo.
    type_line(&mut socket, "sleep 300 & echo \"jo\"\"b=$!=\"").await;
    let screen = read_until(&mut socket, "=\r\n").await;
    let job = screen.split("job=").nth(1).unwrap().split('=').next().unwrap().to_owned();
    let run_id = common::terminal::run_id_of(&admin, id).await;
    let job = common::host_pid(&run_id, &job).await;
    assert!(common::process_alive(&job));
    drop(socket);
    common::process_gone(&job).await;

    let mut socket = open(&admin, id).await;
    type_line(&mut socket, "echo \"she\"\"ll=$$=\"").await;
    let screen = read_until(&mut socket, "=\r\n").await;
    let shell = screen.split("shell=").nth(1).unwrap().split('=').next().unwrap().to_owned();
    let shell = common::host_pid(&run_id, &shell).await;
    let (status, body) = admin.post(&format!("/api/v1/tasks/{id}/clear"), &json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    common::process_gone(&shell).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(frame) = message {
                return frame.map(|f| f.reason.to_string());
            }
        }
        None
    })
    .await
    .unwrap();
    assert_eq!(ended.as_deref(), Some("ended by a signal"));
});

on_both_backends!(shells_are_refused_without_permission_configuration_or_same_origin, async |app: TestApp| {
    let admin = app.admin().await;
    let id = task(&admin, "guarded").await;

    let error = tokio_tungstenite::connect_async(handshake(&admin, id, "https://evil.example")).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = error else { panic!("{error:?}") };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let user = app.user("dora").await;
    let (status, body) = user.get(&format!("/api/v1/tasks/{id}/debug")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "ordinary users hold no debug permission: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("debug:tasks"), "{body}");

    common::grant(&admin, &user, "Debuggers", "debug", "tasks").await;
    let (status, body) = user.get(&format!("/api/v1/tasks/{id}/debug")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the permission alone does not open another's task: {body}");
    let own = task(&user, "dora-own").await;
    let (status, body) = user.get(&format!("/api/v1/tasks/{own}/debug")).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let closed = TestApp::spawn_with(app.backend, |c| c.host_shells = false).await;
    let admin = closed.admin().await;
    let id = task(&admin, "closed").await;
    let (status, body) = admin.get(&format!("/api/v1/tasks/{id}/debug")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"]["message"].as_str().unwrap().contains("CUBIST_HOST_SHELLS"), "{body}");
});

on_both_backends!(one_user_holds_a_bounded_number_of_shells, async |app: TestApp| {
    let admin = app.admin().await;
    let id = task(&admin, "many").await;
    let mut shells = Vec::new();
    for _ in 0..4 {
        shells.push(open(&admin, id).await);
    }
    let error = tokio_tungstenite::connect_async(handshake(&admin, id, &admin.base)).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = error else { panic!("{error:?}") };
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    drop(shells.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio_tungstenite::connect_async(handshake(&admin, id, &admin.base)).await.is_err() {
        assert!(Instant::now() < deadline, "a closed terminal gives its place back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
});

on_both_backends!(the_server_holds_a_bounded_number_of_shells, async |app: TestApp| {
    use server::engine::terminal::{MAX_SHELLS, MAX_SHELLS_PER_USER, ShellLimit};
    let engine = &app.state.engines.local;
    let users = i64::try_from(MAX_SHELLS / MAX_SHELLS_PER_USER).unwrap();
    let mut tickets = Vec::new();
    for user in 1..=users {
        for _ in 0..MAX_SHELLS_PER_USER {
            tickets.push(engine.book_shell(user).unwrap());
        }
    }
    assert_eq!(engine.book_shell(users + 1).err(), Some(ShellLimit::Server), "the server is full");
    tickets.pop();
    assert_eq!(engine.book_shell(1).err(), Some(ShellLimit::User), "user 1 still holds their most");
    assert!(engine.book_shell(users + 1).is_ok(), "a returned ticket frees a place");
});
