//! Alerts on run states: the alerts job turns the run events a pipeline alerts on (its alert
//! statuses) into a message in the inbox of each receiver (the pipeline's creator and its
//! alert users) and plans their deliveries (the webhook once per event, a mail per receiver
//! with an address), then tries the deliveries that are due. A failing channel is retried
//! with a growing wait and shown to administrators; it never holds a run.

use std::collections::{BTreeSet, HashMap};

use app::model::{Channel, DeliveryState, RunStatus, WebhookPayload};
use chrono::NaiveDateTime;

use super::Result;
use crate::alerts::Senders;
use crate::db::notifications::{self as rows, EventRow, NewNotification, Settled};
use crate::db::{self, Db, users};
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

/// Turns pending run events into notifications and deliveries; returns how many
/// notifications were made.
pub async fn notify(db: &Db, senders: &Senders, public_url: Option<&str>) -> Result<usize> {
    let events = rows::events(&mut db.read().await?.tx(), EVENTS_PER_PASS).await?;
    if events.is_empty() {
        return Ok(0);
    }
    let names: BTreeSet<String> =
        events.iter().flat_map(|e| e.alert_users.split(',').filter(|u| !u.is_empty()).map(str::to_owned)).collect();
    let settings = senders.settings().clone();
    let now = db::now();
    let mut conn = db.write().await?;
    let made = transaction!(&mut conn, |tx| {
        let names: Vec<String> = names.into_iter().collect();
        let by_name: HashMap<String, (i64, Option<String>)> =
            users::ids_and_emails(tx, &names).await?.into_iter().map(|(id, name, email)| (name, (id, email))).collect();
        let creators: Vec<i64> = events.iter().filter_map(|e| e.created_by).collect();
        let emails: HashMap<i64, Option<String>> =
            users::emails_of(tx, &creators).await?.into_iter().collect::<HashMap<_, _>>();
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
            let source = format!("run:{}:{}", event.run_pk, status.as_str());
            let mut first = None;
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
                first.get_or_insert(id);
                if let (Some(_), Some(address)) = (&settings.smtp, email.filter(|e| !e.is_empty())) {
                    rows::deliver(tx, id, Channel::Email, &address, "", now).await?;
                }
            }
            if let (Some(hook), Some(first)) = (&settings.webhook, first) {
                let payload = serde_json::to_string(&alert.payload).unwrap_or_default();
                rows::deliver(tx, first, Channel::Webhook, &hook.url, &payload, now).await?;
            }
        }
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        rows::forget_events(tx, &ids).await?;
        Ok::<_, super::Error>(made)
    })?;
    Ok(made)
}

/// When a delivery that failed `tries` times is tried next.
fn next_try(now: NaiveDateTime, retry: std::time::Duration, tries: i64) -> NaiveDateTime {
    let wait = retry.saturating_mul(1 << tries.clamp(0, 16)).min(std::time::Duration::from_secs(3600));
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

/// Tries the deliveries that are due; returns the errors of this pass.
pub async fn deliver(db: &Db, senders: &Senders) -> Result<Vec<String>> {
    let due = rows::due(&mut db.read().await?.tx(), db::now(), DELIVERIES_PER_PASS).await?;
    let mut errors = Vec::new();
    for (delivery, notification) in due {
        let sent = match Channel::parse(&delivery.channel) {
            Some(Channel::Webhook) => senders.post(delivery.id, &delivery.payload).await,
            Some(Channel::Email) => {
                let text = format!("{}\n\n{}", notification.body, notification.link);
                senders.mail(&delivery.target, &notification.subject, &text).await
            }
            None => Err(format!("unknown channel {}", delivery.channel)),
        };
        let now = db::now();
        let tries = delivery.attempts + 1;
        let settled = match &sent {
            Ok(()) => Settled { state: DeliveryState::Sent, error: "", next_at: now, sent_at: Some(now) },
            Err(e) => {
                errors.push(format!("delivery {}: {e}", delivery.id));
                let state = if tries >= MAX_TRIES { DeliveryState::Failed } else { DeliveryState::Pending };
                Settled { state, error: e, next_at: next_try(now, senders.settings().retry, tries - 1), sent_at: None }
            }
        };
        let mut conn = db.write().await?;
        rows::settle(&mut conn.tx(), delivery.id, &settled).await?;
    }
    Ok(errors)
}
