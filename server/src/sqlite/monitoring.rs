//! Monitoring series fed by the ingest API.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::monitoring::{MonitoringPush, MonitoringSeries, Point, SeriesOverview};
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
                "INSERT OR REPLACE INTO monitoring_points (version, metric, endpoint, variant, at, at_ms, value)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn series(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MonitoringSeries>, StoreError> {
        let mut out = self.series_list(version).await?;
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

    /// One range scan per series on (series, at_ms): per time slice the count, the breaches, the lowest and
    /// highest value; the lowest is placed at the slice's first time and the highest at its last (a slice is
    /// a few pixels wide), and the series' latest point is read exactly.
    async fn overview(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        slices: u32,
    ) -> Result<Vec<SeriesOverview>, StoreError> {
        let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
        let width = ((to_ms - from_ms) / i64::from(slices.max(1))).max(1);
        let series = self.series_list(version).await?;
        let mut out = Vec::with_capacity(series.len());
        for mut s in series {
            let rows = sqlx::query(
                "SELECT (at_ms - ?) / ? AS slice, COUNT(*) AS n,
                        SUM(CASE WHEN ? IS NOT NULL AND value > ? THEN 1 ELSE 0 END) AS over,
                        MIN(value) AS lo, MAX(value) AS hi, MIN(at_ms) AS first_ms, MAX(at_ms) AS last_ms
                 FROM monitoring_points
                 WHERE version = ? AND metric = ? AND endpoint = ? AND variant = ? AND at_ms >= ? AND at_ms <= ?
                 GROUP BY slice ORDER BY slice",
            )
            .bind(from_ms)
            .bind(width)
            .bind(s.threshold)
            .bind(s.threshold)
            .bind(version.as_str())
            .bind(&s.metric)
            .bind(&s.endpoint)
            .bind(&s.variant)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
            let (mut points, mut breaches) = (0u64, 0u64);
            for row in &rows {
                points += row.get::<i64, _>("n") as u64;
                breaches += row.get::<i64, _>("over") as u64;
                let (lo, hi): (f64, f64) = (row.get("lo"), row.get("hi"));
                s.points.push(Point { at: from_ms_to_time(row.get("first_ms"))?, value: lo });
                if hi != lo {
                    s.points.push(Point { at: from_ms_to_time(row.get("last_ms"))?, value: hi });
                }
            }
            let latest = sqlx::query(
                "SELECT at_ms, value FROM monitoring_points
                 WHERE version = ? AND metric = ? AND endpoint = ? AND variant = ? AND at_ms >= ? AND at_ms <= ?
                 ORDER BY at_ms DESC LIMIT 1",
            )
            .bind(version.as_str())
            .bind(&s.metric)
            .bind(&s.endpoint)
            .bind(&s.variant)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
            if let Some(row) = latest {
                let last = Point { at: from_ms_to_time(row.get("at_ms"))?, value: row.get("value") };
                if s.points.last() != Some(&last) {
                    s.points.retain(|p| p.at < last.at);
                    s.points.push(last);
                }
            }
            out.push(SeriesOverview { series: s, points, breaches });
        }
        Ok(out)
    }
}

fn from_ms_to_time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Unavailable(format!("bad time {ms} in the database")))
}

impl SqliteStore {
    /// The series of a version (no points).
    async fn series_list(&self, version: &VersionId) -> Result<Vec<MonitoringSeries>, StoreError> {
        let rows = sqlx::query(
            "SELECT metric, endpoint, variant, threshold FROM monitoring_series WHERE version = ? ORDER BY metric, endpoint, variant",
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
