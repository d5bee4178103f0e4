//! Leases: work one replica at a time may do (the reconciler, the state-change queue's consumer). A lease is a
//! row held by one holder until it expires; the holder renews it while it works, and once it lapses (the
//! holder died) the next replica to ask takes it over.

use chrono::{DateTime, Utc};
use governance::ports::StoreError;

use super::{ts, unavailable, Store};

impl Store {
    /// Takes `name` for `holder` until `until`, or renews it when `holder` has it: true when `holder` now holds
    /// it, false while someone else's lease is unexpired. One statement, so two replicas asking at once cannot
    /// both win.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let taken = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(ts(until))
        .bind(ts(now))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(taken.rows_affected() == 1)
    }

    /// Ends `holder`'s lease on `name` (a clean stop), so another replica need not wait for it to expire.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
