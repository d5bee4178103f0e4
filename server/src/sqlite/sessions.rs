//! Server-side sessions: the cookie holds only a random id; the principal lives here.

use chrono::{DateTime, Utc};
use governance::ports::StoreError;
use governance::Principal;
use sqlx::Row;

use super::{from_json, parse_ts, to_json, ts, unavailable, SqliteStore};

/// A stored session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub principal: Principal,
    pub expires_at: DateTime<Utc>,
}

impl SqliteStore {
    pub async fn create_session(
        &self,
        id: &str,
        principal: &Principal,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (id, principal, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(to_json(principal)?)
            .bind(ts(now))
            .bind(ts(expires_at))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        // Expired sessions are swept whenever a new one starts.
        sqlx::query("DELETE FROM sessions WHERE expires_at < ?")
            .bind(ts(now))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub async fn session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query("SELECT principal, expires_at FROM sessions WHERE id = ? AND expires_at > ?")
            .bind(id)
            .bind(ts(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|row| {
            Ok(SessionRecord {
                principal: from_json(row.get::<&str, _>("principal"))?,
                expires_at: parse_ts(row.get("expires_at"))?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id = ?").bind(id).execute(&self.pool).await.map_err(unavailable)?;
        Ok(())
    }
}
