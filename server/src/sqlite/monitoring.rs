//! Monitoring series fed by the ingest API.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::monitoring::{MonitoringPush, MonitoringSeries, Point};
use governance::ports::{Effects, Monitoring, StoreError};
use governance::VersionId;
use sqlx::Row;

use super::{parse_ts, ts, unavailable, SqliteStore};

#[async_trait]
impl Monitoring for SqliteStore {
    async fn push(&self, version: &VersionId, push: MonitoringPush, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO monitoring_series (version, metric, endpoint, variant, threshold) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (version, metric, endpoint, variant) DO UPDATE SET threshold = COALESCE(excluded.threshold, threshold)",
        )
        .bind(version.as_str())
        .bind(&push.metric)
        .bind(&push.endpoint)
        .bind(&push.variant)
        .bind(push.threshold)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        for point in &push.points {
            // A point pushed again (a retried request) replaces the earlier value instead of doubling it.
            sqlx::query(
                "INSERT OR REPLACE INTO monitoring_points (version, metric, endpoint, variant, at, value) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(version.as_str())
            .bind(&push.metric)
            .bind(&push.endpoint)
            .bind(&push.variant)
            .bind(ts(point.at))
            .bind(point.value)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn series(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MonitoringSeries>, StoreError> {
        let series = sqlx::query(
            "SELECT metric, endpoint, variant, threshold FROM monitoring_series WHERE version = ? ORDER BY metric, endpoint, variant",
        )
        .bind(version.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let points = sqlx::query(
            "SELECT metric, endpoint, variant, at, value FROM monitoring_points WHERE version = ? AND at >= ? AND at <= ?
             ORDER BY metric, endpoint, variant, at",
        )
        .bind(version.as_str())
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let mut out: Vec<MonitoringSeries> = series
            .iter()
            .map(|row| MonitoringSeries {
                version: version.clone(),
                metric: row.get("metric"),
                endpoint: row.get("endpoint"),
                variant: row.get("variant"),
                threshold: row.get("threshold"),
                points: Vec::new(),
            })
            .collect();
        for row in &points {
            let key = (row.get::<&str, _>("metric"), row.get::<&str, _>("endpoint"), row.get::<&str, _>("variant"));
            if let Some(s) =
                out.iter_mut().find(|s| (s.metric.as_str(), s.endpoint.as_str(), s.variant.as_str()) == key)
            {
                s.points.push(Point { at: parse_ts(row.get("at"))?, value: row.get("value") });
            }
        }
        Ok(out)
    }
}
