//! Telling people what awaits them, never on a request path. Two outbox targets take every event: `digests`
//! queues its notice for the digests of the people who decide it, `chat` posts it to its project's chat webhook
//! (Slack-compatible JSON); both are retried and dead-lettered like any delivery. The mailer then sends each
//! person at most one digest per interval through SMTP, marking it sent only once the server took it.

use std::collections::BTreeMap;
use std::time::Duration;

use governance::events::EventEnvelope;
use governance::notification::{chat_message, digest, notice_for};
use governance::service::Service;
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::settings::{Settings, SmtpSettings};

/// The outbox target that queues notices for digests.
pub const DIGESTS: &str = "digests";
/// The outbox target that posts notices to the projects' chat webhooks.
pub const CHAT: &str = "chat";

/// How many digests one mailer round sends at most.
const DIGEST_BATCH: u32 = 10;
/// Mailing attempts before a person's digest is dead (kept; tried again when a new notice comes).
const MAX_MAIL_ATTEMPTS: u32 = 8;

/// The notification targets the settings ask for, as outbox target names.
pub fn target_names(settings: &Settings) -> Vec<String> {
    let mut names = Vec::new();
    if settings.smtp.is_some() {
        names.push(DIGESTS.to_string());
    }
    if !settings.chat_webhooks.is_empty() {
        names.push(CHAT.to_string());
    }
    names
}

/// Where links in messages point: the portal's public origin.
pub fn link_origin(settings: &Settings) -> String {
    settings.allowed_origin().unwrap_or_else(|| format!("http://{}", settings.addr))
}

/// The chat webhooks and the client that posts to them.
pub struct Chat {
    pub webhooks: BTreeMap<String, String>,
    pub origin: String,
    pub client: reqwest::Client,
}

impl Chat {
    /// Posts the event's notice to its project's webhook; an event that awaits nobody, or a project without a
    /// webhook, is delivered as it is (nothing to post).
    pub async fn deliver(&self, envelope: &EventEnvelope) -> Result<(), String> {
        let Some(notice) = notice_for(envelope) else { return Ok(()) };
        let Some(url) = self.webhooks.get(notice.project.as_str()) else { return Ok(()) };
        let response = self
            .client
            .post(url)
            .json(&chat_message(&notice, &self.origin))
            .send()
            .await
            // The URL is a secret (it carries the hook's token): the error names the project, not the URL.
            .map_err(|e| format!("could not reach the chat webhook of {}: {}", notice.project, e.without_url()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the chat webhook of {} answered {}", notice.project, response.status()))
        }
    }
}

/// The SMTP transport of the settings.
fn transport(smtp: &SmtpSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match smtp.security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
    };
    let mut builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(20)));
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
    }
    Ok(builder.build())
}

/// Sends the digests that are due.
pub struct Mailer {
    service: Service,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender: Mailbox,
    interval: chrono::Duration,
    origin: String,
    /// One replica mails at a time: two would send the same digest twice.
    lease: Option<crate::lease::Lease>,
}

impl Mailer {
    pub fn new(service: &Service, smtp: &SmtpSettings, origin: String) -> anyhow::Result<Mailer> {
        Ok(Mailer {
            service: service.clone(),
            transport: transport(smtp)?,
            sender: smtp.sender.parse().map_err(|e| anyhow::anyhow!("smtp.sender: {e}"))?,
            interval: chrono::Duration::minutes(i64::try_from(smtp.digest_interval_minutes).unwrap_or(60)),
            origin,
            lease: None,
        })
    }

    pub fn with_lease(mut self, lease: crate::lease::Lease) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Mails every digest due now; returns how many went out.
    pub async fn tick(&self) -> usize {
        let due = match self.service.due_digests(self.interval, DIGEST_BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "could not read the digests due");
                return 0;
            }
        };
        let mut sent = 0;
        for d in due {
            let subject = &d.recipient.subject;
            let events: Vec<_> = d.notices.iter().map(|n| n.event.clone()).collect();
            let outcome = match self.message(&d.recipient, &d.notices) {
                Ok(message) => self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            let recorded = match outcome {
                Ok(()) => {
                    sent += 1;
                    self.service.digest_sent(subject, &events).await
                }
                Err(error) => {
                    let attempts = d.attempts + 1;
                    let next = (attempts < MAX_MAIL_ATTEMPTS)
                        .then(|| self.service.now() + chrono::Duration::seconds(30i64 << attempts.min(10)));
                    tracing::warn!(%subject, attempts, %error, dead = next.is_none(), "a digest could not be mailed");
                    self.service.digest_failed(subject, &error, next).await
                }
            };
            if let Err(e) = recorded {
                // Mailed again at the next round (at least once): a digest is never lost.
                tracing::error!(error = %e, %subject, "could not record a digest's outcome");
            }
        }
        sent
    }

    fn message(
        &self,
        recipient: &governance::notification::Recipient,
        notices: &[governance::notification::Notice],
    ) -> Result<Message, String> {
        let to: Mailbox = recipient
            .email
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| format!("the address of {} is not one: {e}", recipient.subject))?;
        let (subject, body) = digest(recipient, notices, &self.origin);
        Message::builder()
            .from(self.sender.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }

    /// Mails digests every `every` until `stopped`.
    pub async fn run(self, every: Duration, mut stopped: tokio::sync::watch::Receiver<bool>) {
        loop {
            let held = match &self.lease {
                Some(lease) => lease.take().await,
                None => true,
            };
            if held {
                self.tick().await;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopped.changed() => return,
            }
        }
    }
}
