//! One model package: read as a domain [`ModelVersion`], and the calls that write it.

use aws_sdk_sagemaker::types::{
    InferenceSpecification, MetadataProperties, ModelApprovalStatus, ModelLifeCycle, ModelPackageContainerDefinition,
};
use aws_sdk_sagemaker::Client;
use chrono::{DateTime, Utc};
use governance::model::{Lineage, ModelVersion};
use governance::ports::{PackageKey, StoreError, VersionDetails};
use governance::{ApprovalStatus, Stage, Subject, VersionId};

use crate::error::store_error;
use crate::metadata::{self, Metadata};
use crate::names::PackageRef;

/// What `DescribeModelPackage` says, in the domain's terms (before the portal-side details are added).
#[derive(Debug, Clone)]
pub struct Package {
    pub at: PackageRef,
    pub arn: String,
    pub stage: Stage,
    pub status: ApprovalStatus,
    pub description: String,
    pub created: DateTime<Utc>,
    pub metadata: Metadata,
    pub image: String,
    pub model_data_url: String,
    pub generated_by: Option<String>,
    pub commit_id: Option<String>,
}

impl Package {
    /// The package's identity in the portal database: its version number may be reused by a later package.
    pub fn key(&self) -> PackageKey {
        PackageKey::new(self.at.id(), self.created)
    }
}

pub fn approval(status: ApprovalStatus) -> ModelApprovalStatus {
    match status {
        ApprovalStatus::Approved => ModelApprovalStatus::Approved,
        ApprovalStatus::Rejected => ModelApprovalStatus::Rejected,
        ApprovalStatus::PendingManualApproval => ModelApprovalStatus::PendingManualApproval,
    }
}

pub fn from_approval(status: Option<&ModelApprovalStatus>) -> ApprovalStatus {
    match status {
        Some(ModelApprovalStatus::Approved) => ApprovalStatus::Approved,
        Some(ModelApprovalStatus::Rejected) => ApprovalStatus::Rejected,
        _ => ApprovalStatus::PendingManualApproval,
    }
}

pub fn life_cycle(stage: Stage, status: ApprovalStatus, description: &str) -> ModelLifeCycle {
    ModelLifeCycle::builder()
        .stage(stage.as_str())
        .stage_status(metadata::stage_status(status))
        // StageDescription holds at most 1024 characters.
        .stage_description(description.chars().take(1024).collect::<String>())
        .build()
}

pub fn to_utc(t: Option<&aws_smithy_types::DateTime>) -> DateTime<Utc> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())).unwrap_or_default()
}

pub fn inference(image: &str, model_data_url: &str) -> InferenceSpecification {
    InferenceSpecification::builder()
        .containers(ModelPackageContainerDefinition::builder().image(image).model_data_url(model_data_url).build())
        .supported_content_types("application/json")
        .supported_response_mime_types("application/json")
        .build()
}

pub fn lineage_properties(mlflow_run: Option<&str>, commit: Option<&str>, project: &str) -> MetadataProperties {
    MetadataProperties::builder()
        .set_generated_by(mlflow_run.map(|r| format!("mlflow-run:{r}")))
        .set_commit_id(commit.map(str::to_string))
        .project_id(project)
        .build()
}

/// Reads a package; `Ok(None)` when it does not exist.
pub async fn describe(client: &Client, at: &PackageRef, arn: &str) -> Result<Option<Package>, StoreError> {
    let out = match client.describe_model_package().model_package_name(arn).send().await {
        Ok(out) => out,
        Err(e) => {
            return match store_error("sagemaker:DescribeModelPackage", &format!("model version {}", at.id()), e) {
                StoreError::NotFound(_) => Ok(None),
                other => Err(other),
            }
        }
    };
    let metadata = Metadata(out.customer_metadata_properties().cloned().unwrap_or_default());
    // ModelLifeCycle where SageMaker keeps it; the metadata mirror where the emulator drops it.
    let stage = out
        .model_life_cycle()
        .and_then(|l| l.stage())
        .and_then(Stage::parse)
        .or_else(|| metadata.stage())
        .unwrap_or(Stage::Dev);
    let container = out.inference_specification().and_then(|s| s.containers().first());
    Ok(Some(Package {
        at: at.clone(),
        arn: out.model_package_arn().unwrap_or(arn).to_string(),
        stage,
        status: from_approval(out.model_approval_status()),
        description: out.model_package_description().unwrap_or_default().to_string(),
        created: to_utc(out.creation_time()),
        image: container.and_then(|c| c.image()).unwrap_or_default().to_string(),
        model_data_url: container.and_then(|c| c.model_data_url()).unwrap_or_default().to_string(),
        generated_by: out.metadata_properties().and_then(|m| m.generated_by()).map(str::to_string),
        commit_id: out.metadata_properties().and_then(|m| m.commit_id()).map(str::to_string),
        metadata,
    }))
}

impl Package {
    /// The domain's version: the package plus what the portal database keeps beside it.
    pub fn version(self, details: VersionDetails, central_copy: Option<VersionId>) -> ModelVersion {
        let mlflow_run_id =
            self.generated_by.as_deref().and_then(|g| g.strip_prefix("mlflow-run:")).map(str::to_string);
        ModelVersion {
            id: self.at.id(),
            project: self.at.project.clone(),
            group: self.at.group.clone(),
            number: self.at.number,
            registry: self.at.registry.clone(),
            stage: self.stage,
            status: self.status,
            revision: self.metadata.revision(),
            description: self.description,
            registered_by: Subject(self.metadata.get(metadata::REGISTERED_BY).unwrap_or("unknown").to_string()),
            registered_at: self.created,
            lineage: Lineage {
                source_version: self.metadata.get(metadata::SOURCE_VERSION).map(VersionId::from),
                mlflow_run_id,
                training_data: details.training_data,
                code_commit: self.commit_id,
                artifact_uri: self.model_data_url,
                container_image: self.image,
            },
            metrics: details.metrics,
            model_card: details.model_card,
            central_copy,
            outside: None,
            package_arn: Some(self.arn),
        }
    }
}

/// Sets approval status, life cycle and the full metadata map in one call (see the metadata module on why the
/// whole map is sent).
pub async fn update(
    client: &Client,
    package: &Package,
    stage: Stage,
    status: ApprovalStatus,
    description: &str,
    metadata: Metadata,
) -> Result<(), StoreError> {
    client
        .update_model_package()
        .model_package_arn(&package.arn)
        .model_approval_status(approval(status))
        .approval_description(description.chars().take(1024).collect::<String>())
        .model_life_cycle(life_cycle(stage, status, description))
        .set_customer_metadata_properties(Some(metadata.checked()?))
        .send()
        .await
        .map_err(|e| store_error("sagemaker:UpdateModelPackage", &format!("model version {}", package.at.id()), e))?;
    Ok(())
}
