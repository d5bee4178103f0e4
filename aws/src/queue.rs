//! SageMaker's state-change events read from an SQS queue that an EventBridge rule targets: each message body is
//! the event's JSON, as EventBridge delivers it to an SQS target. Long polling (20 s, up to 10 messages per call)
//! keeps an idle portal at three calls a minute. A message is deleted only when the caller says so (after its
//! event was recorded); one left on the queue comes back after the queue's visibility timeout, and the queue's
//! redrive policy moves one that keeps coming back to a dead-letter queue (docs/aws.md).

use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use aws_sdk_sqs::Client;
use governance::ports::StoreError;

use crate::error::store_error;

/// The longest long poll SQS allows, and the most messages one `ReceiveMessage` returns.
pub const LONG_POLL: Duration = Duration::from_secs(20);
pub const MAX_MESSAGES: i32 = 10;

/// One message taken off the queue (invisible to other readers until deleted or its visibility timeout ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    /// The EventBridge event JSON (not parsed here: a malformed body is the caller's to report and drop).
    pub body: String,
    pub receipt_handle: String,
    /// How often SQS handed this message out, this time included (1 on the first delivery).
    pub receive_count: u32,
}

/// The queue SageMaker's state-change events arrive on.
#[derive(Clone)]
pub struct StateChangeQueue {
    client: Client,
    url: String,
    wait: Duration,
}

impl StateChangeQueue {
    pub fn new(client: Client, url: String) -> Self {
        Self { client, url, wait: LONG_POLL }
    }

    /// A shorter long poll (tests, so an empty queue answers at once); capped at SQS's 20 s.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait.min(LONG_POLL);
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits up to the long poll for messages; an empty answer means the queue stayed empty meanwhile.
    ///
    /// # Errors
    /// `Unavailable` when SQS cannot be reached or refuses (e.g. the role lacks `sqs:ReceiveMessage`).
    #[tracing::instrument(skip(self), fields(queue = %self.url))]
    pub async fn receive(&self) -> Result<Vec<QueueMessage>, StoreError> {
        let wait = i32::try_from(self.wait.as_secs()).unwrap_or(20);
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(MAX_MESSAGES)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| store_error("sqs:ReceiveMessage", &self.url, e))?;
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| {
                // Without a receipt handle a message cannot be deleted: leave it to the visibility timeout.
                let receipt_handle = m.receipt_handle()?.to_string();
                let receive_count = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                Some(QueueMessage {
                    message_id: m.message_id().unwrap_or_default().to_string(),
                    body: m.body().unwrap_or_default().to_string(),
                    receipt_handle,
                    receive_count,
                })
            })
            .collect())
    }

    /// Deletes a message that was dealt with, so it is never delivered again.
    ///
    /// # Errors
    /// `Unavailable` when SQS cannot be reached or refuses; the message then comes back after its visibility
    /// timeout, and taking its event in again records nothing (the portal is idempotent on the event id).
    pub async fn delete(&self, message: &QueueMessage) -> Result<(), StoreError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(&message.receipt_handle)
            .send()
            .await
            .map_err(|e| store_error("sqs:DeleteMessage", &self.url, e))?;
        Ok(())
    }
}
