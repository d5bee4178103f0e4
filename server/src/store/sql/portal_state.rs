//! Facts about the database itself (table `portal_state`).

use governance::ports::StoreError;

use super::{dialect, unavailable, Store};

impl Store {
    /// The read generation: equal values mean nothing a cached view shows has changed (`dialect`).
    pub async fn read_generation(&self) -> Result<String, StoreError> {
        sqlx::query_scalar(dialect::READ_GENERATION)
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)
    }

    pub async fn portal_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM portal_state WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)
    }

    pub async fn set_portal_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO portal_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
