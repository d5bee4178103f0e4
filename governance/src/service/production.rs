//! A Prod version after its sign-off: rolled back to an earlier Prod version of its group, or retired. Both
//! are decisions recorded like any other (compare-and-set on the version's revision; on SageMaker the same
//! pending-decision protocol), and both close the version's active reviews.

use serde::{Deserialize, Serialize};

use crate::audit::AuditRecord;
use crate::authz::{authorize, Action};
use crate::decision::{Decision, RetireRequest, RollbackRequest, Verdict};
use crate::events::PromotionEvent;
use crate::evidence::Evidence;
use crate::model::ModelVersion;
use crate::policy::{self, Transition};
use crate::ports::{DecisionCommit, Effects, StoreError, VersionQuery, Window};
use crate::review::{Review, ReviewDecision, ReviewOutcome, ReviewStatus};
use crate::{
    Actor, ApprovalStatus, DecisionId, Environment, EventId, FieldError, Persona, Principal, ReviewId, Stage, VersionId,
};

use super::reviews::{live_in_prod, not_open};
use super::{Service, ServiceError};

/// How many earlier Prod versions the panel offers to roll back to (newest first).
const ROLLBACK_CHOICES: u64 = 5;

/// An earlier Prod version of the group, as the Production panel offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackTarget {
    pub version: ModelVersion,
    /// Its evidence's digest now: the rollback carries it back.
    pub evidence_digest: String,
    /// What this person's rollback to it would do, or the rule that refuses it.
    pub allowed: Result<String, String>,
    /// Who signed a rollback to it so far (towards the quorum).
    pub signed_by: Vec<String>,
}

/// The Production panel of a Prod version: its reviews, and what this person may decide on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductionPanel {
    /// Every review of the version, newest first.
    pub reviews: Vec<Review>,
    /// Earlier Prod versions of the group (approved ones first), when the version is live in Prod.
    pub rollback_targets: Vec<RollbackTarget>,
    /// What this person's retirement of the version would do, or why not.
    pub retire: Result<String, String>,
    /// Whether this person may acknowledge the version's open reviews, or why not.
    pub acknowledge: Result<(), String>,
    /// The digest of this version's evidence (a retirement carries it back).
    pub evidence_digest: String,
    /// How many Governance Engineers a rollback needs.
    pub quorum: u8,
    /// Where the version's sign-off stands against the project's re-certification period (`None` when the
    /// project does not re-certify).
    pub recertification: Option<super::recertification::RecertificationStatus>,
}

impl Service {
    /// Rolls the group's Prod back from `id` to the earlier Prod version `request.to`, as `principal`.
    #[tracing::instrument(skip(self, principal, request), fields(subject = %principal.subject))]
    pub async fn roll_back(
        &self,
        principal: &Principal,
        id: &VersionId,
        request: RollbackRequest,
    ) -> Result<Decision, ServiceError> {
        let current = self.version_or_404(id).await?;
        authorize(
            &Actor::Person(principal.clone()),
            &Action::Decide { project: current.project.clone(), stage: Stage::Prod },
        )?;
        let project = self.project_or_404(&current.project).await?;
        let target = match self.version_or_404(&request.to).await {
            Err(ServiceError::NotFound(_)) => {
                return Err(FieldError::new("to", format!("names no version of the portal: {}", request.to)).into())
            }
            other => other?,
        };
        let review = self.deciding_review(&current, request.review.as_ref()).await?;
        let current = self.evidence(current).await?;
        let earlier = self.evidence(target).await?;
        let transition = policy::check_rollback(principal, &current, &earlier, &project.policy)?;
        let justification = policy::justified(&earlier, &request.justification, &request.evidence_digest)?;
        let (version, back) = (&current.version, &earlier.version);
        let decision = self.lifecycle_decision(
            principal,
            version,
            Verdict::Rollback,
            transition,
            justification.as_str(),
            &request.evidence_digest,
            Some(back.id.clone()),
        );
        let event = match transition {
            Transition::Signoff { signed, required } => PromotionEvent::RollbackSignoffRecorded {
                model: Self::version_ref(version),
                rolled_back_to: Self::version_ref(back),
                decision_id: decision.id.clone(),
                signed_by: principal.subject.clone(),
                signed,
                required,
            },
            Transition::Move { .. } => {
                let deploys_with = earlier.deployment_config(Environment::Prod);
                PromotionEvent::ModelRolledBack {
                    model: Self::version_ref(version),
                    rolled_back_to: Self::version_ref(back),
                    decision_id: decision.id.clone(),
                    rolled_back_by: principal.subject.clone(),
                    justification: decision.justification.clone(),
                    evidence_digest: decision.evidence_digest.clone(),
                    review_id: review.clone(),
                    deployment_config: deploys_with.map(|c| c.config.clone()),
                    deployment_commit: deploys_with.and_then(|c| c.commit.clone()),
                }
            }
        };
        self.commit_lifecycle(&decision, version.revision, transition, event).await?;
        if matches!(transition, Transition::Move { .. }) {
            self.close_reviews(principal, version, ReviewOutcome::RolledBack, &decision.justification).await?;
        }
        Ok(decision)
    }

    /// Retires Prod version `id`, as `principal`: it leaves Prod for good, and cannot be rolled back to.
    #[tracing::instrument(skip(self, principal, request), fields(subject = %principal.subject))]
    pub async fn retire(
        &self,
        principal: &Principal,
        id: &VersionId,
        request: RetireRequest,
    ) -> Result<Decision, ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(
            &Actor::Person(principal.clone()),
            &Action::Decide { project: version.project.clone(), stage: Stage::Prod },
        )?;
        let review = self.deciding_review(&version, request.review.as_ref()).await?;
        let evidence = self.evidence(version).await?;
        let transition = policy::check_retire(principal, &evidence)?;
        let justification = policy::justified(&evidence, &request.justification, &request.evidence_digest)?;
        let version = &evidence.version;
        let decision = self.lifecycle_decision(
            principal,
            version,
            Verdict::Retire,
            transition,
            justification.as_str(),
            &request.evidence_digest,
            None,
        );
        let event = PromotionEvent::ModelRetired {
            model: Self::version_ref(version),
            decision_id: decision.id.clone(),
            retired_by: principal.subject.clone(),
            justification: decision.justification.clone(),
            evidence_digest: decision.evidence_digest.clone(),
            review_id: review,
        };
        self.commit_lifecycle(&decision, version.revision, transition, event).await?;
        self.close_reviews(principal, version, ReviewOutcome::Retired, &decision.justification).await?;
        Ok(decision)
    }

    /// The review a rollback or retirement says it decides: one of this version's, still active.
    async fn deciding_review(
        &self,
        version: &ModelVersion,
        review: Option<&ReviewId>,
    ) -> Result<Option<ReviewId>, ServiceError> {
        let Some(id) = review else { return Ok(None) };
        match self.ports.reviews.review(id).await? {
            Some(r) if r.version == version.id && r.status != ReviewStatus::Closed => Ok(Some(r.id)),
            Some(r) if r.version == version.id => Err(FieldError::new("review", not_open(&r)).into()),
            _ => Err(FieldError::new("review", format!("names no review of this version: {id}")).into()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lifecycle_decision(
        &self,
        principal: &Principal,
        version: &ModelVersion,
        verdict: Verdict,
        transition: Transition,
        justification: &str,
        evidence_digest: &str,
        rollback_to: Option<VersionId>,
    ) -> Decision {
        let from = (version.stage, version.status);
        let (to, quorum) = match transition {
            Transition::Move { stage, status } => ((stage, status), None),
            Transition::Signoff { signed, required } => (from, Some((signed, required))),
        };
        Decision {
            id: DecisionId(self.ports.ids.new_id("dec")),
            version: version.id.clone(),
            stage: Stage::Prod,
            verdict,
            from,
            to,
            quorum,
            decided_by: principal.subject.clone(),
            decided_by_name: principal.display_name.clone(),
            persona: Persona::GovernanceEngineer,
            justification: justification.to_string(),
            evidence_digest: evidence_digest.to_string(),
            event_id: EventId(self.ports.ids.new_id("evt")),
            decided_at: self.ports.clock.now(),
            rollback_to,
        }
    }

    pub(crate) async fn commit_lifecycle(
        &self,
        decision: &Decision,
        expected_revision: u64,
        transition: Transition,
        event: PromotionEvent,
    ) -> Result<(), ServiceError> {
        let envelope = event.envelope(decision.event_id.clone(), decision.decided_at, &self.origin);
        let audit = AuditRecord {
            at: decision.decided_at,
            actor: decision.decided_by.clone(),
            action: format!("decision.{}", decision.verdict.as_str().to_ascii_lowercase()),
            target: decision.version.to_string(),
            detail: serde_json::json!({
                "decision": decision.id,
                "stage": decision.stage,
                "from": crate::events::stage_status(decision.from.0, decision.from.1),
                "to": crate::events::stage_status(decision.to.0, decision.to.1),
                "quorum": decision.quorum,
                "rollbackTo": decision.rollback_to,
                "justification": decision.justification,
                "evidenceDigest": decision.evidence_digest,
                "event": envelope.id,
            }),
        };
        self.ports
            .registry
            .commit_decision(DecisionCommit {
                decision: decision.clone(),
                expected_revision,
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
            })
    }

    /// Closes every active review of a version that left Prod, with the person's decision.
    async fn close_reviews(
        &self,
        principal: &Principal,
        version: &ModelVersion,
        outcome: ReviewOutcome,
        justification: &str,
    ) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        for mut review in self.ports.reviews.reviews_of(&version.id).await? {
            if review.status == ReviewStatus::Closed {
                continue;
            }
            let expected = review.revision;
            review.status = ReviewStatus::Closed;
            review.revision += 1;
            review.updated_at = now;
            review.decisions.push(ReviewDecision {
                outcome,
                by: principal.subject.clone(),
                by_name: principal.display_name.clone(),
                at: now,
                justification: justification.to_string(),
                until: None,
            });
            let effects = self.decided_effects(version, &review, &principal.subject, now);
            match self.ports.reviews.save_review(&review, Some(expected), effects).await {
                // A push changed it meanwhile: the inbox closes it on its next read (the version left Prod).
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Whether a rollback's decision stands: recorded on the rolled-back version, which the registry has
    /// rejected, while the earlier version is still approved for Prod.
    pub(crate) async fn rollback_stands(
        &self,
        from: &VersionId,
        to: &VersionId,
        decision: &DecisionId,
    ) -> Result<bool, ServiceError> {
        let recorded = self
            .ports
            .registry
            .decisions(from)
            .await?
            .iter()
            .any(|d| &d.id == decision && d.is_rollback_to(to) && d.to == (Stage::Prod, ApprovalStatus::Rejected));
        let (Some(rolled_back), Some(earlier)) =
            (self.ports.registry.version(from).await?, self.ports.registry.version(to).await?)
        else {
            return Ok(false);
        };
        let (rolled_back, earlier) = (self.as_recorded(rolled_back).await?, self.as_recorded(earlier).await?);
        Ok(recorded
            && rolled_back.outside.is_none()
            && rolled_back.status == ApprovalStatus::Rejected
            && earlier.outside.is_none()
            && live_in_prod(&earlier))
    }

    /// The Production panel of a central Prod version for `principal`.
    pub(crate) async fn production_panel(
        &self,
        principal: &Principal,
        evidence: &Evidence,
        policy: &crate::project::ProjectPolicy,
        digest: &str,
    ) -> Result<ProductionPanel, ServiceError> {
        let version = &evidence.version;
        let reviews = self.ports.reviews.reviews_of(&version.id).await?;
        let mut rollback_targets = Vec::new();
        if live_in_prod(version) {
            for status in [ApprovalStatus::Approved, ApprovalStatus::Rejected] {
                let query = VersionQuery {
                    project: Some(version.project.clone()),
                    stage: Some(Stage::Prod),
                    status: Some(status),
                    central: Some(true),
                    group: Some(version.group.clone()),
                    search: None,
                    window: Window::new(0, Window::MAX_LIMIT),
                    within: None,
                };
                let mut earlier: Vec<ModelVersion> = self.ports.registry.list_versions(&query).await?.items;
                earlier.retain(|v| v.number < version.number && v.group == version.group);
                earlier.sort_by_key(|v| std::cmp::Reverse(v.number));
                for candidate in earlier.into_iter().take(ROLLBACK_CHOICES as usize) {
                    let candidate = self.evidence(self.as_recorded(candidate).await?).await?;
                    let allowed = policy::check_rollback(principal, evidence, &candidate, policy)
                        .map(|t| match t {
                            Transition::Signoff { signed, required } => {
                                format!("records rollback sign-off {signed} of {required}")
                            }
                            Transition::Move { .. } => format!(
                                "rejects v{} and requests the Prod deployment of v{}",
                                version.number, candidate.version.number
                            ),
                        })
                        .map_err(|d| d.reason);
                    let signed_by = evidence
                        .decisions
                        .iter()
                        .filter(|d| d.is_rollback_to(&candidate.version.id))
                        .map(|d| d.decided_by_name.clone())
                        .collect();
                    rollback_targets.push(RollbackTarget {
                        evidence_digest: candidate.digest(),
                        version: candidate.version,
                        allowed,
                        signed_by,
                    });
                }
            }
        }
        let retire = policy::check_retire(principal, evidence)
            .map(|_| format!("rejects v{} in the registry and asks CI to remove what serves it", version.number))
            .map_err(|d| d.reason);
        let acknowledge = authorize(
            &Actor::Person(principal.clone()),
            &Action::Decide { project: version.project.clone(), stage: Stage::Prod },
        )
        .map_err(|d| d.reason);
        let recertification = self.recertification_status(principal, evidence, policy).await?;
        Ok(ProductionPanel {
            recertification,
            reviews,
            rollback_targets,
            retire,
            acknowledge,
            evidence_digest: digest.to_string(),
            quorum: policy.prod_quorum.max(1),
        })
    }
}
