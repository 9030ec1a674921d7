//! Where alerts go besides the in-app inbox: a webhook (signed with HMAC-SHA256) and an
//! SMTP relay, and how soon a failed delivery is tried again.

use std::time::Duration;

/// The alert channels (`CUBIST_WEBHOOK_URL`, `CUBIST_WEBHOOK_SECRET`, `CUBIST_SMTP_URL`,
/// `CUBIST_SMTP_FROM`, `CUBIST_DELIVERY_RETRY_MS`).
#[derive(Clone, PartialEq, Eq)]
pub struct AlertSettings {
    pub webhook: Option<Webhook>,
    pub smtp: Option<Smtp>,
    /// The wait after a first failed try; it doubles with every further failure.
    pub retry: Duration,
}

/// A URL every alert is posted to, and the key its signature is made with.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret: String,
}

/// An SMTP relay (`smtp://host:port`, `smtps://…`, `?tls=required`) and the sender address.
#[derive(Clone, PartialEq, Eq)]
pub struct Smtp {
    pub url: String,
    pub from: String,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self { webhook: None, smtp: None, retry: Duration::from_secs(30) }
    }
}

impl std::fmt::Debug for AlertSettings {
    /// Never prints the webhook URL (it may hold a token), its secret or SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertSettings")
            .field("webhook", &self.webhook.as_ref().map(|_| "<set>"))
            .field("smtp", &self.smtp.as_ref().map(|s| s.from.as_str()))
            .field("retry", &self.retry)
            .finish()
    }
}

/// The raw values of the settings.
#[derive(Default)]
pub struct AlertVars {
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub retry_ms: Option<String>,
}

/// Reads the settings; `Err((variable, problem))` names what is wrong.
pub fn parse(vars: AlertVars) -> Result<AlertSettings, (&'static str, String)> {
    let mut settings = AlertSettings::default();
    if let Some(url) = vars.webhook_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(("CUBIST_WEBHOOK_URL", "must be an http:// or https:// URL".into()));
        }
        let secret = vars.webhook_secret.filter(|s| s.len() >= 16).ok_or((
            "CUBIST_WEBHOOK_SECRET",
            "must be set (16 characters or more) when CUBIST_WEBHOOK_URL is: receivers check the signature".into(),
        ))?;
        settings.webhook = Some(Webhook { url, secret });
    }
    if let Some(url) = vars.smtp_url {
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(("CUBIST_SMTP_URL", "must be an smtp:// or smtps:// URL".into()));
        }
        let from = vars
            .smtp_from
            .filter(|f| f.contains('@'))
            .ok_or(("CUBIST_SMTP_FROM", "must be a mail address when CUBIST_SMTP_URL is set".into()))?;
        settings.smtp = Some(Smtp { url, from });
    }
    if let Some(ms) = crate::scheduler::settings::number("CUBIST_DELIVERY_RETRY_MS", vars.retry_ms, 10..=3_600_000)? {
        settings.retry = Duration::from_millis(ms);
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_needs_a_secret_and_mail_a_sender() {
        let webhook = |secret: Option<&str>| AlertVars {
            webhook_url: Some("https://hooks.example.com/x".into()),
            webhook_secret: secret.map(str::to_owned),
            ..AlertVars::default()
        };
        assert_eq!(parse(webhook(None)).unwrap_err().0, "CUBIST_WEBHOOK_SECRET");
        assert_eq!(parse(webhook(Some("short"))).unwrap_err().0, "CUBIST_WEBHOOK_SECRET");
        assert!(parse(webhook(Some("0123456789abcdef"))).unwrap().webhook.is_some());
        let smtp = AlertVars { smtp_url: Some("smtp://127.0.0.1:2525".into()), ..AlertVars::default() };
        assert_eq!(parse(smtp).unwrap_err().0, "CUBIST_SMTP_FROM");
        let bad = AlertVars { webhook_url: Some("ftp://x".into()), ..AlertVars::default() };
        assert_eq!(parse(bad).unwrap_err().0, "CUBIST_WEBHOOK_URL");
        let shown = format!("{:?}", parse(webhook(Some("0123456789abcdef"))).unwrap());
        assert!(!shown.contains("hooks.example.com") && !shown.contains("0123456789abcdef"), "{shown}");
    }
}
