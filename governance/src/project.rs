//! Projects and the promotion policy they carry (from their template).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::ProjectId;

/// A project: one model-building effort with its Dev registry, members and policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    /// The template the project was created from, e.g. "Classical Regression".
    pub template: String,
    pub description: String,
    pub policy: ProjectPolicy,
}

/// The evidence a project requires before promotion. Defaults are the strict ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectPolicy {
    /// How many distinct Governance Engineers must sign off Prod.
    pub prod_quorum: u8,
    /// Thresholds the version's metrics and its latest test run's performance must meet for Prod.
    pub metric_thresholds: Vec<MetricThreshold>,
    /// Whether the model card must be complete for Prod.
    pub require_model_card: bool,
    /// Integration test suites the latest test run must contain for Prod (from the project's template).
    #[serde(default)]
    pub required_test_suites: Vec<String>,
    /// Stages (Test, Prod) whose approval needs the version's lineage: training data references and the
    /// training run it came from.
    #[serde(default)]
    pub lineage_required: Vec<crate::Stage>,
    /// How long a monitoring series of a Prod version must stay over its threshold before a review opens: a
    /// single point over it is noise, a sustained breach is a governance matter.
    #[serde(default = "default_breach_window")]
    pub breach_window_minutes: u32,
    /// How many days a Prod sign-off holds before the version must be re-certified (0: it holds until the
    /// version leaves Prod).
    #[serde(default)]
    pub recertify_after_days: u32,
    /// How many days before a re-certification is due its review opens in the inbox.
    #[serde(default = "default_recertify_notice")]
    pub recertify_notice_days: u32,
}

fn default_recertify_notice() -> u32 {
    14
}

/// The longest a Prod sign-off may be set to hold, in days (five years).
pub const MAX_RECERTIFY_AFTER_DAYS: u32 = 1826;

fn default_breach_window() -> u32 {
    15
}

impl Default for ProjectPolicy {
    fn default() -> Self {
        Self {
            prod_quorum: 1,
            metric_thresholds: Vec::new(),
            require_model_card: true,
            required_test_suites: Vec::new(),
            lineage_required: Vec::new(),
            breach_window_minutes: default_breach_window(),
            recertify_after_days: 0,
            recertify_notice_days: default_recertify_notice(),
        }
    }
}

/// A bound on a named metric, e.g. `latency_p99_ms <= 250`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricThreshold {
    pub metric: String,
    pub bound: Bound,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Bound {
    AtMost(f64),
    AtLeast(f64),
}

impl Bound {
    pub fn holds(self, value: f64) -> bool {
        match self {
            Bound::AtMost(limit) => value <= limit,
            Bound::AtLeast(limit) => value >= limit,
        }
    }
}

impl fmt::Display for MetricThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bound {
            Bound::AtMost(v) => write!(f, "{} ≤ {}", self.metric, crate::display::number(v)),
            Bound::AtLeast(v) => write!(f, "{} ≥ {}", self.metric, crate::display::number(v)),
        }
    }
}
