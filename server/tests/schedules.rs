//! Schedules that run: a catch-up creates one run per execution date, read in the
//! schedule's time zone and previewed before it is saved; "wait for the previous run" holds
//! the chain after a failure until the date is skipped; two real servers on one PostgreSQL
//! create exactly one run per tick over 1,000 ticks.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Backend, Client, TestApp};

/// A pipeline of one `shell` task in project `public`; returns its id.
async fn one_task_pipeline(client: &Client, name: &str, script: &str) -> i64 {
    let shell = common::runs::shell_template(client).await;
    let project = common::runs::public_project(client).await;
    let task = common::runs::shell_step(&shell, ("work", script, 0, 0, false));
    common::runs::create(client, json!({"project_id": project, "name": name, "dag": {}, "parallelism": 1}), vec![task])
        .await
}

/// Saves `schedule` as the pipeline's schedule.
async fn set_schedule(client: &Client, id: i64, schedule: Value) {
    let mut body: Value = client.get_as(&format!("/api/v1/pipelines/{id}")).await;
    body["project_id"] = body["project"]["id"].clone();
    body["schedule"] = schedule;
    let (status, saved) = client.put(&format!("/api/v1/pipelines/{id}"), &body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
}

/// The pipeline's saved schedule.
async fn schedule_of(client: &Client, id: i64) -> Value {
    let pipeline: Value = client.get_as(&format!("/api/v1/pipelines/{id}")).await;
    pipeline["schedule"].clone()
}

/// Every record of the pipeline, newest first.
async fn records(client: &Client, id: i64) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let got: Value =
            client.get_as(&format!("/api/v1/pipelines/{id}/schedule/records?page={page}&page_size=200")).await;
        let items = got["items"].as_array().unwrap();
        all.extend(items.iter().cloned());
        if all.len() as u64 >= got["total"].as_u64().unwrap() || items.is_empty() {
            return all;
        }
    }
    unreachable!()
}

/// Polls the records until `done` holds for them.
async fn records_until(client: &Client, id: i64, limit: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + limit;
    loop {
        let got = records(client, id).await;
        if done(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "records did not get there: {}", Value::from(got));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ended(record: &Value) -> bool {
    record["state"] == "started" && ["succeeded", "failed"].contains(&record["run_status"].as_str().unwrap_or(""))
}

fn fast_scheduler(config: &mut server::config::Config) {
    config.scheduler.tick = Duration::from_millis(100);
}

fn date(record: &Value) -> DateTime<Utc> {
    record["execution_date"].as_str().unwrap().parse().unwrap()
}

on_both_databases!(a_catch_up_runs_each_date_once_in_the_schedules_zone, catch_up);

async fn catch_up(backend: Backend) {
    let app = TestApp::spawn_with(backend, fast_scheduler).await;
    let ann = app.user("ann").await;
    let id = one_task_pipeline(&ann, "hourly", "echo date={{ execution_date }}").await;
    // India is 5:30 ahead of UTC: its full hours are half past in UTC.
    let start = Utc::now() - chrono::Duration::hours(6);
    let schedule = json!({"kind": "cron", "cron": "0 * * * *", "timezone": "Asia/Kolkata",
        "catchup_start": start, "max_active_runs": 2});

    let (status, preview) =
        ann.post(&format!("/api/v1/pipelines/{id}/schedule/preview"), &json!({"schedule": schedule})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["catchup_runs"], 6, "{preview}");
    assert!(preview["summary"].as_str().unwrap().starts_with("this creates 6 runs from"), "{preview}");
    assert_eq!(preview["timezone"], "Asia/Kolkata");
    let bad = json!({"schedule": {"kind": "cron", "cron": "0 * * * *", "timezone": "Mars/Olympus"}});
    let (status, refused) = ann.post(&format!("/api/v1/pipelines/{id}/schedule/preview"), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(common::error_fields(&refused), vec!["schedule.timezone"]);

    set_schedule(&ann, id, schedule).await;
    let done = records_until(&ann, id, Duration::from_secs(60), |r| r.len() == 6 && r.iter().all(ended)).await;
    let dates: HashSet<DateTime<Utc>> = done.iter().map(date).collect();
    assert_eq!(dates.len(), 6);
    assert!(dates.iter().all(|d| d.minute() == 30 && d.second() == 0), "{dates:?}");
    assert!(done.iter().all(|r| r["run_status"] == "succeeded"), "{}", Value::from(done.clone()));

    // Each run is a scheduled run of its date, and its task saw the date in the zone.
    let newest = &done[0];
    let detail: Value = ann.get_as(&format!("/api/v1/runs/{}", newest["run_id"].as_str().unwrap())).await;
    assert_eq!(detail["run"]["kind"], "scheduled");
    assert_eq!(detail["run"]["execution_date"], newest["execution_date"]);
    let log = ann.get(&format!("/api/v1/runs/{}/tasks/work/logs", newest["run_id"].as_str().unwrap())).await.1;
    let local = date(newest).with_timezone(&chrono_tz::Asia::Kolkata).format("date=%Y-%m-%d %H:%M:%S").to_string();
    assert!(log.as_str().unwrap().contains(&local), "{log} should hold {local}");

    // One scheduled run per date, no more.
    let runs: Value = ann.get_as(&format!("/api/v1/runs?pipeline_id={id}&kind=scheduled&page_size=50")).await;
    assert_eq!(runs["total"], 6);
    let jobs: Value = app.admin().await.get_as("/api/v1/background-jobs").await;
    let job = jobs.as_array().unwrap().iter().find(|j| j["name"] == "schedules").unwrap().clone();
    assert!(job["passes"].as_u64().unwrap() > 0 && job["last_error"] == "", "{job}");
    let (status, _) = ann.get("/api/v1/background-jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only administrators see the jobs");
}

on_both_databases!(waiting_for_the_previous_run_holds_after_a_failure_until_it_is_skipped, chain);

async fn chain(backend: Backend) {
    let app = TestApp::spawn_with(backend, fast_scheduler).await;
    let ann = app.user("ann").await;
    let id = one_task_pipeline(&ann, "chained", "exit 3").await;
    let now = Utc::now().with_second(0).unwrap().with_nanosecond(0).unwrap();
    // Three dates: ten and twenty minutes before the last whole ten minutes, and that one.
    let start = now - chrono::Duration::minutes(i64::from(now.minute() % 10) + 20);
    let schedule = json!({"kind": "cron", "cron": "*/10 * * * *", "catchup_start": start,
        "depends_on_past": true, "max_active_runs": 5});
    set_schedule(&ann, id, schedule).await;

    let held = records_until(&ann, id, Duration::from_secs(30), |r| {
        r.len() == 3 && ended(&r[2]) && r[1]["reason"].as_str().unwrap_or("").contains("failed")
    })
    .await;
    assert_eq!(held[2]["run_status"], "failed");
    assert_eq!(held[1]["state"], "waiting");
    assert!(held[1]["reason"].as_str().unwrap().contains("rerun or skip"), "{}", held[1]);
    assert_eq!(held[0]["state"], "waiting");

    let first = held[2]["id"].as_i64().unwrap();
    let (status, skipped) =
        ann.post(&format!("/api/v1/pipelines/{id}/schedule/records/{first}/skip"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{skipped}");
    assert_eq!(skipped["state"], "skipped");
    let after = records_until(&ann, id, Duration::from_secs(30), |r| ended(&r[1])).await;
    assert_eq!(after[1]["run_status"], "failed", "the second date ran once the first was skipped");
    assert_eq!(after[0]["state"], "waiting", "and the chain holds again");

    let bob = app.user("bob").await;
    let (status, _) = bob.post(&format!("/api/v1/pipelines/{id}/schedule/records/{first}/rerun"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "who may see but not change the pipeline cannot steer its schedule");
    let (status, _) = ann.post(&format!("/api/v1/pipelines/{id}/schedule/records/{first}/rerun"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "its owner can run a date again");
}

/// Two servers on one PostgreSQL, each with its scheduler, catch up 1,000 minutes of a
/// minute schedule: every minute gets exactly one record and one run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_run_each_of_1000_ticks_once() {
    let (_pg, database) = common::database(common::Backend::Postgres).await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let env = [("CUBIST_SCHEDULER_TICK_MS", "100"), ("CUBIST_CATCHUP_CAP", "200")];
    // One after the other: the first creates the schema.
    let (_first, base) = common::binary::serve_with(dirs[0].path(), &database, &env).await;
    let (_second, _) = common::binary::serve_with(dirs[1].path(), &database, &env).await;
    let admin = common::binary::admin(&base).await;
    let id = one_task_pipeline(&admin, "minutely", "true").await;
    let start = Utc::now().with_second(0).unwrap().with_nanosecond(0).unwrap() - chrono::Duration::minutes(999);
    let schedule = json!({"kind": "cron", "cron": "* * * * *", "catchup_start": start, "max_active_runs": 100});
    set_schedule(&admin, id, schedule).await;

    let done = records_until(&admin, id, Duration::from_secs(300), |r| {
        r.len() >= 1000 && r.iter().filter(|r| r["state"] == "started").count() >= 1000
    })
    .await;
    let dates: HashSet<DateTime<Utc>> = done.iter().map(date).collect();
    assert_eq!(dates.len(), done.len(), "one record per date");
    // Paused, so that no later minute adds runs while they are counted.
    let mut paused = schedule_of(&admin, id).await;
    paused["paused"] = json!(true);
    set_schedule(&admin, id, paused).await;
    let mut by_date: std::collections::HashMap<String, HashSet<String>> = Default::default();
    let mut total = 0;
    for page in 1.. {
        let got: Value =
            admin.get_as(&format!("/api/v1/runs?pipeline_id={id}&kind=scheduled&page={page}&page_size=200")).await;
        let items = got["items"].as_array().unwrap();
        for run in items {
            let when = run["execution_date"].as_str().unwrap().to_owned();
            by_date.entry(when).or_default().insert(run["run_id"].as_str().unwrap().to_owned());
        }
        total = got["total"].as_u64().unwrap();
        if items.is_empty() {
            break;
        }
    }
    let twice: Vec<_> = by_date.iter().filter(|(_, runs)| runs.len() > 1).collect();
    assert!(twice.is_empty(), "dates that ran twice: {twice:?}");
    assert!(by_date.len() >= 1000 && by_date.len() as u64 == total, "{} dates, {total} runs", by_date.len());
    let first_thousand = (0..1000).map(|m| start + chrono::Duration::minutes(m)).all(|d| dates.contains(&d));
    assert!(first_thousand, "every minute of the catch-up was recorded");
    // Each server runs the runs it started in its own data dir: both took turns.
    for dir in &dirs {
        let started = std::fs::read_dir(dir.path().join("runs")).map_or(0, |d| d.count());
        assert!(started > 0, "both servers started runs");
    }
}

on_both_databases!(keep_newest_clears_older_runs_and_backfill_adds_missing_dates, keep_newest);

async fn keep_newest(backend: Backend) {
    let app = TestApp::spawn_with(backend, fast_scheduler).await;
    let ann = app.user("ann").await;
    let id = one_task_pipeline(&ann, "kept", "true").await;
    let now = Utc::now().with_second(0).unwrap().with_nanosecond(0).unwrap();
    let start = now - chrono::Duration::minutes(i64::from(now.minute() % 10) + 20);
    let mut schedule = json!({"kind": "cron", "cron": "*/10 * * * *", "catchup_start": start, "max_active_runs": 3});
    set_schedule(&ann, id, schedule.clone()).await;
    records_until(&ann, id, Duration::from_secs(30), |r| r.len() == 3 && r.iter().all(ended)).await;

    schedule["keep_newest"] = json!(1);
    set_schedule(&ann, id, schedule).await;
    let kept = records_until(&ann, id, Duration::from_secs(30), |r| {
        r[1]["run_status"] == "deleted" && r[2]["run_status"] == "deleted"
    })
    .await;
    assert_eq!(kept[0]["run_status"], "succeeded", "the newest run stays");
    assert!(kept.iter().all(|r| r["state"] == "started"), "records stay");

    // A backfill adds the dates before the catch-up start; they are older than the newest
    // one kept, so they never run.
    let range = json!({"from": start - chrono::Duration::minutes(30), "to": start - chrono::Duration::seconds(1)});
    let (status, added) = ann.post(&format!("/api/v1/pipelines/{id}/schedule/backfill"), &range).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["added"], 3);
    let done = records_until(&ann, id, Duration::from_secs(30), |r| {
        r.len() == 6 && r[3..].iter().all(|r| r["state"] == "skipped")
    })
    .await;
    assert!(done[5]["reason"].as_str().unwrap().contains("newest 1"), "{}", done[5]);
    let future = json!({"from": now, "to": now + chrono::Duration::days(1)});
    let (status, refused) = ann.post(&format!("/api/v1/pipelines/{id}/schedule/backfill"), &future).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(common::error_fields(&refused), vec!["to"]);
}
