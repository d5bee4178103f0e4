//! SageMaker's own `SageMaker Model Package State Change` events, as an EventBridge rule delivers them (to an
//! API destination at the portal's webhook or an SQS queue): which version changed, and to what. Whether SageMaker
//! then agrees with the portal's decision record is the service's question (`Service::record_outside_change`).

use governance::{ApprovalStatus, ProjectId, Registry, Stage, VersionId};

use super::list;
use super::SageMakerRegistry;
use crate::metadata;
use crate::names::{arn_number, PackageRef};

/// The `detail-type` SageMaker sends.
pub const DETAIL_TYPE: &str = "SageMaker Model Package State Change";

/// One state change of a model package the portal knows.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// EventBridge's id of the event: AWS may deliver an event more than once, with the same id.
    pub event_id: String,
    pub version: VersionId,
    pub status: ApprovalStatus,
    /// From `ModelLifeCycle`, else the portal's mirror in the metadata (the emulator stores no life cycle).
    pub stage: Option<Stage>,
    /// The decision the package's metadata names, if any.
    pub decision: Option<String>,
}

/// Why an event was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateChangeError {
    #[error("not a SageMaker model package state change: {0}")]
    NotAStateChange(String),
    #[error("the event lacks {0}")]
    Missing(&'static str),
}

fn text<'a>(value: &'a serde_json::Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(|v| v.as_str())
}

impl SageMakerRegistry {
    /// The version a model package ARN names, if it is one of the portal's projects' packages.
    pub fn version_of_arn(&self, arn: &str) -> Option<VersionId> {
        let resource = arn.split(':').nth(5)?;
        let group = resource.strip_prefix("model-package/")?.split('/').next()?;
        let number = arn_number(arn)?;
        // Central groups carry a prefix of their own; a Dev group never starts with it (no project is `central`).
        let registry =
            if group.starts_with("central-") { Registry::Central } else { Registry::Dev(ProjectId(String::new())) };
        let (project, group) = list::owner(&registry, &self.projects(), group)?;
        let registry = match registry {
            Registry::Central => Registry::Central,
            Registry::Dev(_) => Registry::Dev(project.clone()),
        };
        Some(PackageRef { registry, project, group, number }.id())
    }

    /// Parses an event; `Ok(None)` for a package of no project the portal knows.
    pub fn state_change(&self, event: &serde_json::Value) -> Result<Option<StateChange>, StateChangeError> {
        let detail_type = text(event, "/detail-type").unwrap_or_default();
        if text(event, "/source") != Some("aws.sagemaker") || detail_type != DETAIL_TYPE {
            return Err(StateChangeError::NotAStateChange(format!("{detail_type:?}")));
        }
        let event_id = text(event, "/id").ok_or(StateChangeError::Missing("id"))?.to_string();
        let arn = text(event, "/detail/ModelPackageArn")
            .or_else(|| event.pointer("/resources/0").and_then(|v| v.as_str()))
            .ok_or(StateChangeError::Missing("detail.ModelPackageArn"))?;
        let Some(version) = self.version_of_arn(arn) else { return Ok(None) };
        let status = text(event, "/detail/ModelApprovalStatus")
            .and_then(ApprovalStatus::parse)
            .ok_or(StateChangeError::Missing("detail.ModelApprovalStatus"))?;
        let meta = |key: &str| text(event, &format!("/detail/CustomerMetadataProperties/{key}")).map(str::to_string);
        let stage = text(event, "/detail/ModelLifeCycle/Stage")
            .map(str::to_string)
            .or_else(|| meta(metadata::STAGE))
            .and_then(|s| Stage::parse(&s));
        Ok(Some(StateChange { event_id, version, status, stage, decision: meta(metadata::DECISION) }))
    }
}
