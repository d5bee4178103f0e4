//! The outbox's in-process consumer and operations on deliveries.

use crate::audit::AuditRecord;
use crate::authz::{authorize, Action};
use crate::deployment::{DeploymentRequest, DeploymentStatus};
use crate::events::{EventEnvelope, PromotionEvent};
use crate::model::ModelVersion;
use crate::path_events::PathEvent;
use crate::ports::{CopyOutcome, Effects};
use crate::{Actor, Environment, EventId, Stage, Subject, VersionId};

use super::{Service, ServiceError};

impl Service {
    /// The in-process consumer of promotion events: a Dev approval copies the version into the central
    /// registry; a Test or Prod approval requests a deployment. Idempotent on the event id. An event acts only
    /// when the decision it names is in the portal's record and the version still stands where that decision
    /// put it: a redelivered or retried event never moves a version the record does not.
    #[tracing::instrument(skip(self, envelope), fields(event = %envelope.id, detail_type = %envelope.detail_type))]
    pub async fn handle_event(&self, envelope: &EventEnvelope) -> Result<(), ServiceError> {
        if let Some(event) = crate::path_events::PathEvent::from_envelope(envelope) {
            return self.handle_path_event(envelope, event).await;
        }
        let (model, stage, decision_id, deployment_config) = match PromotionEvent::from_envelope(envelope) {
            Some(PromotionEvent::ModelApproved { model, stage, decision_id, deployment_config, .. }) => {
                (model, stage, decision_id, deployment_config)
            }
            Some(PromotionEvent::ModelRolledBack { model, rolled_back_to, decision_id, deployment_config, .. }) => {
                return self.redeploy_earlier(envelope, model, rolled_back_to, decision_id, deployment_config).await;
            }
            _ => return Ok(()),
        };
        if !self.approval_stands(&model.version_id, stage, &decision_id).await? {
            tracing::warn!(version = %model.version_id, %decision_id, "the approval is not (any more) where the record has it; nothing done");
            return Ok(());
        }
        match stage {
            Stage::Dev => self.copy_to_central(envelope, &model.version_id).await,
            Stage::Test | Stage::Prod => match deployment_config {
                Some(config) => self.request_deployment(envelope, model, stage, config).await,
                None => {
                    tracing::warn!("approval without deployment config; no deployment requested");
                    Ok(())
                }
            },
        }
    }

    /// A rollback's consequence: the Prod deployment of the earlier version, while the rollback stands.
    async fn redeploy_earlier(
        &self,
        envelope: &EventEnvelope,
        from: crate::events::VersionRef,
        to: crate::events::VersionRef,
        decision: crate::DecisionId,
        config: Option<crate::deployment::DeploymentConfig>,
    ) -> Result<(), ServiceError> {
        if !self.rollback_stands(&from.version_id, &to.version_id, &decision).await? {
            tracing::warn!(version = %from.version_id, %decision, "the rollback is not (any more) where the record has it; nothing done");
            return Ok(());
        }
        match config {
            Some(config) => self.request_deployment(envelope, to, Stage::Prod, config).await,
            None => {
                tracing::warn!("rollback to a version without a Prod deployment config; no deployment requested");
                Ok(())
            }
        }
    }

    /// Whether `decision` is a recorded approval of `version` at `stage` that still stands: the version is
    /// approved in the record and its registry agrees.
    async fn approval_stands(
        &self,
        version: &VersionId,
        stage: Stage,
        decision: &crate::DecisionId,
    ) -> Result<bool, ServiceError> {
        let Some(live) = self.ports.registry.version(version).await? else { return Ok(false) };
        let decisions = self.ports.registry.decisions(version).await?;
        let recorded = decisions
            .iter()
            .any(|d| &d.id == decision && d.stage == stage && d.to == (stage, crate::ApprovalStatus::Approved));
        let now = self.as_recorded(live).await?;
        // At or past the decision's stage (a late delivery after the next approval still acts), never rejected
        // since, and agreed by the registry.
        Ok(recorded && now.outside.is_none() && now.status == crate::ApprovalStatus::Approved)
    }

    /// A Dev approval's consequence: the version copied into the central registry (once).
    async fn copy_to_central(&self, envelope: &EventEnvelope, source: &VersionId) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        let origin = self.origin.clone();
        let event_id = EventId(self.ports.ids.new_id("evt"));
        let trigger = envelope.id.clone();
        let source_id = source.clone();
        let effects = Box::new(move |copy: &ModelVersion| Effects {
            events: vec![PromotionEvent::ModelCopiedToCentral {
                model: Self::version_ref(copy),
                source_version_id: source_id,
                triggering_event: trigger,
            }
            .envelope(event_id, now, &origin)],
            audit: vec![AuditRecord {
                at: now,
                actor: Subject("portal:central-registry-copier".into()),
                action: "version.copy_to_central".into(),
                target: copy.id.to_string(),
                detail: serde_json::json!({ "source": copy.lineage.source_version }),
            }],
        });
        let id = VersionId(self.ports.ids.new_id("mv"));
        let outcome = self.ports.registry.copy_to_central(source, id, &envelope.id, now, effects).await?;
        if let CopyOutcome::AlreadyCopied(copy) = outcome {
            tracing::info!(%copy, "already copied; redelivered event ignored");
        }
        Ok(())
    }

    /// A Test or Prod approval's consequence: a deployment requested with the approved config.
    async fn request_deployment(
        &self,
        envelope: &EventEnvelope,
        model: crate::events::VersionRef,
        stage: Stage,
        config: crate::deployment::DeploymentConfig,
    ) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        let environment = if stage == Stage::Test { Environment::Test } else { Environment::Prod };
        let endpoint_name =
            format!("{}-{}-{}", model.model_group, environment.as_str().to_ascii_lowercase(), model.version_number);
        let request = DeploymentRequest {
            id: self.ports.ids.new_id("dep"),
            version: model.version_id.clone(),
            environment,
            config,
            triggering_event: envelope.id.clone(),
            status: DeploymentStatus::Requested,
            endpoint_name: endpoint_name.clone(),
            message: String::new(),
            requested_at: now,
            updated_at: now,
        };
        let origin = self.origin.clone();
        let event_id = EventId(self.ports.ids.new_id("evt"));
        let trigger = envelope.id.clone();
        let effects = Box::new(move |r: &DeploymentRequest| Effects {
            events: vec![PromotionEvent::DeploymentRequested {
                model,
                deployment_request_id: r.id.clone(),
                environment,
                endpoint_name,
                triggering_event: trigger,
            }
            .envelope(event_id, now, &origin)],
            audit: vec![],
        });
        self.ports.evidence.request_deployment(request, effects).await?;
        Ok(())
    }

    /// The in-process consumer of the path events: `CreateProject` provisions.
    pub(crate) async fn handle_path_event(
        &self,
        envelope: &EventEnvelope,
        event: PathEvent,
    ) -> Result<(), ServiceError> {
        match event {
            PathEvent::CreateProject { project, .. } => self.provision(&project, &envelope.id).await,
            _ => Ok(()),
        }
    }

    /// Puts an event's delivery to `target` back in the queue (after the target was fixed).
    pub async fn redeliver(&self, actor: &Actor, event: &EventId, target: &str) -> Result<(), ServiceError> {
        authorize(actor, &Action::Redeliver)?;
        self.ports.ledger.redeliver(event, target, self.ports.clock.now()).await?;
        tracing::info!(%event, target, by = ?actor.subject(), "redelivery requested");
        Ok(())
    }
}

/// The outbox as the dispatcher sees it: deliveries due, and their outcomes. The dispatcher is the portal's
/// own worker, not a person: it reads and marks deliveries through these methods and nothing else.
impl Service {
    /// Claims the deliveries due now for `holder` for `lease` (pending, next attempt reached, nobody else's
    /// unexpired claim), oldest first; `target`'s only when given.
    pub async fn due_deliveries(
        &self,
        holder: &str,
        lease: chrono::Duration,
        target: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(crate::ports::Delivery, EventEnvelope)>, ServiceError> {
        let now = self.ports.clock.now();
        let claim = crate::ports::DeliveryClaim { holder: holder.to_string(), until: now + lease };
        Ok(self.ports.ledger.due_deliveries(now, &claim, target, limit).await?)
    }

    /// Keeps `holder`'s claimed deliveries its own for another `lease` while it works through them.
    pub async fn extend_claims(&self, holder: &str, lease: chrono::Duration) -> Result<(), ServiceError> {
        let claim = crate::ports::DeliveryClaim { holder: holder.to_string(), until: self.ports.clock.now() + lease };
        Ok(self.ports.ledger.extend_claims(&claim).await?)
    }

    /// Marks a delivery delivered.
    pub async fn delivered(&self, event: &EventId, target: &str) -> Result<(), ServiceError> {
        Ok(self.ports.ledger.mark_delivered(event, target, self.ports.clock.now()).await?)
    }

    /// Records a failed attempt; `next_attempt_at` None puts the delivery on the dead-letter list.
    pub async fn delivery_failed(
        &self,
        event: &EventId,
        target: &str,
        error: &str,
        next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), ServiceError> {
        Ok(self.ports.ledger.mark_failed(event, target, error, next_attempt_at).await?)
    }
}
