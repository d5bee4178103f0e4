//! Promotion events in Amazon EventBridge's envelope, so the same JSON goes to a webhook or to a bus.
//! Every event type is documented with an example in `docs/events.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deployment::{DeploymentConfig, DeploymentStatus};
use crate::ids::ModelGroupName;
use crate::review::ReviewOutcome;
use crate::{
    ApprovalStatus, DecisionId, Environment, EventId, Persona, ProjectId, Registry, ReviewId, Stage, Subject,
    TestRunId, VersionId,
};

/// The `source` of every event the portal emits.
pub const SOURCE: &str = "portal.governance";

/// EventBridge's event envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub version: String,
    pub id: EventId,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub account: String,
    pub time: DateTime<Utc>,
    pub region: String,
    pub resources: Vec<String>,
    pub detail: serde_json::Value,
}

/// Where events are published from: the account and region in every envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventOrigin {
    pub account: String,
    pub region: String,
}

/// The model version an event is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRef {
    pub project: ProjectId,
    pub model_group: ModelGroupName,
    pub version_id: VersionId,
    pub version_number: u32,
    pub registry: Registry,
    /// The SageMaker model package ARN (Dev or central), where the registry is SageMaker: what CI/CD consumers
    /// look the package up by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_arn: Option<String>,
}

/// A stage and status, as an event names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStatus {
    pub stage: Stage,
    pub status: ApprovalStatus,
}

impl From<(Stage, ApprovalStatus)> for StageStatus {
    fn from((stage, status): (Stage, ApprovalStatus)) -> Self {
        Self { stage, status }
    }
}

/// The events of the governed path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detail-type", content = "detail")]
pub enum PromotionEvent {
    #[serde(rename_all = "camelCase")]
    ModelVersionRegistered { model: VersionRef, registered_by: Subject, mlflow_run_id: Option<String> },
    #[serde(rename_all = "camelCase")]
    ModelApproved {
        model: VersionRef,
        stage: Stage,
        decision_id: DecisionId,
        approved_by: Subject,
        persona: Persona,
        justification: String,
        evidence_digest: String,
        /// For Test and Prod: the config CI deploys with.
        deployment_config: Option<DeploymentConfig>,
        /// Where that config is committed in the project's deploy repository (projects made from a template):
        /// CI deploys from this commit.
        #[serde(default)]
        deployment_commit: Option<crate::deployment::ConfigCommit>,
    },
    #[serde(rename_all = "camelCase")]
    ModelRejected {
        model: VersionRef,
        stage: Stage,
        decision_id: DecisionId,
        rejected_by: Subject,
        persona: Persona,
        justification: String,
        evidence_digest: String,
    },
    #[serde(rename_all = "camelCase")]
    ProdSignoffRecorded { model: VersionRef, decision_id: DecisionId, signed_by: Subject, signed: u8, required: u8 },
    #[serde(rename_all = "camelCase")]
    ModelCopiedToCentral { model: VersionRef, source_version_id: VersionId, triggering_event: EventId },
    #[serde(rename_all = "camelCase")]
    DeploymentRequested {
        model: VersionRef,
        deployment_request_id: String,
        environment: Environment,
        endpoint_name: String,
        triggering_event: EventId,
    },
    #[serde(rename_all = "camelCase")]
    TestResultsRecorded {
        model: VersionRef,
        test_run_id: TestRunId,
        passed: bool,
        cases: usize,
        failures: usize,
        reported_by: Subject,
    },
    #[serde(rename_all = "camelCase")]
    DeploymentStatusReported {
        model: VersionRef,
        deployment_request_id: String,
        environment: Environment,
        status: DeploymentStatus,
        reported_by: Subject,
    },
    /// The registry's state differs from the portal's decision record (a change made outside the portal).
    #[serde(rename_all = "camelCase")]
    ModelPackageChangedOutsidePortal {
        model: VersionRef,
        registry_state: StageStatus,
        recorded_state: StageStatus,
        /// The last decision of the record, if any.
        recorded_decision: Option<DecisionId>,
        summary: String,
    },
    #[serde(rename_all = "camelCase")]
    MonitoringAlarm {
        model: VersionRef,
        metric: String,
        endpoint: String,
        variant: String,
        value: f64,
        threshold: f64,
        at: DateTime<Utc>,
    },
    /// A sustained breach opened (or re-opened) a review of a Prod version: the project's Governance
    /// Engineers decide it.
    #[serde(rename_all = "camelCase")]
    ReviewOpened {
        model: VersionRef,
        review_id: ReviewId,
        metric: String,
        endpoint: String,
        variant: String,
        threshold: f64,
        /// The worst value of the run that opened it.
        value: f64,
        /// The first point of the run over the threshold.
        breaching_since: DateTime<Utc>,
        /// How many times it re-opened after an acknowledgement ran out (0 for a new review).
        reopened: u32,
    },
    #[serde(rename_all = "camelCase")]
    ReviewDecided {
        model: VersionRef,
        review_id: ReviewId,
        outcome: ReviewOutcome,
        decided_by: Subject,
        justification: String,
        /// For an acknowledgement: when it runs out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        acknowledged_until: Option<DateTime<Utc>>,
    },
    /// A sign-off towards a rollback that needs more Governance Engineers (the project's Prod quorum).
    #[serde(rename_all = "camelCase")]
    RollbackSignoffRecorded {
        model: VersionRef,
        rolled_back_to: VersionRef,
        decision_id: DecisionId,
        signed_by: Subject,
        signed: u8,
        required: u8,
    },
    /// The group's Prod goes back from `model` (now rejected) to the earlier `rolledBackTo`: CI deploys it with
    /// the config given (a `DeploymentRequested` for it follows).
    #[serde(rename_all = "camelCase")]
    ModelRolledBack {
        model: VersionRef,
        rolled_back_to: VersionRef,
        decision_id: DecisionId,
        rolled_back_by: Subject,
        justification: String,
        /// The digest of the earlier version's evidence the rollback was decided on.
        evidence_digest: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review_id: Option<ReviewId>,
        deployment_config: Option<DeploymentConfig>,
        #[serde(default)]
        deployment_commit: Option<crate::deployment::ConfigCommit>,
    },
    /// A version taken out of Prod for good: CI removes what serves it.
    #[serde(rename_all = "camelCase")]
    ModelRetired {
        model: VersionRef,
        decision_id: DecisionId,
        retired_by: Subject,
        justification: String,
        evidence_digest: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review_id: Option<ReviewId>,
    },
    /// A Prod sign-off nears (or passed) the end of the project's re-certification period: a review opened for
    /// the project's Governance Engineers.
    #[serde(rename_all = "camelCase")]
    RecertificationDue {
        model: VersionRef,
        review_id: ReviewId,
        /// When the version was last signed off Prod (or re-certified).
        signed_off_at: DateTime<Utc>,
        /// When that sign-off runs out.
        due_at: DateTime<Utc>,
    },
    /// A Governance Engineer re-certified a Prod version on current evidence; with `signed` = `required` the
    /// re-certification is complete and holds until `nextDueAt`.
    #[serde(rename_all = "camelCase")]
    ModelRecertified {
        model: VersionRef,
        decision_id: DecisionId,
        recertified_by: Subject,
        signed: u8,
        required: u8,
        justification: String,
        evidence_digest: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review_id: Option<ReviewId>,
        /// When the completed re-certification runs out (absent until the quorum is reached).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_due_at: Option<DateTime<Utc>>,
    },
}

impl PromotionEvent {
    /// Every `detail-type` of these events (as [`PromotionEvent::detail_type`] names them).
    pub const TYPES: [&'static str; 17] = [
        "ModelVersionRegistered",
        "ModelApproved",
        "ModelRejected",
        "ProdSignoffRecorded",
        "ModelCopiedToCentral",
        "DeploymentRequested",
        "TestResultsRecorded",
        "DeploymentStatusReported",
        "MonitoringAlarm",
        "ModelPackageChangedOutsidePortal",
        "ReviewOpened",
        "ReviewDecided",
        "RollbackSignoffRecorded",
        "ModelRolledBack",
        "ModelRetired",
        "RecertificationDue",
        "ModelRecertified",
    ];

    pub fn detail_type(&self) -> &'static str {
        match self {
            PromotionEvent::ModelVersionRegistered { .. } => "ModelVersionRegistered",
            PromotionEvent::ModelApproved { .. } => "ModelApproved",
            PromotionEvent::ModelRejected { .. } => "ModelRejected",
            PromotionEvent::ProdSignoffRecorded { .. } => "ProdSignoffRecorded",
            PromotionEvent::ModelCopiedToCentral { .. } => "ModelCopiedToCentral",
            PromotionEvent::DeploymentRequested { .. } => "DeploymentRequested",
            PromotionEvent::TestResultsRecorded { .. } => "TestResultsRecorded",
            PromotionEvent::DeploymentStatusReported { .. } => "DeploymentStatusReported",
            PromotionEvent::MonitoringAlarm { .. } => "MonitoringAlarm",
            PromotionEvent::ModelPackageChangedOutsidePortal { .. } => "ModelPackageChangedOutsidePortal",
            PromotionEvent::ReviewOpened { .. } => "ReviewOpened",
            PromotionEvent::ReviewDecided { .. } => "ReviewDecided",
            PromotionEvent::RollbackSignoffRecorded { .. } => "RollbackSignoffRecorded",
            PromotionEvent::ModelRolledBack { .. } => "ModelRolledBack",
            PromotionEvent::ModelRetired { .. } => "ModelRetired",
            PromotionEvent::RecertificationDue { .. } => "RecertificationDue",
            PromotionEvent::ModelRecertified { .. } => "ModelRecertified",
        }
    }

    pub fn model(&self) -> &VersionRef {
        match self {
            PromotionEvent::ModelVersionRegistered { model, .. }
            | PromotionEvent::ModelApproved { model, .. }
            | PromotionEvent::ModelRejected { model, .. }
            | PromotionEvent::ProdSignoffRecorded { model, .. }
            | PromotionEvent::ModelCopiedToCentral { model, .. }
            | PromotionEvent::DeploymentRequested { model, .. }
            | PromotionEvent::TestResultsRecorded { model, .. }
            | PromotionEvent::DeploymentStatusReported { model, .. }
            | PromotionEvent::MonitoringAlarm { model, .. }
            | PromotionEvent::ModelPackageChangedOutsidePortal { model, .. }
            | PromotionEvent::ReviewOpened { model, .. }
            | PromotionEvent::ReviewDecided { model, .. }
            | PromotionEvent::RollbackSignoffRecorded { model, .. }
            | PromotionEvent::ModelRolledBack { model, .. }
            | PromotionEvent::ModelRetired { model, .. }
            | PromotionEvent::RecertificationDue { model, .. }
            | PromotionEvent::ModelRecertified { model, .. } => model,
        }
    }

    /// Wraps the event in EventBridge's envelope.
    pub fn envelope(&self, id: EventId, time: DateTime<Utc>, origin: &EventOrigin) -> EventEnvelope {
        let model = self.model();
        // The detail is the content of the adjacently tagged enum; serializing owned data cannot fail.
        let detail = serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("detail").map(serde_json::Value::take))
            .unwrap_or(serde_json::Value::Null);
        EventEnvelope {
            version: "0".to_string(),
            id,
            detail_type: self.detail_type().to_string(),
            source: SOURCE.to_string(),
            account: origin.account.clone(),
            time,
            region: origin.region.clone(),
            // The package's own ARN where the registry has one; the embedded registry has none to give.
            resources: model.package_arn.iter().cloned().collect(),
            detail,
        }
    }

    /// Reads an envelope back into an event (for consumers).
    pub fn from_envelope(envelope: &EventEnvelope) -> Option<PromotionEvent> {
        serde_json::from_value(serde_json::json!({
            "detail-type": envelope.detail_type,
            "detail": envelope.detail,
        }))
        .ok()
    }
}

/// The status a stage/status pair shows in an event or list, e.g. `Test/Approved`.
pub fn stage_status(stage: Stage, status: ApprovalStatus) -> String {
    format!("{stage}/{status}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_and_has_eventbridge_fields() {
        let event = PromotionEvent::ModelVersionRegistered {
            model: VersionRef {
                project: "credit-risk".into(),
                model_group: ModelGroupName("pd-model".into()),
                version_id: "v1".into(),
                version_number: 3,
                registry: Registry::Dev("credit-risk".into()),
                package_arn: Some(
                    "arn:aws:sagemaker:eu-west-1:111122223333:model-package/credit-risk-pd-model/3".into(),
                ),
            },
            registered_by: "ci".into(),
            mlflow_run_id: Some("abc".into()),
        };
        let origin = EventOrigin { account: "111122223333".into(), region: "eu-west-1".into() };
        let env = event.envelope("e1".into(), DateTime::UNIX_EPOCH, &origin);
        let json = serde_json::to_value(&env).unwrap();
        for key in ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["detail-type"], "ModelVersionRegistered");
        assert_eq!(json["detail"]["model"]["versionNumber"], 3);
        // The resource is the package's own ARN (its registry's group and account), not one made up.
        assert_eq!(
            json["resources"][0],
            "arn:aws:sagemaker:eu-west-1:111122223333:model-package/credit-risk-pd-model/3"
        );
        assert_eq!(PromotionEvent::from_envelope(&env), Some(event));
    }
}
