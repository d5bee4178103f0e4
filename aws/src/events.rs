//! Promotion events to the central EventBridge bus with `PutEvents`: batches of at most 10 entries, entries
//! the bus refused retried on their own, and an event reported delivered only once the bus accepted it (it
//! returned an event id for the entry). The dispatcher keeps anything not accepted pending, so nothing is lost.

use std::time::Duration;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use governance::events::EventEnvelope;
use governance::EventId;

use crate::error::store_error;

/// PutEvents takes at most 10 entries per call.
pub const BATCH: usize = 10;

/// The EventBridge publisher, a delivery target of the outbox dispatcher.
#[derive(Clone)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
    /// The `source` of every entry when set (the settings' `event_source`, which the bus's rules match);
    /// else the envelope's own.
    source: Option<String>,
    /// Tries per entry within one `publish` call; what is still refused after them stays pending.
    attempts: u32,
    pause: Duration,
}

/// The entry for an event. The bus gives the event an id of its own; the portal's id travels in the detail
/// (`portalEventId`) so consumers stay idempotent on it.
pub fn entry(bus: &str, source: Option<&str>, envelope: &EventEnvelope) -> PutEventsRequestEntry {
    let mut detail = envelope.detail.clone();
    if let Some(map) = detail.as_object_mut() {
        map.insert("portalEventId".into(), serde_json::Value::String(envelope.id.0.clone()));
    }
    PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(source.unwrap_or(&envelope.source))
        .detail_type(&envelope.detail_type)
        .detail(detail.to_string())
        .set_resources(Some(envelope.resources.clone()))
        .time(aws_smithy_types::DateTime::from_millis(envelope.time.timestamp_millis()))
        .build()
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: String) -> Self {
        Self { client, bus, source: None, attempts: 3, pause: Duration::from_millis(200) }
    }

    /// Publishes every event with this `source` (what the rules on the bus match), whatever its envelope says.
    pub fn with_source(mut self, source: String) -> Self {
        self.source = Some(source);
        self
    }

    /// Publishes the events; returns for each whether the bus accepted it (or why not).
    #[tracing::instrument(skip(self, events), fields(bus = %self.bus, count = events.len()))]
    pub async fn publish(&self, events: &[EventEnvelope]) -> Vec<(EventId, Result<(), String>)> {
        let mut results = Vec::with_capacity(events.len());
        for batch in events.chunks(BATCH) {
            results.extend(self.publish_batch(batch).await);
        }
        results
    }

    async fn publish_batch(&self, batch: &[EventEnvelope]) -> Vec<(EventId, Result<(), String>)> {
        let mut outcome: Vec<Result<(), String>> = vec![Err("not sent".into()); batch.len()];
        let mut todo: Vec<usize> = (0..batch.len()).collect();
        for attempt in 0..self.attempts {
            if todo.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(self.pause * 2u32.pow(attempt - 1)).await;
            }
            let entries = todo.iter().map(|&i| entry(&self.bus, self.source.as_deref(), &batch[i])).collect::<Vec<_>>();
            let answer = self.client.put_events().set_entries(Some(entries)).send().await;
            let out = match answer {
                Ok(out) => out,
                Err(e) => {
                    let error = store_error("events:PutEvents", &self.bus, e).to_string();
                    for &i in &todo {
                        outcome[i] = Err(error.clone());
                    }
                    continue;
                }
            };
            let results = out.entries();
            let mut again = Vec::new();
            for (n, &i) in todo.iter().enumerate() {
                // The answer lists the entries in request order; a missing or failed one is not accepted.
                match results.get(n) {
                    Some(r) if r.event_id().is_some() && r.error_code().is_none() => outcome[i] = Ok(()),
                    Some(r) => {
                        outcome[i] = Err(format!(
                            "the bus refused the event: {} {}",
                            r.error_code().unwrap_or("unknown"),
                            r.error_message().unwrap_or_default()
                        ));
                        again.push(i);
                    }
                    None => {
                        outcome[i] = Err("the bus answered without an entry for the event".into());
                        again.push(i);
                    }
                }
            }
            todo = again;
        }
        batch.iter().map(|e| e.id.clone()).zip(outcome).collect()
    }
}
