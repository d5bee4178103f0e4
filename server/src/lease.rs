//! Work one replica at a time may do (the reconciler's passes, reading the state-change queue), under a lease
//! in the database: held while the work runs, renewed at a third of its length, taken over by another replica
//! once its holder has died and it lapsed.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;

use crate::store::Store;

#[derive(Clone)]
pub struct Lease {
    store: Store,
    name: &'static str,
    holder: String,
    length: Duration,
}

impl Lease {
    /// `name`'s lease as this process (`crate::replica::id`), `length` long at each renewal.
    pub fn new(store: Store, name: &'static str, length: Duration) -> Self {
        Self { store, name, holder: crate::replica::id().to_string(), length }
    }

    /// The same lease held as `holder` instead (tests that play several replicas in one process).
    pub fn as_holder(mut self, holder: impl Into<String>) -> Self {
        self.holder = holder.into();
        self
    }

    /// Takes or renews it: whether this process holds it now. A database that cannot answer holds nothing.
    pub async fn take(&self) -> bool {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(self.length).unwrap_or(chrono::Duration::minutes(1));
        match self.store.take_lease(self.name, &self.holder, now, until).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(lease = self.name, error = %e, "could not take or renew a lease; not holding it");
                false
            }
        }
    }

    /// Gives it back, so another replica need not wait for it to lapse.
    pub async fn release(&self) {
        if let Err(e) = self.store.release_lease(self.name, &self.holder).await {
            tracing::warn!(lease = self.name, error = %e, "could not release a lease; it lapses by itself");
        }
    }

    /// Runs `work` only while holding the lease: `None` when another replica holds it. The lease is renewed
    /// while `work` runs; if a renewal fails (the database went away, or this process stalled past the lease
    /// and another replica took it over), `work` is dropped where it stands, so two replicas never run it at
    /// once for longer than that renewal's wait. Released when `work` ends.
    pub async fn exclusively<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        if !self.take().await {
            return None;
        }
        tokio::pin!(work);
        let mut renew = tokio::time::interval(self.length / 3);
        renew.tick().await;
        loop {
            tokio::select! {
                out = &mut work => {
                    self.release().await;
                    return Some(out);
                }
                _ = renew.tick() => {
                    if !self.take().await {
                        tracing::error!(lease = self.name, holder = %self.holder, "lost a lease while working; stopped");
                        return None;
                    }
                }
            }
        }
    }
}
