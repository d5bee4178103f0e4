//! The events of the path's first steps (DESIGN.md §2, steps 1-3): templates, projects, dataset access.
//!
//! They use the same EventBridge envelope and outbox as the promotion events ([`crate::events`]), but are
//! about a template, project or dataset rather than a model version. Documented in `docs/events.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{EventEnvelope, EventOrigin, SOURCE};
use crate::template::{ParamValue, TemplateId};
use crate::{EventId, Persona, ProjectId, Subject};

/// A dataset subscription as events name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRef {
    pub subscription_id: String,
    pub dataset: String,
    pub project: ProjectId,
    /// Where the data lives (what the access grant is for).
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detail-type", content = "detail")]
pub enum PathEvent {
    #[serde(rename_all = "camelCase")]
    TemplatePublished { template: TemplateId, version: u32, name: String, kind: String, published_by: Subject },
    #[serde(rename_all = "camelCase")]
    TemplateDeprecated { template: TemplateId, version: u32, deprecated_by: Subject },
    /// The provisioner creates the project's `build` and `deploy` repositories from the template.
    #[serde(rename_all = "camelCase")]
    CreateProject {
        project: ProjectId,
        name: String,
        template: TemplateId,
        template_version: u32,
        parameters: std::collections::BTreeMap<String, ParamValue>,
        members: std::collections::BTreeMap<Subject, Vec<Persona>>,
        created_by: Subject,
    },
    #[serde(rename_all = "camelCase")]
    ProjectProvisioned { project: ProjectId, repositories: Vec<String>, triggering_event: EventId },
    #[serde(rename_all = "camelCase")]
    DatasetSubscriptionRequested { subscription: SubscriptionRef, requested_by: Subject, justification: String },
    #[serde(rename_all = "camelCase")]
    DatasetSubscriptionApproved { subscription: SubscriptionRef, decided_by: Subject, reason: String },
    #[serde(rename_all = "camelCase")]
    DatasetSubscriptionRejected { subscription: SubscriptionRef, decided_by: Subject, reason: String },
    #[serde(rename_all = "camelCase")]
    DatasetSubscriptionRevoked { subscription: SubscriptionRef, revoked_by: Subject, reason: String },
}

impl PathEvent {
    pub const TYPES: [&'static str; 8] = [
        "TemplatePublished",
        "TemplateDeprecated",
        "CreateProject",
        "ProjectProvisioned",
        "DatasetSubscriptionRequested",
        "DatasetSubscriptionApproved",
        "DatasetSubscriptionRejected",
        "DatasetSubscriptionRevoked",
    ];

    pub fn detail_type(&self) -> &'static str {
        match self {
            PathEvent::TemplatePublished { .. } => "TemplatePublished",
            PathEvent::TemplateDeprecated { .. } => "TemplateDeprecated",
            PathEvent::CreateProject { .. } => "CreateProject",
            PathEvent::ProjectProvisioned { .. } => "ProjectProvisioned",
            PathEvent::DatasetSubscriptionRequested { .. } => "DatasetSubscriptionRequested",
            PathEvent::DatasetSubscriptionApproved { .. } => "DatasetSubscriptionApproved",
            PathEvent::DatasetSubscriptionRejected { .. } => "DatasetSubscriptionRejected",
            PathEvent::DatasetSubscriptionRevoked { .. } => "DatasetSubscriptionRevoked",
        }
    }

    /// The resource the event is about, in the envelope's `resources`.
    fn resource(&self) -> String {
        match self {
            PathEvent::TemplatePublished { template, version, .. }
            | PathEvent::TemplateDeprecated { template, version, .. } => {
                format!("portal:template/{template}/{version}")
            }
            PathEvent::CreateProject { project, .. } | PathEvent::ProjectProvisioned { project, .. } => {
                format!("portal:project/{project}")
            }
            PathEvent::DatasetSubscriptionRequested { subscription, .. }
            | PathEvent::DatasetSubscriptionApproved { subscription, .. }
            | PathEvent::DatasetSubscriptionRejected { subscription, .. }
            | PathEvent::DatasetSubscriptionRevoked { subscription, .. } => {
                format!("portal:dataset/{}/subscription/{}", subscription.dataset, subscription.subscription_id)
            }
        }
    }

    /// Wraps the event in EventBridge's envelope.
    pub fn envelope(&self, id: EventId, time: DateTime<Utc>, origin: &EventOrigin) -> EventEnvelope {
        // Serializing owned data cannot fail; the detail is the content of the adjacently tagged enum.
        let detail = serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("detail").map(serde_json::Value::take))
            .unwrap_or(serde_json::Value::Null);
        EventEnvelope {
            version: "0".into(),
            id,
            detail_type: self.detail_type().into(),
            source: SOURCE.into(),
            account: origin.account.clone(),
            time,
            region: origin.region.clone(),
            resources: vec![self.resource()],
            detail,
        }
    }

    /// Reads an envelope back into an event (for consumers); `None` for other event types.
    pub fn from_envelope(envelope: &EventEnvelope) -> Option<PathEvent> {
        serde_json::from_value(serde_json::json!({ "detail-type": envelope.detail_type, "detail": envelope.detail }))
            .ok()
    }
}
