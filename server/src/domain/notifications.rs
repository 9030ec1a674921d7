//! The in-app inbox of the signed-in user (messages, unread count, marking read) and, for
//! administrators, the deliveries of alerts over webhook and email with their state.

use app::domain::pagination::PageRequest;
use app::model::{Channel, Delivery, DeliveryState, Notification, Page, PageQuery, UnreadCount};

use super::{Error, Result};
use crate::auth::Identity;
use crate::db::notifications::{self as rows, NotificationRow};
use crate::db::{self, Db};

fn to_notification(row: NotificationRow) -> Notification {
    Notification {
        id: row.id,
        subject: row.subject,
        body: row.body,
        link: row.link,
        created_at: db::utc(row.created_at),
        read: row.read_at.is_some(),
    }
}

/// A page of the caller's inbox, newest first.
pub async fn inbox(db: &Db, caller: &Identity, query: PageQuery) -> Result<Page<Notification>> {
    let page = PageRequest::from_query(query)?;
    let (items, total) = rows::inbox(&mut db.read().await?.tx(), caller.user_id.0, page).await?;
    let items = items.into_iter().map(to_notification).collect();
    Ok(Page { items, total: u64::try_from(total).unwrap_or(0), page: page.page, page_size: page.page_size })
}

/// How many of the caller's messages are unread.
pub async fn unread(db: &Db, caller: &Identity) -> Result<UnreadCount> {
    let unread = rows::unread(&mut db.read().await?.tx(), caller.user_id.0).await?;
    Ok(UnreadCount { unread: u64::try_from(unread).unwrap_or(0) })
}

/// Marks one of the caller's messages read (404 for anyone else's).
pub async fn read(db: &Db, caller: &Identity, id: i64) -> Result<UnreadCount> {
    let mut conn = db.write().await?;
    let mut tx = conn.tx();
    let changed = rows::mark_read(&mut tx, caller.user_id.0, Some(id), db::now()).await?;
    if changed == 0 && !rows::owns(&mut tx, caller.user_id.0, id).await? {
        return Err(Error::NotFound("notification"));
    }
    drop(conn);
    unread(db, caller).await
}

/// Marks all of the caller's messages read.
pub async fn read_all(db: &Db, caller: &Identity) -> Result<UnreadCount> {
    let mut conn = db.write().await?;
    rows::mark_read(&mut conn.tx(), caller.user_id.0, None, db::now()).await?;
    drop(conn);
    unread(db, caller).await
}

/// The host of a webhook URL: what administrators see of it (the rest may hold a token).
fn host_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    host.rsplit('@').next().unwrap_or(host).to_owned()
}

/// A page of deliveries, newest first.
pub async fn deliveries(db: &Db, query: PageQuery) -> Result<Page<Delivery>> {
    let page = PageRequest::from_query(query)?;
    let (items, total) = rows::deliveries(&mut db.read().await?.tx(), page).await?;
    let items = items
        .into_iter()
        .map(|d| {
            let channel = Channel::parse(&d.channel).unwrap_or(Channel::Webhook);
            Delivery {
                id: d.id,
                target: if channel == Channel::Webhook { host_of(&d.target) } else { d.target },
                channel,
                subject: d.subject,
                state: DeliveryState::parse(&d.state).unwrap_or(DeliveryState::Pending),
                attempts: u32::try_from(d.attempts).unwrap_or(0),
                last_error: d.last_error,
                next_at: db::utc(d.next_at),
                sent_at: d.sent_at.map(db::utc),
            }
        })
        .collect();
    Ok(Page { items, total: u64::try_from(total).unwrap_or(0), page: page.page, page_size: page.page_size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_host_of_a_webhook_is_shown() {
        assert_eq!(host_of("https://hooks.slack.com/services/T0/B0/secret"), "hooks.slack.com");
        assert_eq!(host_of("http://user:token@127.0.0.1:8080/x?k=v"), "127.0.0.1:8080");
    }
}
