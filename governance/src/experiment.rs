//! Experiment tracking: the training run behind a model version, as MLflow records it.
//!
//! The version's lineage names its run (`mlflow_run_id`); the experiments port reads the run's params,
//! metrics, tags and stepwise metric history, and the registered model versions that point at it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The life-cycle state of a run, in MLflow's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Scheduled => "SCHEDULED",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Killed => "KILLED",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        [RunStatus::Running, RunStatus::Scheduled, RunStatus::Finished, RunStatus::Failed, RunStatus::Killed]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

/// A training run: what it was given, what it measured, where its artifacts are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRun {
    pub run_id: String,
    pub experiment_id: String,
    pub run_name: String,
    pub status: RunStatus,
    pub user: String,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub artifact_uri: String,
    pub params: BTreeMap<String, String>,
    /// The latest value of each metric.
    pub metrics: BTreeMap<String, f64>,
    /// User tags; MLflow's own `mlflow.*` tags are kept too (e.g. `mlflow.source.git.commit`).
    pub tags: BTreeMap<String, String>,
}

/// One logged value of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricStep {
    pub step: i64,
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// A registered model version (in the tracking server's registry) that was created from a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredModelVersion {
    pub name: String,
    pub version: String,
    pub status: String,
    pub source: String,
    pub run_id: String,
}

/// Why the experiment tracker could not answer. The page shows it and carries on without the run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ExperimentError {
    #[error("run {0} was not found in the experiment tracker")]
    RunNotFound(String),
    #[error("the experiment tracker is unreachable: {0}")]
    Unreachable(String),
    #[error("the experiment tracker refused the portal's credentials: {0}")]
    Refused(String),
    #[error("the experiment tracker answered something the portal cannot read: {0}")]
    Malformed(String),
}
