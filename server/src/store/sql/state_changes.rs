//! SageMaker state-change events taken in, by EventBridge event id: AWS may deliver an event twice, and the
//! id is recorded in the same transaction as what the event caused, so a duplicate causes nothing.

use governance::ports::{Effects, StoreError};
use governance::VersionId;

use super::{ts, unavailable, Store};

impl Store {
    /// Records the event and its effects unless the event was taken in before; returns whether it was new.
    pub async fn record_state_change(
        &self,
        event_id: &str,
        version: &VersionId,
        at: chrono::DateTime<chrono::Utc>,
        effects: Effects,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO registry_state_changes (event_id, version, received_at) VALUES ($1, $2, $3)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(version.as_str())
        .bind(ts(at))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(true)
    }
}
