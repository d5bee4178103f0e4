//! Monitoring series of a deployed version: latency, errors, drift, with their thresholds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{FieldError, VersionId};

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// A metric of one endpoint variant over time, e.g. `ModelLatency p99` of `churn-prod/champion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringSeries {
    pub version: VersionId,
    pub metric: String,
    pub endpoint: String,
    pub variant: String,
    /// The alarm threshold: a value above it is a breach.
    pub threshold: Option<f64>,
    pub points: Vec<Point>,
}

impl MonitoringSeries {
    /// Points above the threshold.
    pub fn breaches(&self) -> impl Iterator<Item = &Point> {
        let threshold = self.threshold;
        self.points.iter().filter(move |p| threshold.is_some_and(|t| p.value > t))
    }
}

/// A series at a chart's resolution, with the counts of the points it stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesOverview {
    /// A few hundred points that draw the same picture (see [`downsample`]); the last point is the latest.
    pub series: MonitoringSeries,
    /// Points in the range, and how many of them are above the threshold.
    pub points: u64,
    pub breaches: u64,
}

impl SeriesOverview {
    /// The overview of a whole series held in memory.
    pub fn of(mut series: MonitoringSeries, slices: usize) -> SeriesOverview {
        let (points, breaches) = (series.points.len() as u64, series.breaches().count() as u64);
        series.points = downsample(&series.points, slices);
        SeriesOverview { series, points, breaches }
    }
}

/// The time window a monitoring chart shows, ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TimeRange {
    Hour,
    Day,
    #[default]
    Week,
    Month,
}

impl TimeRange {
    pub const ALL: [TimeRange; 4] = [TimeRange::Hour, TimeRange::Day, TimeRange::Week, TimeRange::Month];

    /// The range's name in a URL (`?range=24h`).
    pub fn as_str(self) -> &'static str {
        match self {
            TimeRange::Hour => "1h",
            TimeRange::Day => "24h",
            TimeRange::Week => "7d",
            TimeRange::Month => "30d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimeRange::Hour => "Last hour",
            TimeRange::Day => "Last 24 hours",
            TimeRange::Week => "Last 7 days",
            TimeRange::Month => "Last 30 days",
        }
    }

    pub fn parse(s: &str) -> Option<TimeRange> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn duration(self) -> chrono::Duration {
        match self {
            TimeRange::Hour => chrono::Duration::hours(1),
            TimeRange::Day => chrono::Duration::hours(24),
            TimeRange::Week => chrono::Duration::days(7),
            TimeRange::Month => chrono::Duration::days(30),
        }
    }
}

/// At most `2 * buckets` points that draw the same picture: the lowest and highest point of each of
/// `buckets` equal slices of the series, in time order. Peaks survive, so a breach is never averaged away;
/// a page with 20,000 points sends a few hundred.
pub fn downsample(points: &[Point], buckets: usize) -> Vec<Point> {
    if buckets == 0 || points.len() <= 2 * buckets {
        return points.to_vec();
    }
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets);
    for slice in points.chunks(size) {
        let by_value = |a: &&Point, b: &&Point| a.value.total_cmp(&b.value);
        let (Some(lo), Some(hi)) = (slice.iter().min_by(by_value), slice.iter().max_by(by_value)) else { continue };
        if lo.at <= hi.at {
            out.push(*lo);
            if hi != lo {
                out.push(*hi);
            }
        } else {
            out.push(*hi);
            out.push(*lo);
        }
    }
    // The last point is what the page reports as the latest value.
    if let Some(last) = points.last() {
        if out.last() != Some(last) {
            out.push(*last);
        }
    }
    out
}

/// Points pushed by a monitor, before they are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringPush {
    pub metric: String,
    pub endpoint: String,
    #[serde(default = "default_variant")]
    pub variant: String,
    #[serde(default)]
    pub threshold: Option<f64>,
    pub points: Vec<Point>,
}

fn default_variant() -> String {
    "AllTraffic".to_string()
}

impl MonitoringPush {
    pub fn validate(&self) -> Result<(), FieldError> {
        for (field, value) in [("metric", &self.metric), ("endpoint", &self.endpoint), ("variant", &self.variant)] {
            crate::error::text_field(field, value, true, 256)?;
        }
        if self.points.is_empty() || self.points.len() > 10_000 {
            return Err(FieldError::new("points", "must hold 1 to 10000 points"));
        }
        if self.points.iter().any(|p| !p.value.is_finite()) {
            return Err(FieldError::new("points", "values must be finite numbers"));
        }
        if self.threshold.is_some_and(|t| !t.is_finite()) {
            return Err(FieldError::new("threshold", "must be a finite number"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn series(values: &[f64]) -> Vec<Point> {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point { at: start + chrono::Duration::seconds(i as i64), value: *v })
            .collect()
    }

    #[test]
    fn downsampling_keeps_every_peak_and_the_time_order() {
        let mut values: Vec<f64> = (0..20_000).map(|i| (i % 100) as f64 / 100.0).collect();
        values[12_345] = 9.0; // one spike above any threshold
        let points = series(&values);
        let small = downsample(&points, 200);
        assert!(small.len() <= 401, "{} points", small.len());
        assert_eq!(small.last(), points.last(), "the latest point is kept");
        assert!(small.iter().any(|p| p.value == 9.0), "the spike survives");
        assert!(small.windows(2).all(|w| w[0].at < w[1].at), "in time order");
        assert_eq!(downsample(&points[..300], 200).len(), 300, "short series are left alone");
    }

    #[test]
    fn time_ranges_round_trip_through_their_url_names() {
        for range in TimeRange::ALL {
            assert_eq!(TimeRange::parse(range.as_str()), Some(range));
        }
        assert_eq!(TimeRange::parse("2y"), None);
    }
}
