//! Sending alerts out: a webhook call signed with HMAC-SHA256 over its body, or a mail over
//! SMTP (lettre). One try at a time with a time limit, so a channel that hangs never holds
//! the scheduler; the caller records the outcome and plans the next try.

pub mod settings;

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

pub use settings::AlertSettings;

/// How long one try may take.
const TRY_LIMIT: Duration = Duration::from_secs(10);

/// The header carrying the body's signature: `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Cubist-Signature";
/// The header naming the delivery (receivers drop repeats of one they already have).
pub const DELIVERY_HEADER: &str = "X-Cubist-Delivery";

/// The signature of `body` with `secret`: hex of HMAC-SHA256.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Why a try failed: worth trying again (the receiver is down, busy or slow) or not (it
/// refused the message itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Again(String),
    Permanent(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Self::Again(m) | Self::Permanent(m) => m,
        }
    }
}

/// The ways out, made once.
#[derive(Clone)]
pub struct Senders {
    settings: AlertSettings,
    http: Option<reqwest::Client>,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Senders {
    /// Prepares the channels; an SMTP URL lettre cannot read leaves mail off, with a warning.
    pub fn new(settings: AlertSettings) -> Self {
        let smtp = settings.smtp.as_ref().and_then(|smtp| {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url)
                .inspect_err(|e| tracing::warn!(error = %e, "CUBIST_SMTP_URL cannot be used: no mail is sent"))
                .ok()
                .map(|b| b.timeout(Some(TRY_LIMIT)).build())
        });
        let http = reqwest::Client::builder()
            .timeout(TRY_LIMIT)
            .build()
            .inspect_err(|e| tracing::warn!(error = %e, "no HTTP client for the webhook"))
            .ok();
        Self { settings, http, smtp }
    }

    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    /// Posts `body` (JSON) to the webhook.
    pub async fn post(&self, delivery: i64, body: &str) -> Result<(), Refusal> {
        let (Some(hook), Some(http)) = (&self.settings.webhook, &self.http) else {
            return Err(Refusal::Permanent("no webhook is configured any more".into()));
        };
        let signed = format!("sha256={}", signature(&hook.secret, body.as_bytes()));
        let sent = http
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signed)
            .header(DELIVERY_HEADER, delivery.to_string())
            .body(body.to_owned())
            .send()
            .await
            // Without the URL: it may hold a token.
            .map_err(|e| Refusal::Again(format!("the webhook did not answer: {}", e.without_url())))?;
        let status = sent.status();
        let answer = format!("the webhook answered {status}");
        match status.as_u16() {
            200..=299 => Ok(()),
            408 | 429 => Err(Refusal::Again(answer)),
            400..=499 => Err(Refusal::Permanent(answer)),
            _ => Err(Refusal::Again(answer)),
        }
    }

    /// Mails `subject` and `text` to `to`.
    pub async fn mail(&self, to: &str, subject: &str, text: &str) -> Result<(), Refusal> {
        let (Some(transport), Some(smtp)) = (&self.smtp, &self.settings.smtp) else {
            return Err(Refusal::Permanent("no SMTP relay is configured any more".into()));
        };
        let bad = |what: String| Refusal::Permanent(what);
        let from = smtp.from.parse().map_err(|e| bad(format!("the sender address is not valid: {e}")))?;
        let to = to.parse().map_err(|e| bad(format!("the address {to} is not valid: {e}")))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_owned())
            .map_err(|e| bad(format!("the mail cannot be made: {e}")))?;
        transport.send(message).await.map(drop).map_err(|e| {
            let message = format!("the SMTP relay refused the mail: {e}");
            if e.is_permanent() { Refusal::Permanent(message) } else { Refusal::Again(message) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
