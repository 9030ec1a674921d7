-- Alerts. Every change of a run's status leaves an event in the same transaction (an
-- outbox); the alerts job turns the events a pipeline alerts on into notifications (the
-- in-app inbox of each receiver) and deliveries (webhook, email), retried until sent.
CREATE TABLE run_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_pk BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    UNIQUE (user_id, source)
);
CREATE INDEX notifications_inbox ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- One delivery per channel, target and alert (`source`: `run:<pk>:<status>`): a mail per
-- receiver (linked to their message), the webhook once. `text` is the mail's body or the
-- webhook's JSON.
CREATE TABLE notification_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BIGINT REFERENCES notifications (id) ON DELETE SET NULL,
    source TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    subject TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at TIMESTAMP NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (channel, target, source)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (state, next_at);
CREATE INDEX notification_deliveries_notification ON notification_deliveries (notification_id);
CREATE INDEX notification_deliveries_created ON notification_deliveries (created_at);
CREATE INDEX run_events_run ON run_events (run_pk);
