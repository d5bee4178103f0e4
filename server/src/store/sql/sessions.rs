//! Server-side sessions: the cookie holds only a random id; the principal lives here. A session ends at its
//! absolute expiry, after an idle period without requests, or at sign-out.

use chrono::{DateTime, Duration, Utc};
use governance::ports::StoreError;
use sqlx::Row;

use super::{from_json, parse_ts, to_json, ts, unavailable, Store};
use crate::store::records::{NewSession, SessionRecord};

/// Last-seen times are written at most this often, so reading pages does not write on every request.
const TOUCH_EVERY: Duration = Duration::seconds(60);

impl Store {
    pub async fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, principal, created_at, expires_at, last_seen_at, id_token) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new.id)
        .bind(to_json(new.principal)?)
        .bind(ts(new.now))
        .bind(ts(new.expires_at))
        .bind(ts(new.now))
        .bind(new.id_token)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        // Expired sessions are swept whenever a new one starts.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(ts(new.now))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The live session `id`: not past its expiry, and seen within `idle` of `now` (which it is then again).
    pub async fn session(
        &self,
        id: &str,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT principal, expires_at, id_token, last_seen_at FROM sessions
             WHERE id = $1 AND expires_at > $2 AND last_seen_at > $3",
        )
        .bind(id)
        .bind(ts(now))
        .bind(ts(now - idle))
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let last_seen = parse_ts(row.get("last_seen_at"))?;
        if now - last_seen > TOUCH_EVERY {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(ts(now))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(unavailable)?;
        }
        Ok(Some(SessionRecord {
            principal: from_json(row.get::<&str, _>("principal"))?,
            expires_at: parse_ts(row.get("expires_at"))?,
            id_token: row.get("id_token"),
        }))
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&self.pool).await.map_err(unavailable)?;
        Ok(())
    }
}
