//! Deployment configurations (what an AI engineer defines) and deployment requests (what CI acts on).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Environment, EventId, FieldError, Subject, VersionId};

/// How a version is deployed to an environment's endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentConfig {
    pub instance_type: String,
    pub initial_instance_count: u32,
    pub autoscaling_min: u32,
    pub autoscaling_max: u32,
    /// A/B variants; weights sum to 100.
    pub variants: Vec<ProductionVariant>,
    /// Percentage of requests captured for monitoring, 0-100.
    pub data_capture_percent: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductionVariant {
    pub name: String,
    pub weight: u8,
}

/// SageMaker instance families the portal accepts; a typo here would only fail at deploy time.
const INSTANCE_FAMILIES: [&str; 12] = ["t2", "t3", "m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "g4dn", "g5", "inf2"];

impl DeploymentConfig {
    /// Checks the config as a whole; the error names the offending field.
    pub fn validate(&self) -> Result<(), FieldError> {
        let family_ok = self
            .instance_type
            .strip_prefix("ml.")
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(family, size)| INSTANCE_FAMILIES.contains(&family) && !size.is_empty());
        if !family_ok {
            return Err(FieldError::new("instance_type", "must be a SageMaker instance type such as ml.m5.large"));
        }
        if !(1..=100).contains(&self.initial_instance_count) {
            return Err(FieldError::new("initial_instance_count", "must be between 1 and 100"));
        }
        if !(1..=100).contains(&self.autoscaling_min) {
            return Err(FieldError::new("autoscaling_min", "must be between 1 and 100"));
        }
        if self.autoscaling_max < self.autoscaling_min || self.autoscaling_max > 100 {
            return Err(FieldError::new("autoscaling_max", "must be at least the minimum and at most 100"));
        }
        if !(self.autoscaling_min..=self.autoscaling_max).contains(&self.initial_instance_count) {
            return Err(FieldError::new(
                "initial_instance_count",
                "must lie between the autoscaling minimum and maximum",
            ));
        }
        if self.variants.is_empty() || self.variants.len() > 10 {
            return Err(FieldError::new("variants", "must list 1 to 10 production variants"));
        }
        let mut names = std::collections::BTreeSet::new();
        for v in &self.variants {
            let name_ok = !v.name.is_empty()
                && v.name.len() <= 63
                && v.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !name_ok {
                return Err(FieldError::new(
                    "variants",
                    format!("variant name '{}' must be 1-63 letters, digits or dashes", v.name),
                ));
            }
            if !names.insert(v.name.as_str()) {
                return Err(FieldError::new("variants", format!("variant name '{}' is used twice", v.name)));
            }
        }
        let total: u32 = self.variants.iter().map(|v| u32::from(v.weight)).sum();
        if total != 100 {
            return Err(FieldError::new("variants", format!("weights must sum to 100 (they sum to {total})")));
        }
        if self.data_capture_percent > 100 {
            return Err(FieldError::new("data_capture_percent", "must be between 0 and 100"));
        }
        Ok(())
    }
}

/// A saved deployment config for one environment of a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedDeploymentConfig {
    pub version: VersionId,
    pub environment: Environment,
    pub config: DeploymentConfig,
    pub saved_by: Subject,
    pub saved_at: DateTime<Utc>,
    /// Where the config was committed in the project's deploy repository, for projects made from a template
    /// (None for a project without one). Part of the evidence a decision is made on.
    #[serde(default)]
    pub commit: Option<ConfigCommit>,
}

/// A deployment config's commit in the project's deploy repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigCommit {
    pub repository: String,
    /// e.g. `config/test.json`.
    pub path: String,
    pub commit: String,
}

/// What CI reports about a deployment request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeploymentStatus {
    Requested,
    InProgress,
    Succeeded,
    Failed,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Requested => "Requested",
            DeploymentStatus::InProgress => "InProgress",
            DeploymentStatus::Succeeded => "Succeeded",
            DeploymentStatus::Failed => "Failed",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Requested, Self::InProgress, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value.trim()))
    }
}

/// A request to deploy a version to an environment, made by a Test or Prod approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentRequest {
    pub id: String,
    pub version: VersionId,
    pub environment: Environment,
    pub config: DeploymentConfig,
    /// The approval event that asked for it; one request per event.
    pub triggering_event: EventId,
    pub status: DeploymentStatus,
    pub endpoint_name: String,
    pub message: String,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> DeploymentConfig {
        DeploymentConfig {
            instance_type: "ml.m5.large".into(),
            initial_instance_count: 2,
            autoscaling_min: 1,
            autoscaling_max: 4,
            variants: vec![
                ProductionVariant { name: "champion".into(), weight: 90 },
                ProductionVariant { name: "challenger".into(), weight: 10 },
            ],
            data_capture_percent: 20,
        }
    }

    #[test]
    fn a_sound_config_passes() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn each_bad_field_is_named() {
        type Mutation = fn(&mut DeploymentConfig);
        let cases: Vec<(Mutation, &str)> = vec![
            (|c| c.instance_type = "m5.large".into(), "instance_type"),
            (|c| c.instance_type = "ml.zz9.large".into(), "instance_type"),
            (|c| c.initial_instance_count = 0, "initial_instance_count"),
            (|c| c.autoscaling_max = 0, "autoscaling_max"),
            (|c| c.initial_instance_count = 9, "initial_instance_count"),
            (|c| c.variants[1].weight = 20, "variants"),
            (|c| c.variants[1].name = "champion".into(), "variants"),
            (|c| c.variants.clear(), "variants"),
            (|c| c.data_capture_percent = 101, "data_capture_percent"),
        ];
        for (mutate, field) in cases {
            let mut c = config();
            mutate(&mut c);
            assert_eq!(c.validate().unwrap_err().field, field, "{c:?}");
        }
    }
}
