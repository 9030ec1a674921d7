//! Reads that must agree with each other (a pipeline and its tasks for the editor) see one
//! moment of the database, on SQLite and PostgreSQL alike: a write committed in between is
//! not half-seen.

#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use serde_json::json;

use common::TestApp;
use server::db::DbError;

on_both_backends!(a_snapshot_does_not_see_writes_committed_during_it, async |app: TestApp| {
    let admin = app.admin().await;
    let mut conn = app.state.db.read().await.unwrap();
    let (before, during) = server::snapshot!(&mut conn, |tx| {
        let before = server::db::users::by_username(tx, "admin").await?.is_some();
        let body = json!({"username": "newcomer", "password": "newcomer-password-1"});
        let (status, created) = admin.post("/api/v1/users", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let during = server::db::users::by_username(tx, "newcomer").await?.is_some();
        Ok::<_, DbError>((before, during))
    })
    .unwrap();
    drop(conn);
    assert!(before);
    assert!(!during, "the user created during the snapshot is not in it");
    let mut conn = app.state.db.read().await.unwrap();
    assert!(server::db::users::by_username(&mut conn.tx(), "newcomer").await.unwrap().is_some(), "but is after it");
});
