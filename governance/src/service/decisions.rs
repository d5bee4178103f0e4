//! Decisions on a stage: the one path by which a version moves.

use crate::audit::AuditRecord;
use crate::authz::{authorize, Action};
use crate::decision::{Decision, DecisionRequest, Verdict};
use crate::events::PromotionEvent;
use crate::policy::{self, Transition};
use crate::ports::{DecisionCommit, Effects, StoreError};
use crate::{Actor, DecisionId, Environment, EventId, Persona, Principal, Stage, VersionId};

use super::{Service, ServiceError};

impl Service {
    /// Decides on a version as `principal`.
    #[tracing::instrument(skip(self, principal, request), fields(subject = %principal.subject))]
    pub async fn decide(
        &self,
        principal: &Principal,
        id: &VersionId,
        request: DecisionRequest,
    ) -> Result<Decision, ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(
            &Actor::Person(principal.clone()),
            &Action::Decide { project: version.project.clone(), stage: request.stage },
        )?;
        let project = self.project_or_404(&version.project).await?;
        let evidence = self.evidence(version).await?;
        let (transition, justification) = policy::decide(principal, &evidence, &project.policy, &request)?;
        let version = &evidence.version;
        let now = self.ports.clock.now();
        let from = (version.stage, version.status);
        let (to, quorum) = match transition {
            Transition::Move { stage, status } => {
                let quorum = (request.stage == Stage::Prod && request.verdict == Verdict::Approve).then(|| {
                    let required = project.policy.prod_quorum.max(1);
                    (required, required)
                });
                ((stage, status), quorum)
            }
            Transition::Signoff { signed, required } => (from, Some((signed, required))),
        };
        let event_id = EventId(self.ports.ids.new_id("evt"));
        let decision = Decision {
            id: DecisionId(self.ports.ids.new_id("dec")),
            version: version.id.clone(),
            stage: request.stage,
            verdict: request.verdict,
            from,
            to,
            quorum,
            decided_by: principal.subject.clone(),
            decided_by_name: principal.display_name.clone(),
            persona: Persona::deciding(request.stage),
            justification: justification.as_str().to_string(),
            evidence_digest: request.evidence_digest.clone(),
            event_id: event_id.clone(),
            decided_at: now,
            rollback_to: None,
        };
        // What CI deploys an approved version with, and the commit of it in the deploy repository.
        let deploys_with = match request.stage {
            Stage::Dev => None,
            Stage::Test => evidence.deployment_config(Environment::Test),
            Stage::Prod => evidence.deployment_config(Environment::Prod),
        };
        let event = promotion_event(&decision, transition, Self::version_ref(version), deploys_with);
        let envelope = event.envelope(event_id, now, &self.origin);
        let audit = audit_record(&decision, &envelope.id);
        self.ports
            .registry
            .commit_decision(DecisionCommit {
                decision: decision.clone(),
                expected_revision: version.revision,
                transition,
                effects: Effects { events: vec![envelope], audit: vec![audit] },
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => ServiceError::Conflict(
                    "Someone else decided on this version a moment ago: reload the page to see the new state."
                        .to_string(),
                ),
                other => other.into(),
            })?;
        Ok(decision)
    }
}

/// The promotion event a decision emits: a sign-off short of the quorum, an approval (with what CI deploys), or
/// a rejection.
fn promotion_event(
    decision: &Decision,
    transition: Transition,
    model: crate::events::VersionRef,
    deploys_with: Option<&crate::deployment::SavedDeploymentConfig>,
) -> PromotionEvent {
    match (transition, decision.verdict) {
        (Transition::Signoff { signed, required }, _) => PromotionEvent::ProdSignoffRecorded {
            model,
            decision_id: decision.id.clone(),
            signed_by: decision.decided_by.clone(),
            signed,
            required,
        },
        (Transition::Move { .. }, Verdict::Approve) => PromotionEvent::ModelApproved {
            model,
            stage: decision.stage,
            decision_id: decision.id.clone(),
            approved_by: decision.decided_by.clone(),
            persona: decision.persona,
            justification: decision.justification.clone(),
            evidence_digest: decision.evidence_digest.clone(),
            deployment_config: deploys_with.map(|c| c.config.clone()),
            deployment_commit: deploys_with.and_then(|c| c.commit.clone()),
        },
        // The approval panel decides Approve and Reject only (`policy::check` refuses the others).
        (Transition::Move { .. }, Verdict::Reject | Verdict::Rollback | Verdict::Retire | Verdict::Recertify) => {
            PromotionEvent::ModelRejected {
                model,
                stage: decision.stage,
                decision_id: decision.id.clone(),
                rejected_by: decision.decided_by.clone(),
                persona: decision.persona,
                justification: decision.justification.clone(),
                evidence_digest: decision.evidence_digest.clone(),
            }
        }
    }
}

/// The audit entry of a decision, naming the event it emitted.
fn audit_record(decision: &Decision, event: &EventId) -> AuditRecord {
    let (from, to) = (decision.from, decision.to);
    AuditRecord {
        at: decision.decided_at,
        actor: decision.decided_by.clone(),
        action: format!("decision.{}", decision.verdict.as_str().to_ascii_lowercase()),
        target: decision.version.to_string(),
        detail: serde_json::json!({
            "decision": decision.id,
            "stage": decision.stage,
            "from": crate::events::stage_status(from.0, from.1),
            "to": crate::events::stage_status(to.0, to.1),
            "quorum": decision.quorum,
            "justification": decision.justification,
            "evidenceDigest": decision.evidence_digest,
            "event": event,
        }),
    }
}
