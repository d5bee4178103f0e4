//! What operators watch, read from the database at each scrape (`crate::metrics`): every replica reads the
//! same rows, so the figures agree across the fleet.

use governance::ports::StoreError;
use sqlx::Row;

use super::{parse_ts, unavailable, SqliteStore};

/// One outbox target's state.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetFigures {
    pub target: String,
    pub pending: u64,
    /// Age of its oldest pending event, 0 when none is pending.
    pub oldest_pending_age_secs: f64,
    pub dead: u64,
    /// Attempts that did not deliver (every attempt but the one that did).
    pub failures: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperationsFigures {
    /// Committed decisions by (stage, verdict), embedded registry and SageMaker journal together.
    pub decisions: Vec<((String, String), u64)>,
    pub targets: Vec<TargetFigures>,
}

impl SqliteStore {
    pub async fn operations_figures(&self) -> Result<OperationsFigures, StoreError> {
        let decisions = sqlx::query(
            "SELECT stage, verdict, SUM(n) AS n FROM (
                 SELECT stage, verdict, COUNT(*) AS n FROM decisions GROUP BY stage, verdict
                 UNION ALL
                 SELECT json_extract(decision, '$.stage'), json_extract(decision, '$.verdict'), COUNT(*)
                 FROM journal_decisions GROUP BY 1, 2)
             GROUP BY stage, verdict ORDER BY stage, verdict",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?
        .iter()
        .map(|r| ((r.get::<String, _>("stage"), r.get::<String, _>("verdict")), r.get::<i64, _>("n") as u64))
        .collect();
        let rows = sqlx::query(
            "SELECT d.target,
                    SUM(d.state = 'Pending') AS pending,
                    SUM(d.state = 'Dead') AS dead,
                    SUM(d.attempts) - SUM(d.state = 'Delivered') AS failures,
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
