//! The outbox dispatcher: delivers every stored event to each target at least once, with retries and
//! exponential backoff, a delivery state per target and a dead-letter list. State lives in the database,
//! so a restart resumes where delivery stopped.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use governance::events::EventEnvelope;
use governance::ports::Delivery;
use governance::service::Service;

use portal_aws::EventBridgePublisher;

use crate::aws::EVENTBRIDGE;
use crate::settings::WebhookTarget;

/// How long one webhook post may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many deliveries a target's worker claims at a time: a claim held by a slow target delays only its own.
const CLAIM_BATCH: u32 = 10;
/// How long a claim lasts without being extended: one attempt's timeout and a margin.
const CLAIM_LEASE: Duration = Duration::from_secs(30);

fn claim_lease() -> chrono::Duration {
    chrono::Duration::from_std(CLAIM_LEASE).unwrap_or(chrono::Duration::seconds(30))
}

/// The name of the in-process consumer target.
pub const CONSUMER: &str = "portal-consumer";

/// Where events go.
pub enum Target {
    /// The portal's own consumer: central copies and deployment requests.
    Consumer(Service),
    /// An HTTP endpoint, signed per Standard Webhooks.
    Webhook { url: String, key: Vec<u8>, client: reqwest::Client },
    /// The central EventBridge bus: an event counts as delivered only once the bus accepted its entry.
    EventBridge(EventBridgePublisher),
    /// The notices of events, queued for the digests of the people who decide them.
    Digests(Service),
    /// The notices of events, posted to their projects' chat webhooks.
    Chat(crate::notify::Chat),
}

pub struct Dispatcher {
    /// The outbox is read and marked through the service, never through its port.
    service: Service,
    /// Who this dispatcher claims deliveries as: one per process, so replicas never attempt one delivery at once.
    holder: String,
    targets: BTreeMap<String, Target>,
    schedule: Schedule,
}

/// When deliveries are tried again: waits doubling from 1 s up to `max_backoff`, `max_attempts` in all, then
/// the dead-letter list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub max_attempts: u32,
    pub max_backoff: Duration,
}

impl Schedule {
    pub fn from_settings(settings: &crate::settings::Settings) -> Self {
        Self {
            max_attempts: settings.max_delivery_attempts,
            max_backoff: Duration::from_secs(settings.delivery_backoff_max_secs),
        }
    }

    /// The wait before attempt `attempts + 1`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        Duration::from_secs(1u64 << attempts.min(30)).min(self.max_backoff)
    }

    /// How long a target is retried before its events go to the dead-letter list.
    pub fn retried_for(&self) -> Duration {
        (1..self.max_attempts).map(|a| self.backoff(a)).sum()
    }
}

impl Dispatcher {
    pub fn new(
        service: &Service,
        webhooks: &[WebhookTarget],
        eventbridge: Option<EventBridgePublisher>,
        schedule: Schedule,
    ) -> anyhow::Result<Self> {
        let client =
            reqwest::Client::builder().timeout(ATTEMPT_TIMEOUT).connect_timeout(Duration::from_secs(5)).build()?;
        let mut targets = BTreeMap::new();
        targets.insert(CONSUMER.to_string(), Target::Consumer(service.clone()));
        for hook in webhooks {
            let key =
                crate::webhook::signing_key(&hook.secret).map_err(|e| anyhow::anyhow!("webhook {}: {e}", hook.name))?;
            targets.insert(hook.name.clone(), Target::Webhook { url: hook.url.clone(), key, client: client.clone() });
        }
        if let Some(publisher) = eventbridge {
            targets.insert(EVENTBRIDGE.to_string(), Target::EventBridge(publisher));
        }
        Ok(Self { service: service.clone(), holder: crate::replica::id().to_string(), targets, schedule })
    }

    /// Adds the notification targets the settings ask for (see [`crate::notify::target_names`]).
    pub fn with_notifications(mut self, settings: &crate::settings::Settings) -> anyhow::Result<Self> {
        if settings.smtp.is_some() {
            self.targets.insert(crate::notify::DIGESTS.to_string(), Target::Digests(self.service.clone()));
        }
        if !settings.chat_webhooks.is_empty() {
            let client =
                reqwest::Client::builder().timeout(ATTEMPT_TIMEOUT).connect_timeout(Duration::from_secs(5)).build()?;
            let webhooks = settings.chat_webhooks.iter().map(|(p, url)| (p.clone(), url.0.clone())).collect();
            let chat = crate::notify::Chat { webhooks, origin: crate::notify::link_origin(settings), client };
            self.targets.insert(crate::notify::CHAT.to_string(), Target::Chat(chat));
        }
        Ok(self)
    }

    /// The target names every event is queued for.
    pub fn target_names(webhooks: &[WebhookTarget], eventbridge: bool) -> Vec<String> {
        std::iter::once(CONSUMER.to_string())
            .chain(webhooks.iter().map(|w| w.name.clone()))
            .chain(eventbridge.then(|| EVENTBRIDGE.to_string()))
            .collect()
    }

    /// Delivers what is due now to every target, one after the other; returns how many deliveries were
    /// attempted. (`run` gives each target a worker of its own instead.)
    pub async fn tick(&self) -> usize {
        self.deliver_due(None, 100).await
    }

    /// Delivers what is due now to `target`, a few at a time.
    pub async fn tick_target(&self, target: &str) -> usize {
        self.deliver_due(Some(target), CLAIM_BATCH).await
    }

    async fn deliver_due(&self, target: Option<&str>, limit: u32) -> usize {
        let now = self.service.now();
        // Claimed for one attempt's time and a margin, and extended before each later attempt of the batch: if
        // this process dies, another replica takes its claims over within `CLAIM_LEASE`.
        let due = match self.service.due_deliveries(&self.holder, claim_lease(), target, limit).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "could not read due deliveries");
                return 0;
            }
        };
        let count = due.len();
        let mut extended = std::time::Instant::now();
        // The bus takes up to 10 events per call: its deliveries go together, each marked by its own entry.
        let (bus, others): (Vec<_>, Vec<_>) = due.into_iter().partition(|(d, _)| d.target == EVENTBRIDGE);
        if let (Some(Target::EventBridge(publisher)), false) = (self.targets.get(EVENTBRIDGE), bus.is_empty()) {
            let envelopes: Vec<EventEnvelope> = bus.iter().map(|(_, e)| e.clone()).collect();
            let results: BTreeMap<_, _> = publisher.publish(&envelopes).await.into_iter().collect();
            for (delivery, _) in &bus {
                let result = results.get(&delivery.event_id).cloned().unwrap_or_else(|| Err("not published".into()));
                self.record(delivery, result, now).await;
            }
        } else {
            for (delivery, envelope) in &bus {
                self.attempt(delivery, envelope, &mut extended).await;
            }
        }
        for (delivery, envelope) in others {
            self.attempt(&delivery, &envelope, &mut extended).await;
        }
        count
    }

    /// One delivery, signed and scheduled with the time it is made: after a slow receiver, a batch's later
    /// posts are not stale on arrival.
    async fn attempt(&self, delivery: &Delivery, envelope: &EventEnvelope, extended: &mut std::time::Instant) {
        // The batch's claims outlast this attempt too: extended once a third of the claim has gone (at most one
        // attempt's timeout later it still holds), not with a write before every post.
        if extended.elapsed() >= CLAIM_LEASE / 3 {
            if let Err(e) = self.service.extend_claims(&self.holder, claim_lease()).await {
                tracing::warn!(error = %e, "could not extend this replica's delivery claims");
            }
            *extended = std::time::Instant::now();
        }
        let now = self.service.now();
        let result = match self.targets.get(&delivery.target) {
            None => Err(format!("no target named {} in the settings", delivery.target)),
            Some(target) => deliver(target, envelope, now).await,
        };
        self.record(delivery, result, now).await;
    }

    /// Marks a delivery delivered, or failed with its next attempt (or dead when attempts are used up).
    async fn record(&self, delivery: &Delivery, result: Result<(), String>, now: DateTime<Utc>) {
        let outcome = match result {
            Ok(()) => self.service.delivered(&delivery.event_id, &delivery.target).await,
            Err(error) => {
                let attempts = delivery.attempts + 1;
                let next = (attempts < self.schedule.max_attempts).then(|| {
                    now + chrono::Duration::from_std(self.schedule.backoff(attempts))
                        .unwrap_or(chrono::Duration::seconds(300))
                });
                tracing::warn!(event = %delivery.event_id, target = %delivery.target, attempts, %error, dead = next.is_none(), "delivery failed");
                self.service.delivery_failed(&delivery.event_id, &delivery.target, &error, next).await
            }
        };
        if let Err(e) = outcome {
            // The delivery stays pending and is retried: at least once, never lost.
            tracing::error!(error = %e, "could not record a delivery outcome");
        }
    }

    /// Runs until `shutdown` resolves: a worker per target, so a slow or dead target (a webhook answering in
    /// 9 s) never delays another (the consumer that makes central copies).
    pub async fn run(self, interval: Duration, shutdown: tokio::sync::watch::Receiver<bool>) {
        let this = std::sync::Arc::new(self);
        let workers: Vec<_> = this
            .targets
            .keys()
            .cloned()
            .map(|target| {
                let (this, mut shutdown) = (this.clone(), shutdown.clone());
                tokio::spawn(async move {
                    loop {
                        // A shutdown does not wait for a slow target's backlog: the tick is dropped between (or
                        // in) attempts, and what it had not marked stays pending, to be sent after the restart
                        // (at least once, never lost; a receiver may see a post again and deduplicates on its id).
                        let attempted = tokio::select! {
                            n = this.tick_target(&target) => n,
                            _ = shutdown.changed() => return,
                        };
                        // Keep going while there is a backlog; otherwise wait for the next tick.
                        if attempted == 0 {
                            tokio::select! {
                                _ = tokio::time::sleep(interval) => {}
                                _ = shutdown.changed() => return,
                            }
                        }
                        if *shutdown.borrow() {
                            return;
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            if let Err(e) = worker.await {
                tracing::error!(error = %e, "a delivery worker stopped abnormally");
            }
        }
    }
}

async fn deliver(target: &Target, envelope: &EventEnvelope, now: DateTime<Utc>) -> Result<(), String> {
    match target {
        Target::Consumer(service) => service.handle_event(envelope).await.map_err(|e| e.to_string()),
        Target::Digests(service) => service.queue_notice(envelope).await.map(|_| ()).map_err(|e| e.to_string()),
        Target::Chat(chat) => chat.deliver(envelope).await,
        Target::Webhook { url, key, client } => {
            let body = serde_json::to_vec(envelope).map_err(|e| e.to_string())?;
            let timestamp = now.timestamp();
            let signature = crate::webhook::sign(key, envelope.id.as_str(), timestamp, &body)?;
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", envelope.id.as_str())
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await
                .map_err(|e| format!("could not reach {url}: {e}"))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!("{url} answered {}", response.status()))
            }
        }
        Target::EventBridge(publisher) => {
            let results = publisher.publish(std::slice::from_ref(envelope)).await;
            results.into_iter().next().map(|(_, r)| r).unwrap_or_else(|| Err("not published".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let schedule = Schedule { max_attempts: 10, max_backoff: Duration::from_secs(256) };
        assert_eq!(schedule.backoff(0), Duration::from_secs(1));
        assert_eq!(schedule.backoff(3), Duration::from_secs(8));
        assert_eq!(schedule.backoff(30), Duration::from_secs(256));
        // The defaults retry a target for longer than EventBridge's 24 hours.
        let defaults = Schedule::from_settings(&crate::settings::Settings::default());
        assert!(defaults.retried_for() >= Duration::from_secs(24 * 3600), "{:?}", defaults.retried_for());
    }
}
