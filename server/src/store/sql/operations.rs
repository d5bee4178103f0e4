//! What operators watch, read from the database at each scrape (`crate::metrics`): every replica reads the
//! same rows, so the figures agree across the fleet.

use governance::ports::StoreError;
use sqlx::Row;

use super::dialect::json_text;
use super::{parse_ts, unavailable, Store};
use crate::store::records::{OperationsFigures, TargetFigures};

impl Store {
    pub async fn operations_figures(&self) -> Result<OperationsFigures, StoreError> {
        let decisions = sqlx::query(&format!(
            "SELECT stage, verdict, CAST(SUM(n) AS BIGINT) AS n FROM (
                 SELECT stage, verdict, COUNT(*) AS n FROM decisions GROUP BY stage, verdict
                 UNION ALL
                 SELECT {stage}, {verdict}, COUNT(*) FROM journal_decisions GROUP BY 1, 2) AS all_decisions
             GROUP BY stage, verdict ORDER BY stage, verdict",
            stage = json_text("decision", "stage"),
            verdict = json_text("decision", "verdict"),
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?
        .iter()
        .map(|r| ((r.get::<String, _>("stage"), r.get::<String, _>("verdict")), r.get::<i64, _>("n") as u64))
        .collect();
        let rows = sqlx::query(
            "SELECT d.target,
                    CAST(SUM(CASE WHEN d.state = 'Pending' THEN 1 ELSE 0 END) AS BIGINT) AS pending,
                    CAST(SUM(CASE WHEN d.state = 'Dead' THEN 1 ELSE 0 END) AS BIGINT) AS dead,
                    CAST(SUM(d.attempts) - SUM(CASE WHEN d.state = 'Delivered' THEN 1 ELSE 0 END) AS BIGINT) AS failures,
                    MIN(CASE WHEN d.state = 'Pending' THEN e.time END) AS oldest
             FROM deliveries d JOIN events e ON e.id = d.event_id
             GROUP BY d.target ORDER BY d.target",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let now = chrono::Utc::now();
        let mut targets = Vec::with_capacity(rows.len());
        for r in rows {
            let oldest = match r.get::<Option<String>, _>("oldest") {
                Some(at) => parse_ts(&at)?,
                None => now,
            };
            targets.push(TargetFigures {
                target: r.get("target"),
                pending: r.get::<i64, _>("pending") as u64,
                oldest_pending_age_secs: (now - oldest).num_milliseconds().max(0) as f64 / 1000.0,
                dead: r.get::<i64, _>("dead") as u64,
                failures: r.get::<i64, _>("failures").max(0) as u64,
            });
        }
        Ok(OperationsFigures { decisions, targets })
    }

    /// This process's pool: (connections open, of which idle).
    pub fn pool_use(&self) -> (u32, u32) {
        (self.pool.size(), self.pool.num_idle() as u32)
    }
}
