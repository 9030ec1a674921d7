//! Alerts on run states: the alerts job turns the run events a pipeline alerts on (its alert
//! statuses) into a message in the inbox of each receiver (the pipeline's creator and its
//! alert users) and plans their deliveries (the webhook once per event, a mail per receiver
//! with an address), then tries the deliveries that are due. A failing channel is retried
//! with a growing wait and shown to administrators; it never holds a run.

use std::collections::{BTreeSet, HashMap, HashSet};

use app::model::{Channel, DeliveryState, RunStatus, UserId, WebhookPayload};
use chrono::NaiveDateTime;

use super::Result;
use super::access::{Act, Row, Who, decide};
use super::rbac::ADMIN_ROLE;
use crate::alerts::{Refusal, Senders};
use crate::db::notifications::{self as rows, EventRow, NewDelivery, NewNotification, Settled};
use crate::db::{self, Db, projects, users};
use crate::transaction;

/// Events one pass handles at most.
const EVENTS_PER_PASS: i64 = 500;
/// Deliveries one pass tries at most.
const DELIVERIES_PER_PASS: i64 = 50;
/// Tries before a delivery is given up.
pub const MAX_TRIES: i64 = 8;

/// What an alert says.
struct Alert {
    subject: String,
    body: String,
    link: String,
    payload: WebhookPayload,
}

fn alert_of(event: &EventRow, status: RunStatus, public_url: Option<&str>) -> Alert {
    let subject = format!("{}: run {}", event.pipeline, status.as_str());
    let mut body = format!(
        "The run {} of the pipeline {} is {} ({} UTC).",
        event.run_id,
        event.pipeline,
        status.as_str(),
        event.at.format("%Y-%m-%d %H:%M:%S")
    );
    if !event.message.is_empty() {
        body.push_str(&format!("\n{}", event.message));
    }
    let link = format!("{}/runs/{}", public_url.unwrap_or(""), event.run_id);
    let payload = WebhookPayload {
        event: format!("run.{}", status.as_str()),
        run_id: event.run_id.clone(),
        pipeline_id: event.pipeline_id,
        pipeline: event.pipeline.clone(),
        status,
        subject: subject.clone(),
        body: body.clone(),
        link: link.clone(),
        at: db::utc(event.at),
    };
    Alert { subject, body, link, payload }
}

/// A delivery of `alert` to plan.
fn planned<'a>(
    source: &'a str,
    alert: &'a Alert,
    notification_id: Option<i64>,
    (channel, target): (Channel, &'a str),
    text: &'a str,
    now: NaiveDateTime,
) -> NewDelivery<'a> {
    NewDelivery {
        notification_id,
        source,
        channel: channel.as_str(),
        target,
        subject: &alert.subject,
        text,
        state: DeliveryState::Pending.as_str(),
        next_at: now,
        created_at: now,
    }
}

/// Turns pending run events into notifications and deliveries; `true` when more events
/// are waiting than one pass takes.
pub async fn notify(db: &Db, senders: &Senders, public_url: Option<&str>) -> Result<bool> {
    let events = rows::events(&mut db.read().await?.tx(), EVENTS_PER_PASS).await?;
    if events.is_empty() {
        return Ok(false);
    }
    let more = events.len() as i64 == EVENTS_PER_PASS;
    let names: BTreeSet<String> =
        events.iter().flat_map(|e| e.alert_users.split(',').filter(|u| !u.is_empty()).map(str::to_owned)).collect();
    let settings = senders.settings().clone();
    let now = db::now();
    let mut conn = db.write().await?;
    transaction!(&mut conn, |tx| {
        let names: Vec<String> = names.into_iter().collect();
        let by_name: HashMap<String, (i64, Option<String>)> =
            users::ids_and_emails(tx, &names).await?.into_iter().map(|(id, name, email)| (name, (id, email))).collect();
        let creators: Vec<i64> = events.iter().filter_map(|e| e.created_by).collect();
        let emails: HashMap<i64, Option<String>> =
            users::emails_of(tx, &creators).await?.into_iter().collect::<HashMap<_, _>>();
        // Only who may see a pipeline hears about its runs.
        let everyone: Vec<i64> = creators.iter().copied().chain(by_name.values().map(|(id, _)| *id)).collect();
        let project_ids: Vec<i64> = events.iter().map(|e| e.project_id).collect();
        let roles = projects::member_roles(tx, &project_ids, &everyone).await?;
        let admins: HashSet<i64> = users::roles_of(tx, &everyone)
            .await?
            .into_iter()
            .filter(|(_, held)| held.iter().any(|r| r.name == ADMIN_ROLE))
            .map(|(user, _)| user)
            .collect();
        let sees = |event: &EventRow, user: i64| {
            let who = Who { user: UserId(user), admin: admins.contains(&user) };
            let row = Row::Pipeline {
                created_by: event.created_by.map(UserId),
                demo: event.is_demo,
                role: roles.get(&(event.project_id, user)).copied(),
            };
            decide(who, Act::See, row).allowed()
        };
        let mut made = 0;
        for event in &events {
            let Some(status) = RunStatus::parse(&event.status) else { continue };
            let wanted = event.alert_statuses.split(',').any(|s| s == status.as_str());
            if !wanted {
                continue;
            }
            let alert = alert_of(event, status, public_url);
            let mut receivers: Vec<(i64, Option<String>)> =
                event.created_by.map(|id| (id, emails.get(&id).cloned().flatten())).into_iter().collect();
            for name in event.alert_users.split(',').filter(|u| !u.is_empty()) {
                if let Some((id, email)) = by_name.get(name)
                    && !receivers.iter().any(|(r, _)| r == id)
                {
                    receivers.push((*id, email.clone()));
                }
            }
            receivers.retain(|(user, _)| sees(event, *user));
            let source = format!("run:{}:{}", event.run_pk, status.as_str());
            let mail_text = format!("{}\n\n{}", alert.body, alert.link);
            for (user, email) in receivers {
                let new = NewNotification {
                    user_id: user,
                    subject: &alert.subject,
                    body: &alert.body,
                    link: &alert.link,
                    source: &source,
                    created_at: now,
                };
                let Some(id) = rows::notify(tx, &new).await? else { continue };
                made += 1;
                if let (Some(_), Some(address)) = (&settings.smtp, email.filter(|e| !e.is_empty())) {
                    rows::deliver(tx, &planned(&source, &alert, Some(id), (Channel::Email, &address), &mail_text, now))
                        .await?;
                }
            }
            // The webhook hears of the alert once, whoever receives it.
            if let Some(hook) = &settings.webhook {
                let payload = serde_json::to_string(&alert.payload).unwrap_or_default();
                rows::deliver(tx, &planned(&source, &alert, None, (Channel::Webhook, &hook.url), &payload, now))
                    .await?;
            }
        }
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        rows::forget_events(tx, &ids).await?;
        tracing::debug!(notifications = made, events = ids.len(), "alerts made");
        Ok::<_, super::Error>(())
    })?;
    Ok(more)
}

/// When a delivery that failed `tries` times is tried next.
fn next_try(now: NaiveDateTime, retry: std::time::Duration, tries: i64) -> NaiveDateTime {
    let wait = retry.saturating_mul(1 << tries.clamp(0, 16)).min(std::time::Duration::from_secs(3600));
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

/// How long one pass may spend delivering: the rest waits for the next pass, so a channel
/// that is down never holds the job long.
const PASS_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);
/// How long one try may take, whole (lettre's own limit is per step of the exchange).
const TRY_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Tries the deliveries that are due; returns the errors of this pass.
pub async fn deliver(db: &Db, senders: &Senders) -> Result<Vec<String>> {
    let due = rows::due(&mut db.read().await?.tx(), db::now(), DELIVERIES_PER_PASS).await?;
    let started = std::time::Instant::now();
    let mut errors = Vec::new();
    for delivery in due {
        if started.elapsed() > PASS_BUDGET {
            break;
        }
        let attempt = async {
            match Channel::parse(&delivery.channel) {
                Some(Channel::Webhook) => senders.post(delivery.id, &delivery.text).await,
                Some(Channel::Email) => senders.mail(&delivery.target, &delivery.subject, &delivery.text).await,
                None => Err(Refusal::Permanent(format!("unknown channel {}", delivery.channel))),
            }
        };
        let sent = tokio::time::timeout(TRY_LIMIT, attempt)
            .await
            .unwrap_or_else(|_| Err(Refusal::Again(format!("no answer within {} s", TRY_LIMIT.as_secs()))));
        let now = db::now();
        let tries = delivery.attempts + 1;
        let settled = match &sent {
            Ok(()) => Settled { state: DeliveryState::Sent, error: "", next_at: now, sent_at: Some(now) },
            Err(refusal) => {
                errors.push(format!("delivery {}: {}", delivery.id, refusal.message()));
                let last = tries >= MAX_TRIES || matches!(refusal, Refusal::Permanent(_));
                let state = if last { DeliveryState::Failed } else { DeliveryState::Pending };
                let next_at = next_try(now, senders.settings().retry, tries - 1);
                Settled { state, error: refusal.message(), next_at, sent_at: None }
            }
        };
        let mut conn = db.write().await?;
        rows::settle(&mut conn.tx(), delivery.id, &settled).await?;
    }
    Ok(errors)
}
