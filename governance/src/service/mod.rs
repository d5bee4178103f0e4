//! The service: orchestrates the ports under the policy. Server functions and API handlers call it and
//! do nothing else of substance.

use std::sync::Arc;

use chrono::{DateTime, Utc};

mod catalog;
mod comparison;
mod decisions;
mod events;
mod evidence;
mod evidence_pack;
mod ledger_views;
mod live;
mod notifications;
mod outside;
mod production;
mod projects;
mod provision;
mod recertification;
mod records;
mod reviews;
mod templates;
mod version_page;
mod versions;

pub use comparison::ComparisonView;
pub use ledger_views::{AuditLog, AUDIT_EXPORT_LIMIT};
pub use live::{inbox_revision, is_revision, project_revision, Watched};
pub use notifications::NotificationSettings;
pub use outside::CHANGED_OUTSIDE;
pub use production::{ProductionPanel, RollbackTarget};
pub use projects::*;
pub use recertification::{RecertificationStatus, SweepReport};
pub use reviews::ReviewItem;
pub use templates::*;
pub use version_page::{ApprovalPanel, VersionView};
pub use versions::*;

use crate::audit::AuditRecord;
use crate::events::{EventEnvelope, EventOrigin, PromotionEvent, VersionRef};
use crate::model::ModelVersion;
use crate::path_events::PathEvent;
use crate::ports::{
    Clock, Directory, EvidenceStore, Experiments, IdSource, Ledger, ModelRegistry, Monitoring, StoreError,
};
use crate::project::Project;
use crate::{Denial, EventId, FieldError, ProjectId, Subject, VersionId};

/// Why a service call did not happen. Nothing changed in any case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} was not found")]
    NotFound(String),
    #[error(transparent)]
    Denied(#[from] Denial),
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("{0}")]
    Conflict(String),
    #[error("the portal's store is unavailable")]
    Unavailable(String),
    /// A system outside the portal (SageMaker, CloudWatch, MLflow) did not answer: nothing was changed.
    #[error("{backend} is unavailable")]
    BackendUnavailable { backend: String, detail: String },
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(what) => ServiceError::Conflict(what),
            StoreError::Unavailable(what) => ServiceError::Unavailable(what),
            StoreError::BackendUnavailable { backend, detail } => ServiceError::BackendUnavailable { backend, detail },
            StoreError::Refused(why) => ServiceError::Conflict(why),
        }
    }
}

/// The ports the service works through: the wiring hands them over once, at start-up, and from then on only
/// the service reaches them.
#[derive(Clone)]
pub struct Ports {
    pub directory: Arc<dyn Directory>,
    pub registry: Arc<dyn ModelRegistry>,
    pub evidence: Arc<dyn EvidenceStore>,
    pub monitoring: Arc<dyn Monitoring>,
    /// The experiment tracker the versions' training runs are read from.
    pub experiments: Arc<dyn Experiments>,
    pub ledger: Arc<dyn Ledger>,
    /// Project templates (step 1 of the path).
    pub templates: Arc<dyn crate::ports::TemplateStore>,
    /// Projects made from templates and their provisioning (step 2).
    pub projects: Arc<dyn crate::ports::ProjectStore>,
    /// The data catalog and subscriptions (step 3).
    pub catalog: Arc<dyn crate::ports::Catalog>,
    /// Where the provisioner makes the projects' repositories.
    pub repositories: Arc<dyn crate::ports::RepositoryHost>,
    /// Reviews of Prod versions opened by monitoring.
    pub reviews: Arc<dyn crate::ports::ReviewStore>,
    /// Who is told what awaits them, and their queued digests.
    pub notifications: Arc<dyn crate::ports::NotificationStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// The one enforcement point: every read and every change of the portal goes through a method of the service,
/// with an [`Actor`], and the service asks [`crate::authz`] once per action. Its ports are private, so server
/// functions, API handlers and background jobs cannot go around it.
#[derive(Clone)]
pub struct Service {
    ports: Ports,
    origin: EventOrigin,
}

impl Service {
    pub fn new(ports: Ports, origin: EventOrigin) -> Self {
        Self { ports, origin }
    }

    /// Whether `actor` may take `action`, by the one authorization table: for a caller that refuses early
    /// (before it parses a large form); the service's methods check again whatever it did.
    pub fn may(&self, actor: &crate::Actor, action: &crate::authz::Action) -> Result<(), ServiceError> {
        Ok(crate::authz::authorize(actor, action)?)
    }

    /// The portal's time now (pages show ages against it).
    pub fn now(&self) -> DateTime<Utc> {
        self.ports.clock.now()
    }

    /// Where the portal's events say they come from.
    pub fn origin(&self) -> &EventOrigin {
        &self.origin
    }

    /// The ports, for tests that check what was stored. Nothing under `app/src` or `server/src` calls this: a
    /// test (`no_request_path_reaches_a_port_around_the_service` in `server/tests/http.rs`) fails if anything does.
    #[doc(hidden)]
    pub fn ports_for_tests(&self) -> Ports {
        self.ports.clone()
    }
}

pub(crate) fn audit(
    at: chrono::DateTime<chrono::Utc>,
    actor: &Subject,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> AuditRecord {
    AuditRecord { at, actor: actor.clone(), action: action.into(), target: target.into(), detail }
}

pub(crate) fn conflict(message: &str) -> impl Fn(StoreError) -> ServiceError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict(message.to_string()),
        other => other.into(),
    }
}

impl Service {
    pub(crate) fn version_ref(v: &ModelVersion) -> VersionRef {
        VersionRef {
            project: v.project.clone(),
            model_group: v.group.clone(),
            version_id: v.id.clone(),
            version_number: v.number,
            registry: v.registry.clone(),
            package_arn: v.package_arn.clone(),
        }
    }

    pub(crate) fn envelope(&self, event: PromotionEvent, at: DateTime<Utc>) -> EventEnvelope {
        event.envelope(EventId(self.ports.ids.new_id("evt")), at, &self.origin)
    }

    /// A version as the portal's record has it (see [`crate::record`]).
    pub(crate) async fn version_or_404(&self, id: &VersionId) -> Result<ModelVersion, ServiceError> {
        let version = self
            .ports
            .registry
            .version(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("model version {id}")))?;
        self.as_recorded(version).await
    }

    pub(crate) async fn project_or_404(&self, id: &ProjectId) -> Result<Project, ServiceError> {
        self.ports.directory.project(id).await?.ok_or_else(|| ServiceError::NotFound(format!("project {id}")))
    }

    pub(crate) fn path_envelope(&self, event: PathEvent, at: chrono::DateTime<chrono::Utc>) -> EventEnvelope {
        event.envelope(EventId(self.ports.ids.new_id("evt")), at, &self.origin)
    }
}
