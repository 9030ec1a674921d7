//! Queries on `run_events` (the outbox of run status changes), `notifications` (each user's
//! inbox) and `notification_deliveries` (webhook and email, retried until sent).

use app::domain::pagination::PageRequest;
use app::model::DeliveryState;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{notification_deliveries, notifications, pipelines, run_events, runs};
use super::{DbError, Tx};
use crate::with_tx;

/// Records that a run's status became `status` (in the transaction that set it).
pub async fn run_event(tx: &mut Tx<'_>, run_pk: i64, status: &str, at: NaiveDateTime) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(run_events::table)
        .values((run_events::run_pk.eq(run_pk), run_events::status.eq(status), run_events::at.eq(at)))
        .execute(c)
        .await)?;
    Ok(())
}

/// An event with what an alert needs of its run and pipeline.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub run_pk: i64,
    pub status: String,
    pub at: NaiveDateTime,
    pub run_id: String,
    pub message: String,
    pub runner_id: Option<i64>,
    pub pipeline_id: i64,
    pub pipeline: String,
    pub alert_statuses: String,
    pub alert_users: String,
    pub created_by: Option<i64>,
    pub project_id: i64,
    pub is_demo: bool,
}

/// The oldest `limit` events.
pub async fn events(tx: &mut Tx<'_>, limit: i64) -> Result<Vec<EventRow>, DbError> {
    Ok(with_tx!(tx, |c| run_events::table
        .inner_join(runs::table.inner_join(pipelines::table))
        .order(run_events::id)
        .limit(limit)
        .select((
            run_events::id,
            run_events::run_pk,
            run_events::status,
            run_events::at,
            runs::run_id,
            runs::message,
            runs::runner_id,
            pipelines::id,
            pipelines::name,
            pipelines::alert_statuses,
            pipelines::alert_users,
            pipelines::created_by,
            pipelines::project_id,
            pipelines::is_demo,
        ))
        .load(c)
        .await)?)
}

/// Forgets handled events.
pub async fn forget_events(tx: &mut Tx<'_>, ids: &[i64]) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::delete(run_events::table.filter(run_events::id.eq_any(ids))).execute(c).await)?;
    Ok(())
}

/// A new inbox message.
#[derive(Debug, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotification<'a> {
    pub user_id: i64,
    pub subject: &'a str,
    pub body: &'a str,
    pub link: &'a str,
    /// What it is about, once per user (`run:<pk>:<status>`).
    pub source: &'a str,
    pub created_at: NaiveDateTime,
}

/// Adds the message unless the user has one from the same source; its id when added.
pub async fn notify(tx: &mut Tx<'_>, new: &NewNotification<'_>) -> Result<Option<i64>, DbError> {
    Ok(with_tx!(tx, |c| diesel::insert_into(notifications::table)
        .values(new)
        .on_conflict((notifications::user_id, notifications::source))
        .do_nothing()
        .returning(notifications::id)
        .get_result(c)
        .await
        .optional())?)
}

/// A delivery to plan.
#[derive(Debug, Insertable)]
#[diesel(table_name = notification_deliveries)]
pub struct NewDelivery<'a> {
    /// The receiver's message (mail), none for the webhook.
    pub notification_id: Option<i64>,
    /// What it is about (`run:<pk>:<status>`): once per channel and target.
    pub source: &'a str,
    pub channel: &'a str,
    pub target: &'a str,
    pub subject: &'a str,
    /// The mail's body, or the webhook's JSON.
    pub text: &'a str,
    pub state: &'a str,
    pub next_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Plans a delivery unless the same one is planned already.
pub async fn deliver(tx: &mut Tx<'_>, new: &NewDelivery<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::insert_into(notification_deliveries::table)
        .values(new)
        .on_conflict((
            notification_deliveries::channel,
            notification_deliveries::target,
            notification_deliveries::source
        ))
        .do_nothing()
        .execute(c)
        .await)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub source: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub notification_id: Option<i64>,
    pub source: String,
    pub channel: String,
    pub target: String,
    pub subject: String,
    pub text: String,
    pub state: String,
    pub attempts: i64,
    pub next_at: NaiveDateTime,
    pub last_error: String,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Pending deliveries due by `now`, oldest first.
pub async fn due(tx: &mut Tx<'_>, now: NaiveDateTime, limit: i64) -> Result<Vec<DeliveryRow>, DbError> {
    Ok(with_tx!(tx, |c| notification_deliveries::table
        .filter(notification_deliveries::state.eq(DeliveryState::Pending.as_str()))
        .filter(notification_deliveries::next_at.le(now))
        .order(notification_deliveries::next_at)
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(c)
        .await)?)
}

/// What one try of a delivery left.
pub struct Settled<'a> {
    pub state: DeliveryState,
    pub error: &'a str,
    pub next_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Records a try of a pending delivery.
pub async fn settle(tx: &mut Tx<'_>, id: i64, settled: &Settled<'_>) -> Result<(), DbError> {
    with_tx!(tx, |c| diesel::update(
        notification_deliveries::table
            .filter(notification_deliveries::id.eq(id))
            .filter(notification_deliveries::state.eq(DeliveryState::Pending.as_str()))
    )
    .set((
        notification_deliveries::state.eq(settled.state.as_str()),
        notification_deliveries::attempts.eq(notification_deliveries::attempts + 1),
        notification_deliveries::last_error.eq(settled.error),
        notification_deliveries::next_at.eq(settled.next_at),
        notification_deliveries::sent_at.eq(settled.sent_at),
    ))
    .execute(c)
    .await)?;
    Ok(())
}

/// A page of deliveries, newest first, and how many there are.
pub async fn deliveries(tx: &mut Tx<'_>, page: PageRequest) -> Result<(Vec<DeliveryRow>, i64), DbError> {
    let total = with_tx!(tx, |c| notification_deliveries::table.count().get_result(c).await)?;
    let items = with_tx!(tx, |c| notification_deliveries::table
        .order(notification_deliveries::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(DeliveryRow::as_select())
        .load(c)
        .await)?;
    Ok((items, total))
}

/// A page of the user's inbox, newest first, and how many messages it holds.
pub async fn inbox(tx: &mut Tx<'_>, user: i64, page: PageRequest) -> Result<(Vec<NotificationRow>, i64), DbError> {
    let mine = notifications::table.filter(notifications::user_id.eq(user));
    let total = with_tx!(tx, |c| mine.count().get_result(c).await)?;
    let items = with_tx!(tx, |c| mine
        .order(notifications::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(NotificationRow::as_select())
        .load(c)
        .await)?;
    Ok((items, total))
}

/// How many of the user's messages are unread.
pub async fn unread(tx: &mut Tx<'_>, user: i64) -> Result<i64, DbError> {
    Ok(with_tx!(tx, |c| notifications::table
        .filter(notifications::user_id.eq(user))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(c)
        .await)?)
}

/// Whether message `id` is the user's.
pub async fn owns(tx: &mut Tx<'_>, user: i64, id: i64) -> Result<bool, DbError> {
    let found: i64 = with_tx!(tx, |c| notifications::table
        .filter(notifications::user_id.eq(user))
        .filter(notifications::id.eq(id))
        .count()
        .get_result(c)
        .await)?;
    Ok(found > 0)
}

/// Marks the user's message `id` (or, with `None`, all of them) read; how many changed.
pub async fn mark_read(tx: &mut Tx<'_>, user: i64, id: Option<i64>, now: NaiveDateTime) -> Result<usize, DbError> {
    let mine = notifications::table.filter(notifications::user_id.eq(user)).filter(notifications::read_at.is_null());
    Ok(match id {
        Some(id) => with_tx!(tx, |c| diesel::update(mine.filter(notifications::id.eq(id)))
            .set(notifications::read_at.eq(now))
            .execute(c)
            .await)?,
        None => with_tx!(tx, |c| diesel::update(mine).set(notifications::read_at.eq(now)).execute(c).await)?,
    })
}
