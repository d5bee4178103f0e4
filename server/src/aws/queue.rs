//! The consumer of SageMaker's state-change events on an SQS queue (`aws.state_change_queue_url`): each message
//! is handed to the same intake as the webhook's, and deleted only once its event was recorded, recognised as a
//! duplicate or the portal's own change, or found to be nothing the portal can ever take in (not JSON, not a
//! state change, an unknown package: logged and dropped, so it is not redelivered forever). A message whose
//! event could not be recorded now (the portal database failed) stays on the queue: SQS hands it out again
//! after the visibility timeout, and the queue's redrive policy moves it to a dead-letter queue after
//! `maxReceiveCount` tries (docs/aws.md).

use std::time::Duration;

use governance::ports::StoreError;
use portal_aws::{QueueMessage, StateChangeQueue};

use super::state_change::{IntakeError, Outcome, StateChangeIntake};

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Its event was taken in (recorded, or nothing to record): deleted.
    Taken(Outcome),
    /// It can never be taken in: logged and deleted.
    Dropped(String),
    /// Its event could not be taken in now: left on the queue for redelivery.
    Kept(String),
}

impl Handled {
    /// Whether the message is deleted from the queue.
    pub fn deletes(&self) -> bool {
        !matches!(self, Handled::Kept(_))
    }
}

/// What one poll of the queue did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Polled {
    pub received: usize,
    /// Outside changes recorded.
    pub recorded: usize,
    /// Duplicates, the portal's own changes and unknown packages: deleted, nothing recorded.
    pub ignored: usize,
    /// Malformed messages and events that are no state change: logged and deleted.
    pub dropped: usize,
    /// Left on the queue after a transient failure (or a failed delete).
    pub kept: usize,
}

/// What to do with a message, from what taking its body in gave (a plain function, unit-tested).
pub fn handled(taken: Result<Outcome, IntakeError>) -> Handled {
    match taken {
        Ok(outcome) => Handled::Taken(outcome),
        Err(IntakeError::Invalid(e)) => Handled::Dropped(e.to_string()),
        Err(IntakeError::Store(e)) => Handled::Kept(e.to_string()),
        Err(IntakeError::Service(e)) => Handled::Kept(e.to_string()),
    }
}

/// Reads the queue and takes each event in; see the module documentation.
pub struct StateChangeConsumer {
    queue: StateChangeQueue,
    intake: StateChangeIntake,
    /// The pause after a failed `ReceiveMessage` before the next one (SQS unreachable, access denied).
    pause: Duration,
    /// One replica reads the queue at a time (renewed at every poll); the others wait to take over.
    lease: Option<crate::lease::Lease>,
}

impl StateChangeConsumer {
    pub fn new(queue: StateChangeQueue, intake: StateChangeIntake) -> Self {
        Self { queue, intake, pause: Duration::from_secs(5), lease: None }
    }

    /// Reads the queue only while holding `lease`.
    pub fn with_lease(mut self, lease: crate::lease::Lease) -> Self {
        self.lease = Some(lease);
        self
    }

    /// A shorter long poll (tests, so an empty queue answers at once).
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.queue = self.queue.with_wait(wait);
        self
    }

    /// Takes one message's event in (it is not deleted here).
    pub async fn take_in(&self, message: &QueueMessage) -> Handled {
        let handled = match serde_json::from_str::<serde_json::Value>(&message.body) {
            Err(e) => Handled::Dropped(format!("the message body is not JSON: {e}")),
            Ok(event) => handled(self.intake.take_in(&event).await),
        };
        let (id, count) = (&message.message_id, message.receive_count);
        match &handled {
            Handled::Taken(outcome) => {
                tracing::debug!(message = %id, ?outcome, "state-change message taken in")
            }
            Handled::Dropped(why) => {
                tracing::warn!(message = %id, receive_count = count, reason = %why, "state-change message dropped: it can never be taken in")
            }
            Handled::Kept(why) => {
                tracing::warn!(message = %id, receive_count = count, error = %why, "state-change message left on the queue for redelivery")
            }
        }
        handled
    }

    /// One long poll: receives up to 10 messages, takes each in and deletes what was dealt with.
    ///
    /// # Errors
    /// `Unavailable` when the queue cannot be read; nothing was received then.
    pub async fn poll_once(&self) -> Result<Polled, StoreError> {
        let messages = self.queue.receive().await?;
        Ok(self.take_all(&messages).await)
    }

    async fn take_all(&self, messages: &[QueueMessage]) -> Polled {
        let mut polled = Polled { received: messages.len(), ..Polled::default() };
        for message in messages {
            let handled = self.take_in(message).await;
            if handled.deletes() {
                if let Err(e) = self.queue.delete(message).await {
                    // It comes back after the visibility timeout; taking it in again records nothing twice.
                    tracing::warn!(message = %message.message_id, error = %e, "could not delete a state-change message");
                    polled.kept += 1;
                    continue;
                }
            }
            match handled {
                Handled::Taken(Outcome::Recorded(_)) => polled.recorded += 1,
                Handled::Taken(_) => polled.ignored += 1,
                Handled::Dropped(_) => polled.dropped += 1,
                Handled::Kept(_) => polled.kept += 1,
            }
        }
        polled
    }

    /// Polls until `shutdown` resolves. Only the wait for messages is cut short: a batch received is finished
    /// (its messages taken in and deleted) before the consumer stops.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(queue = self.queue.url(), "reading SageMaker state-change events from the queue");
        loop {
            if *shutdown.borrow() {
                if let Some(lease) = &self.lease {
                    lease.release().await;
                }
                return;
            }
            if let Some(lease) = &self.lease {
                if !lease.take().await {
                    // Another replica reads the queue; try again before its lease could lapse.
                    tokio::select! {
                        _ = tokio::time::sleep(self.pause) => {}
                        _ = shutdown.changed() => return,
                    }
                    continue;
                }
            }
            // A long poll abandoned here may have been answered already: its messages stay invisible until the
            // visibility timeout and are then delivered again, so nothing is lost.
            let received = tokio::select! {
                received = self.queue.receive() => received,
                _ = shutdown.changed() => return,
            };
            match received {
                Ok(messages) if messages.is_empty() => {}
                Ok(messages) => {
                    let polled = self.take_all(&messages).await;
                    tracing::info!(?polled, "state-change messages taken from the queue");
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not read the state-change queue");
                    tokio::select! {
                        _ = tokio::time::sleep(self.pause) => {}
                        _ = shutdown.changed() => return,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_aws::registry::state_change::StateChangeError;

    #[test]
    fn only_a_transient_failure_leaves_a_message_on_the_queue() {
        assert!(handled(Ok(Outcome::Duplicate)).deletes());
        assert!(handled(Ok(Outcome::UnknownPackage)).deletes());
        assert!(handled(Err(IntakeError::Invalid(StateChangeError::Missing("id")))).deletes());
        let kept = handled(Err(IntakeError::Store(StoreError::Unavailable("database is locked".into()))));
        assert!(matches!(&kept, Handled::Kept(why) if why.contains("database is locked")), "{kept:?}");
        assert!(!kept.deletes());
    }
}
