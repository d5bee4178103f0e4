//! The system clock and id source.

use chrono::{DateTime, Utc};
use governance::ports::{Clock, IdSource};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Real time, rounded to what the database keeps, moved by the settings' [`ClockShift`] (zero but in tests).
pub struct SystemClock(pub ClockShift);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        crate::store::to_millis(Utc::now() + self.0.get())
    }
}

/// How far a test moved the portal's clock forward. Clones share it: a test keeps one and moves the time of
/// the portal it built.
#[derive(Clone, Default)]
pub struct ClockShift(Arc<AtomicI64>);

impl ClockShift {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.0.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    pub fn get(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.0.load(Ordering::SeqCst))
    }
}

impl std::fmt::Debug for ClockShift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClockShift({} ms)", self.get().num_milliseconds())
    }
}

impl PartialEq for ClockShift {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// Random ids: a prefix and 16 hex digits of a v4 UUID (collisions are not a practical concern at 64 bits
/// per prefix for this volume, and short ids read well in URLs).
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self, prefix: &str) -> String {
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        format!("{prefix}-{}", &uuid[..16])
    }
}
