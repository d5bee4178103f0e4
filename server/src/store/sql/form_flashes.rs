//! Refused plain form posts' errors, kept for the page they return to (see `crate::form_flash`).

use chrono::{DateTime, Duration, Utc};
use governance::ports::StoreError;
use sqlx::Row;

use super::{ts, unavailable, Store};

/// How long a form's error waits for its page: the redirect is followed at once; a reload soon after shows
/// the same form again.
pub const FLASH_LIFETIME: Duration = Duration::minutes(10);
/// A session keeps at most this many (the newest): a client posting refused forms in a loop fills nothing.
const PER_SESSION: i64 = 16;

impl Store {
    /// Keeps a form's error for `session_id`; returns nothing, the caller chose the id.
    pub async fn keep_form_flash(
        &self,
        id: &str,
        session_id: &str,
        path: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO form_flashes (id, session_id, path, error, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(session_id)
            .bind(path)
            .bind(error)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query(
            "DELETE FROM form_flashes WHERE created_at < $1
             OR (session_id = $2 AND id NOT IN
                 (SELECT id FROM form_flashes WHERE session_id = $3 ORDER BY created_at DESC, id LIMIT $4))",
        )
        .bind(ts(now - FLASH_LIFETIME))
        .bind(session_id)
        .bind(session_id)
        .bind(PER_SESSION)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    /// The form error `id`, if `session_id` kept it and it has not expired: (server function path, error).
    pub async fn form_flash(
        &self,
        id: &str,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row =
            sqlx::query("SELECT path, error FROM form_flashes WHERE id = $1 AND session_id = $2 AND created_at >= $3")
                .bind(id)
                .bind(session_id)
                .bind(ts(now - FLASH_LIFETIME))
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(row.map(|r| (r.get("path"), r.get("error"))))
    }
}
