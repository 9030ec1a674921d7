//! Notifications: the in-app inbox of `/api/v1/me/notifications` and, for administrators,
//! the deliveries of `/api/v1/notification-deliveries` (webhook and email).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One message of a user's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub subject: String,
    pub body: String,
    /// Where it points (a run page), absolute when the public URL is configured.
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// How many inbox messages are unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread: u64,
}

/// How a notification leaves the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A signed POST to the configured URL.
    Webhook,
    /// Mail over the configured SMTP relay.
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(Self::Webhook),
            "email" => Some(Self::Email),
            _ => None,
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not sent yet, or tried and waiting for the next try.
    Pending,
    Sent,
    /// Given up after the last try; `last_error` says why.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "sent" => Some(Self::Sent),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One delivery of a notification over a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    pub channel: Channel,
    /// The mail address, or the webhook's host (its URL may hold a token).
    pub target: String,
    pub subject: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_error: String,
    pub next_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The body of a webhook call (signed: `X-Cubist-Signature: sha256=<hex HMAC of the body>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPayload {
    /// `run.<status>`.
    pub event: String,
    pub run_id: String,
    pub pipeline_id: i64,
    pub pipeline: String,
    pub status: super::RunStatus,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub at: DateTime<Utc>,
}
