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
            if value.trim().is_empty() || value.len() > 256 {
                return Err(FieldError::new(field, "must be 1-256 characters"));
            }
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
