//! Model groups, model versions, their lineage and model card.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::text_field;
use crate::ids::ModelGroupName;
use crate::{ApprovalStatus, FieldError, ProjectId, Registry, Stage, Subject, VersionId};

/// A model package group in a registry account that no project of the portal owns: made by hand, by another
/// tool, or left by a project the portal no longer knows. Listed for admins, never governed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmanagedGroup {
    pub account: String,
    pub name: String,
}

/// How current the portal's lists of a registry it reads through an index (SageMaker) are: a version page reads
/// its package live, while lists, counts and inboxes read the index, which state-change events keep current
/// and a full reconciliation repairs each period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFreshness {
    /// The registry the index mirrors, as people call it ("SageMaker").
    pub registry: String,
    /// When the last full reconciliation finished; `None` before the first one.
    pub reconciled_at: Option<DateTime<Utc>>,
}

/// A named line of model versions in a project (SageMaker's model package group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelGroup {
    pub project: ProjectId,
    pub name: ModelGroupName,
    pub description: String,
    pub version_count: u32,
    /// The newest version's stage and status, for the registry list.
    pub latest: Option<(u32, Stage, ApprovalStatus)>,
}

/// Where a version came from: enough to trace it back to data, code and run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Lineage {
    /// For a central copy: the Dev registry version it was copied from.
    pub source_version: Option<VersionId>,
    pub mlflow_run_id: Option<String>,
    /// Dataset references, e.g. `s3://bucket/prefix` or `glue://db.table`.
    pub training_data: Vec<String>,
    pub code_commit: Option<String>,
    pub artifact_uri: String,
    pub container_image: String,
}

/// The model card a governance engineer reads before sign-off. A section left out is empty: CI fills what it
/// knows (training data, evaluation), the data scientist the rest, and the Prod gate names what is missing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelCard {
    pub intended_use: String,
    pub limitations: String,
    pub risk_rating: String,
    pub training_data: String,
    pub evaluation: String,
    pub owner: String,
}

impl ModelCard {
    /// The card's fields by name, as the form sends them back after a refusal (nothing typed is lost).
    pub fn fields(&self) -> BTreeMap<String, String> {
        [
            ("intended_use", &self.intended_use),
            ("limitations", &self.limitations),
            ("risk_rating", &self.risk_rating),
            ("training_data", &self.training_data),
            ("evaluation", &self.evaluation),
            ("owner", &self.owner),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    }

    /// Risk ratings a card may carry.
    pub const RISK_RATINGS: [&'static str; 4] = ["Low", "Medium", "High", "Critical"];

    /// Checks every section (trimmed, bounded, no control characters; a known risk rating when given);
    /// errors name the field as `{prefix}{section}`.
    pub fn parse(self, prefix: &str) -> Result<ModelCard, FieldError> {
        let field = |name: &str| format!("{prefix}{name}");
        let risk_rating = text_field(&field("risk_rating"), &self.risk_rating, false, 64)?;
        if !risk_rating.is_empty() && !Self::RISK_RATINGS.contains(&risk_rating.as_str()) {
            return Err(FieldError::new(field("risk_rating"), "must be Low, Medium, High or Critical"));
        }
        Ok(ModelCard {
            intended_use: text_field(&field("intended_use"), &self.intended_use, false, 4000)?,
            limitations: text_field(&field("limitations"), &self.limitations, false, 4000)?,
            risk_rating,
            training_data: text_field(&field("training_data"), &self.training_data, false, 4000)?,
            evaluation: text_field(&field("evaluation"), &self.evaluation, false, 4000)?,
            owner: text_field(&field("owner"), &self.owner, false, 256)?,
        })
    }

    /// The sections still empty, in the card's order.
    pub fn missing_sections(&self) -> Vec<&'static str> {
        [
            ("intended use", &self.intended_use),
            ("limitations", &self.limitations),
            ("risk rating", &self.risk_rating),
            ("training data", &self.training_data),
            ("evaluation", &self.evaluation),
            ("owner", &self.owner),
        ]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(name, _)| name)
        .collect()
    }
}

/// One version of a model in one registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub id: VersionId,
    pub project: ProjectId,
    pub group: ModelGroupName,
    /// 1, 2, 3... within the group and registry.
    pub number: u32,
    pub registry: Registry,
    pub stage: Stage,
    pub status: ApprovalStatus,
    /// Bumped on every change; decisions compare-and-set on it.
    pub revision: u64,
    pub description: String,
    pub registered_by: Subject,
    pub registered_at: DateTime<Utc>,
    pub lineage: Lineage,
    /// Offline evaluation metrics (e.g. from the MLflow run), by name.
    pub metrics: BTreeMap<String, f64>,
    pub model_card: ModelCard,
    /// For a Dev version: its copy in the central registry, once made.
    pub central_copy: Option<VersionId>,
    /// Set when the registry's live state differs from the portal's record (the version was changed outside
    /// the portal); `stage` and `status` are then the recorded ones. See [`crate::record`].
    #[serde(default)]
    pub outside: Option<crate::record::OutsideChange>,
    /// The registry's own name for the version where it has one: the SageMaker model package ARN.
    #[serde(default)]
    pub package_arn: Option<String>,
}

impl ModelVersion {
    /// The stage whose decision this version awaits, if any.
    ///
    /// A Dev registry version awaits its Dev approval; its central copy (made on Dev approval) awaits
    /// Test, then Prod. Rejected versions and versions in Prod await nothing.
    pub fn awaiting(&self) -> Option<Stage> {
        match (&self.registry, self.stage, self.status) {
            (Registry::Dev(_), Stage::Dev, ApprovalStatus::PendingManualApproval) => Some(Stage::Dev),
            (Registry::Central, Stage::Dev, ApprovalStatus::Approved) => Some(Stage::Test),
            (Registry::Central, Stage::Test, ApprovalStatus::Approved) => Some(Stage::Prod),
            _ => None,
        }
    }

    /// A short label: `churn-classifier v3`.
    pub fn label(&self) -> String {
        format!("{} v{}", self.group, self.number)
    }
}

/// A version as CI registers it in a project's Dev registry, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewModelVersion {
    pub project: ProjectId,
    pub group: ModelGroupName,
    pub description: String,
    pub lineage: Lineage,
    pub metrics: BTreeMap<String, f64>,
    pub model_card: ModelCard,
}

/// The registration request as it arrives, before validation.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterVersionInput {
    pub model_group: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub mlflow_run_id: Option<String>,
    #[serde(default)]
    pub training_data: Vec<String>,
    #[serde(default)]
    pub code_commit: Option<String>,
    pub artifact_uri: String,
    pub container_image: String,
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    #[serde(default)]
    pub model_card: ModelCard,
}

impl RegisterVersionInput {
    /// Validates every field, naming the first one that is wrong.
    pub fn parse(self, project: ProjectId) -> Result<NewModelVersion, FieldError> {
        let group = ModelGroupName::parse(&self.model_group)?;
        group.fits_registries(&project)?;
        let description = text_field("description", &self.description, false, 2000)?;
        let artifact_uri = text_field("artifact_uri", &self.artifact_uri, true, 1024)?;
        if !artifact_uri.contains("://") {
            return Err(FieldError::new("artifact_uri", "must be a URI such as s3://bucket/model.tar.gz"));
        }
        let container_image = text_field("container_image", &self.container_image, true, 512)?;
        if self.training_data.len() > 50 {
            return Err(FieldError::new("training_data", "lists more than 50 datasets"));
        }
        let training_data = self
            .training_data
            .iter()
            .map(|d| text_field("training_data", d, true, 1024))
            .collect::<Result<Vec<_>, _>>()?;
        let optional = |field: &str, v: Option<String>, max| -> Result<Option<String>, FieldError> {
            v.map(|v| text_field(field, &v, false, max)).transpose().map(|v| v.filter(|s| !s.is_empty()))
        };
        let mlflow_run_id = optional("mlflow_run_id", self.mlflow_run_id, 128)?;
        let code_commit = optional("code_commit", self.code_commit, 128)?;
        if self.metrics.len() > 200 {
            return Err(FieldError::new("metrics", "has more than 200 entries"));
        }
        for (name, value) in &self.metrics {
            text_field("metrics", name, true, 128)?;
            if !value.is_finite() {
                return Err(FieldError::new(format!("metrics.{name}"), "must be a finite number"));
            }
        }
        let model_card = self.model_card.parse("model_card.")?;
        Ok(NewModelVersion {
            project,
            group,
            description,
            lineage: Lineage {
                source_version: None,
                mlflow_run_id,
                training_data,
                code_commit,
                artifact_uri,
                container_image,
            },
            metrics: self.metrics,
            model_card,
        })
    }
}
