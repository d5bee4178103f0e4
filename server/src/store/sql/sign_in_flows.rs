//! OIDC sign-ins in flight: what the callback must check (state, nonce) and prove (the PKCE verifier).
//! Each is used once: taking it deletes it, so a replayed callback finds nothing.

use chrono::{DateTime, Duration, Utc};
use governance::ports::StoreError;
use sqlx::Row;

use super::{ts, unavailable, Store};
use crate::store::records::SignInFlow;

impl Store {
    pub async fn save_sign_in_flow(&self, id: &str, flow: &SignInFlow, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_in_flows (id, state, nonce, pkce_verifier, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(&flow.state)
        .bind(&flow.nonce)
        .bind(&flow.pkce_verifier)
        .bind(ts(now))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        // Abandoned sign-ins are swept whenever a new one starts.
        sqlx::query("DELETE FROM sign_in_flows WHERE created_at < $1")
            .bind(ts(now - Duration::hours(1)))
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Takes (reads and deletes) the flow `id` if it started within `max_age` of `now`.
    pub async fn take_sign_in_flow(
        &self,
        id: &str,
        now: DateTime<Utc>,
        max_age: Duration,
    ) -> Result<Option<SignInFlow>, StoreError> {
        let row =
            sqlx::query("DELETE FROM sign_in_flows WHERE id = $1 RETURNING state, nonce, pkce_verifier, created_at")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(row.filter(|row| row.get::<&str, _>("created_at") > ts(now - max_age).as_str()).map(|row| SignInFlow {
            state: row.get("state"),
            nonce: row.get("nonce"),
            pkce_verifier: row.get("pkce_verifier"),
        }))
    }
}
