//! A monitoring chart's data, aggregated where it is stored. Every push keeps an hourly roll-up per series
//! (count, breaches, lowest and highest value, first and last time); a long range (a week, a month) reads the
//! roll-up rows of its whole hours and the raw points of its two partial hours only, a short range (an hour,
//! a day) scans the covering index of the points. Either way the chart gets, per time slice, the lowest point
//! placed at the slice's first time and the highest at its last (a slice is a few pixels wide), plus the
//! exact counts and the exact latest point.

use governance::monitoring::{MonitoringSeries, Point, SeriesOverview};
use governance::ports::StoreError;
use governance::VersionId;
use sqlx::{Row, Transaction};

use super::monitoring::from_ms_to_time;
use super::{unavailable, Db, DbRow, Store};

const HOUR_MS: i64 = 3_600_000;
/// Ranges longer than this read the hourly roll-up.
const ROLL_UP_FROM_MS: i64 = 2 * 24 * HOUR_MS;

/// One aggregated stretch of a series.
#[derive(Debug, Clone, Copy)]
struct Slice {
    n: i64,
    over: i64,
    lo: f64,
    hi: f64,
    first_ms: i64,
    last_ms: i64,
}

impl Slice {
    fn from_row(row: &DbRow) -> Slice {
        Slice {
            n: row.get("n"),
            over: row.get("over"),
            lo: row.get("lo"),
            hi: row.get("hi"),
            first_ms: row.get("first_ms"),
            last_ms: row.get("last_ms"),
        }
    }

    fn merge(self, other: Slice) -> Slice {
        Slice {
            n: self.n + other.n,
            over: self.over + other.over,
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
            first_ms: self.first_ms.min(other.first_ms),
            last_ms: self.last_ms.max(other.last_ms),
        }
    }
}

/// Recomputes the roll-up rows of the hours of `[from_ms, to_ms]` from the points, in the push's transaction.
pub(super) async fn refresh_hours(
    tx: &mut Transaction<'_, Db>,
    version: &VersionId,
    metric: &str,
    endpoint: &str,
    variant: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<(), StoreError> {
    let (first_hour, last_hour) = (from_ms.div_euclid(HOUR_MS) * HOUR_MS, to_ms.div_euclid(HOUR_MS) * HOUR_MS);
    sqlx::query(
        "DELETE FROM monitoring_hourly
         WHERE version = $1 AND metric = $2 AND endpoint = $3 AND variant = $4 AND hour_ms >= $5 AND hour_ms <= $6",
    )
    .bind(version.as_str())
    .bind(metric)
    .bind(endpoint)
    .bind(variant)
    .bind(first_hour)
    .bind(last_hour)
    .execute(&mut **tx)
    .await
    .map_err(unavailable)?;
    sqlx::query(
        "INSERT INTO monitoring_hourly
         SELECT $1, $2, $3, $4, (p.at_ms / 3600000) * 3600000, COUNT(*),
                SUM(CASE WHEN s.threshold IS NOT NULL AND p.value > s.threshold THEN 1 ELSE 0 END),
                MIN(p.value), MAX(p.value), MIN(p.at_ms), MAX(p.at_ms)
         FROM monitoring_points p JOIN monitoring_series s USING (version, metric, endpoint, variant)
         WHERE p.version = $1 AND p.metric = $2 AND p.endpoint = $3 AND p.variant = $4
           AND p.at_ms >= $5 AND p.at_ms < $6
         GROUP BY p.at_ms / 3600000",
    )
    .bind(version.as_str())
    .bind(metric)
    .bind(endpoint)
    .bind(variant)
    .bind(first_hour)
    .bind(last_hour.saturating_add(HOUR_MS))
    .execute(&mut **tx)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// Binds a series' key and a time range `[from_ms, to_ms]` (in that order) to the rest of `query`: every
/// statement here ends with `version = ? AND metric = ? AND endpoint = ? AND variant = ?` and the range.
fn bind_series<'q>(
    query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    s: &'q MonitoringSeries,
    from_ms: i64,
    to_ms: i64,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>> {
    query.bind(s.version.as_str()).bind(&s.metric).bind(&s.endpoint).bind(&s.variant).bind(from_ms).bind(to_ms)
}

impl Store {
    /// Raw points of `[from_ms, to_ms]` aggregated into slices of `width` milliseconds.
    async fn raw_slices(
        &self,
        s: &MonitoringSeries,
        from_ms: i64,
        to_ms: i64,
        width: i64,
    ) -> Result<Vec<Slice>, StoreError> {
        let query = sqlx::query(
            "SELECT (at_ms - $1) / $2 AS slice, COUNT(*) AS n,
                    SUM(CASE WHEN $3 IS NOT NULL AND value > $4 THEN 1 ELSE 0 END) AS over,
                    MIN(value) AS lo, MAX(value) AS hi, MIN(at_ms) AS first_ms, MAX(at_ms) AS last_ms
             FROM monitoring_points
             WHERE version = $5 AND metric = $6 AND endpoint = $7 AND variant = $8 AND at_ms >= $9 AND at_ms <= $10
             GROUP BY slice ORDER BY slice",
        )
        .bind(from_ms)
        .bind(width.max(1))
        .bind(s.threshold)
        .bind(s.threshold);
        let query = bind_series(query, s, from_ms, to_ms);
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        Ok(rows.iter().map(Slice::from_row).collect())
    }

    /// The roll-up rows of the whole hours in `[from_ms, to_ms)`.
    async fn hourly_slices(&self, s: &MonitoringSeries, from_ms: i64, to_ms: i64) -> Result<Vec<Slice>, StoreError> {
        let query = sqlx::query(
            "SELECT n, over, lo, hi, first_ms, last_ms FROM monitoring_hourly
             WHERE version = $1 AND metric = $2 AND endpoint = $3 AND variant = $4 AND hour_ms >= $5 AND hour_ms < $6
             ORDER BY hour_ms",
        );
        let query = bind_series(query, s, from_ms, to_ms);
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        Ok(rows.iter().map(Slice::from_row).collect())
    }

    async fn latest(&self, s: &MonitoringSeries, from_ms: i64, to_ms: i64) -> Result<Option<Point>, StoreError> {
        let query = sqlx::query(
            "SELECT at_ms, value FROM monitoring_points
             WHERE version = $1 AND metric = $2 AND endpoint = $3 AND variant = $4 AND at_ms >= $5 AND at_ms <= $6
             ORDER BY at_ms DESC LIMIT 1",
        );
        let query = bind_series(query, s, from_ms, to_ms);
        let row = query.fetch_optional(&self.pool).await.map_err(unavailable)?;
        row.map(|r| Ok(Point { at: from_ms_to_time(r.get("at_ms"))?, value: r.get("value") })).transpose()
    }

    pub(super) async fn series_overview(
        &self,
        mut s: MonitoringSeries,
        from_ms: i64,
        to_ms: i64,
        slices: u32,
    ) -> Result<SeriesOverview, StoreError> {
        let slices = i64::from(slices.max(1));
        let parts = if to_ms - from_ms > ROLL_UP_FROM_MS {
            // Whole hours from the roll-up; the partial hours at both ends from the points.
            let first_whole = (from_ms + HOUR_MS - 1).div_euclid(HOUR_MS) * HOUR_MS;
            let last_whole = to_ms.div_euclid(HOUR_MS) * HOUR_MS;
            let mut parts = self.raw_slices(&s, from_ms, first_whole - 1, HOUR_MS).await?;
            let hours = self.hourly_slices(&s, first_whole, last_whole).await?;
            let per_slice = hours.len().div_ceil(slices as usize).max(1);
            parts.extend(hours.chunks(per_slice).filter_map(|c| c.iter().copied().reduce(Slice::merge)));
            parts.extend(self.raw_slices(&s, last_whole, to_ms, HOUR_MS).await?);
            parts
        } else {
            self.raw_slices(&s, from_ms, to_ms, (to_ms - from_ms) / slices).await?
        };
        let (mut points, mut breaches) = (0u64, 0u64);
        for part in &parts {
            points += part.n as u64;
            breaches += part.over as u64;
            s.points.push(Point { at: from_ms_to_time(part.first_ms)?, value: part.lo });
            if part.hi != part.lo {
                s.points.push(Point { at: from_ms_to_time(part.last_ms)?, value: part.hi });
            }
        }
        if let Some(last) = self.latest(&s, from_ms, to_ms).await? {
            if s.points.last() != Some(&last) {
                s.points.retain(|p| p.at < last.at);
                s.points.push(last);
            }
        }
        Ok(SeriesOverview { series: s, points, breaches })
    }
}
