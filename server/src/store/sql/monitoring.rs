//! Monitoring series fed by the ingest API.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::monitoring::{MonitoringPush, MonitoringSeries, Point, SeriesOverview};

use super::monitoring_overview::refresh_hours;
use governance::ports::{Effects, Monitoring, StoreError};
use governance::VersionId;
use sqlx::Row;

use super::{parse_ts, ts, unavailable, Store};

#[async_trait]
impl Monitoring for Store {
    async fn push(&self, version: &VersionId, push: MonitoringPush, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let before: Option<Option<f64>> = sqlx::query_scalar(
            "SELECT threshold FROM monitoring_series WHERE version = $1 AND metric = $2 AND endpoint = $3 AND variant = $4",
        )
        .bind(version.as_str())
        .bind(&push.metric)
        .bind(&push.endpoint)
        .bind(&push.variant)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        sqlx::query(
            "INSERT INTO monitoring_series (version, metric, endpoint, variant, threshold) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (version, metric, endpoint, variant) DO UPDATE SET threshold = COALESCE(excluded.threshold, monitoring_series.threshold)",
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
                "INSERT INTO monitoring_points (version, metric, endpoint, variant, at, at_ms, value)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (version, metric, endpoint, variant, at) DO UPDATE SET at_ms = excluded.at_ms,
                     value = excluded.value",
            )
            .bind(version.as_str())
            .bind(&push.metric)
            .bind(&push.endpoint)
            .bind(&push.variant)
            .bind(ts(point.at))
            .bind(point.at.timestamp_millis())
            .bind(point.value)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        // The hourly roll-up of the hours this push touched; all of them when the threshold changed, since
        // the roll-up counts breaches.
        let threshold_changed = push.threshold.is_some() && before.flatten() != push.threshold;
        let times = push.points.iter().map(|p| p.at.timestamp_millis());
        let (lo, hi) = match (times.clone().min(), times.max()) {
            (Some(lo), Some(hi)) if !threshold_changed => (lo, hi),
            _ => (i64::MIN / 2, i64::MAX / 2),
        };
        refresh_hours(&mut tx, version, &push.metric, &push.endpoint, &push.variant, lo, hi).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn overview(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        slices: u32,
    ) -> Result<Vec<SeriesOverview>, StoreError> {
        let mut out = Vec::new();
        for series in self.series_list(version).await? {
            out.push(self.series_overview(series, from.timestamp_millis(), to.timestamp_millis(), slices).await?);
        }
        Ok(out)
    }

    async fn series(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MonitoringSeries>, StoreError> {
        let mut out = self.series_list(version).await?;
        let points = sqlx::query(
            "SELECT metric, endpoint, variant, at, value FROM monitoring_points WHERE version = $1 AND at >= $2 AND at <= $3
             ORDER BY metric, endpoint, variant, at",
        )
        .bind(version.as_str())
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
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

pub(super) fn from_ms_to_time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Unavailable(format!("bad time {ms} in the database")))
}

impl Store {
    /// The series of a version (no points).
    pub(super) async fn series_list(&self, version: &VersionId) -> Result<Vec<MonitoringSeries>, StoreError> {
        let rows = sqlx::query(
            "SELECT metric, endpoint, variant, threshold FROM monitoring_series WHERE version = $1 ORDER BY metric, endpoint, variant",
        )
        .bind(version.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .iter()
            .map(|row| MonitoringSeries {
                version: version.clone(),
                metric: row.get("metric"),
                endpoint: row.get("endpoint"),
                variant: row.get("variant"),
                threshold: row.get("threshold"),
                points: Vec::new(),
            })
            .collect())
    }
}
