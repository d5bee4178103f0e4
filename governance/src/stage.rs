//! Stages, approval statuses and registries: where a model version stands on the path.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::ProjectId;

/// A stage of the path. SageMaker's `ModelLifeCycle.Stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    Dev,
    Test,
    Prod,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Dev, Stage::Test, Stage::Prod];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Dev => "Dev",
            Stage::Test => "Test",
            Stage::Prod => "Prod",
        }
    }

    pub fn parse(value: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(value.trim()))
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of the decision at a stage. SageMaker's `ModelApprovalStatus` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApprovalStatus {
    PendingManualApproval,
    Approved,
    Rejected,
}

impl ApprovalStatus {
    pub const ALL: [ApprovalStatus; 3] =
        [ApprovalStatus::PendingManualApproval, ApprovalStatus::Approved, ApprovalStatus::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::PendingManualApproval => "PendingManualApproval",
            ApprovalStatus::Approved => "Approved",
            ApprovalStatus::Rejected => "Rejected",
        }
    }

    pub fn parse(value: &str) -> Option<ApprovalStatus> {
        ApprovalStatus::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(value.trim()))
    }

    /// Words for a person.
    pub fn label(self) -> &'static str {
        match self {
            ApprovalStatus::PendingManualApproval => "Pending approval",
            ApprovalStatus::Approved => "Approved",
            ApprovalStatus::Rejected => "Rejected",
        }
    }
}

impl fmt::Display for ApprovalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which registry holds a version: a project's Dev registry, or the central registry of the
/// Shared Services account that Test and Prod deploy from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "project")]
pub enum Registry {
    Dev(ProjectId),
    Central,
}

impl Registry {
    pub fn label(&self) -> String {
        match self {
            Registry::Dev(p) => format!("Dev registry ({p})"),
            Registry::Central => "Central registry".to_string(),
        }
    }
    pub fn is_central(&self) -> bool {
        matches!(self, Registry::Central)
    }
}

/// A deployment environment (account) that CI deploys an approved version to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Environment {
    Test,
    Prod,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "Test",
            Environment::Prod => "Prod",
        }
    }
    pub fn parse(value: &str) -> Option<Environment> {
        match value.trim().to_ascii_lowercase().as_str() {
            "test" => Some(Environment::Test),
            "prod" => Some(Environment::Prod),
            _ => None,
        }
    }
    pub fn stage(self) -> Stage {
        match self {
            Environment::Test => Stage::Test,
            Environment::Prod => Stage::Prod,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
