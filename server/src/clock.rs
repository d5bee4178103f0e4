//! The system clock and id source.

use chrono::{DateTime, Utc};
use governance::ports::{Clock, IdSource};

/// Real time, rounded to what the database keeps.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        crate::store::to_millis(Utc::now())
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
