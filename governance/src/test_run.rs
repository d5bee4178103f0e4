//! Integration test runs that CI reports against a version deployed to Test.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::{FieldError, Subject, TestRunId, VersionId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CaseStatus {
    Passed,
    Failed,
    Errored,
    Skipped,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Passed => "Passed",
            CaseStatus::Failed => "Failed",
            CaseStatus::Errored => "Errored",
            CaseStatus::Skipped => "Skipped",
        }
    }
    pub fn is_failure(self) -> bool {
        matches!(self, CaseStatus::Failed | CaseStatus::Errored)
    }
}

/// One test case of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub suite: String,
    pub name: String,
    pub status: CaseStatus,
    pub duration_ms: u64,
    /// The failure or error message, if any.
    pub message: String,
}

/// A run as reported, before it is recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRunReport {
    pub cases: Vec<TestCase>,
    /// Performance metrics measured against the Test endpoint, e.g. `latency_p99_ms`, `error_rate`.
    pub performance: BTreeMap<String, f64>,
    /// CI's own reference, e.g. a workflow run URL.
    pub ci_run: String,
}

impl TestRunReport {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.cases.is_empty() {
            return Err(FieldError::new("junit", "contains no test cases"));
        }
        if self.cases.len() > 10_000 {
            return Err(FieldError::new("junit", "contains more than 10000 test cases"));
        }
        if self.performance.len() > 100 {
            return Err(FieldError::new("performance", "has more than 100 entries"));
        }
        for (name, value) in &self.performance {
            crate::error::text_field("performance", name, true, 128)?;
            if !value.is_finite() {
                return Err(FieldError::new(format!("performance.{name}"), "must be a finite number"));
            }
        }
        crate::error::text_field("ci_run", &self.ci_run, false, 1024)?;
        Ok(())
    }

    /// A run passes when at least one case ran and none failed or errored.
    pub fn passed(&self) -> bool {
        self.cases.iter().any(|c| c.status == CaseStatus::Passed) && !self.cases.iter().any(|c| c.status.is_failure())
    }
}

/// A recorded integration test run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRun {
    pub id: TestRunId,
    pub version: VersionId,
    pub passed: bool,
    pub cases: Vec<TestCase>,
    pub performance: BTreeMap<String, f64>,
    pub ci_run: String,
    pub reported_by: Subject,
    pub recorded_at: DateTime<Utc>,
}

impl TestRun {
    pub fn count(&self, status: CaseStatus) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }
    pub fn duration_ms(&self) -> u64 {
        self.cases.iter().map(|c| c.duration_ms).sum()
    }
}
