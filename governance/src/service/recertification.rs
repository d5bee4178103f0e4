//! Re-certification: a Prod sign-off holds for the project's `recertify_after_days`. A sweep opens a
//! "re-certification due" review `recertify_notice_days` before it runs out; the project's Governance Engineers
//! decide it by re-certifying on current evidence (a Prod sign-off under its rules and quorum), or by rolling
//! the version back or retiring it. Past its due date an undecided version is overdue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::authz::{authorize, Action};
use crate::decision::{Decision, RecertifyRequest, Verdict};
use crate::events::PromotionEvent;
use crate::model::ModelVersion;
use crate::policy::{self, Transition};
use crate::ports::{StoreError, VersionQuery, Window};
use crate::project::ProjectPolicy;
use crate::review::{
    signed_off_at, Recertification, Review, ReviewCause, ReviewDecision, ReviewOutcome, ReviewStatus, RECERTIFICATION,
};
use crate::{Actor, ApprovalStatus, Denial, DenialCode, Principal, Stage, VersionId};

use super::reviews::live_in_prod;
use super::{Service, ServiceError};

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Prod versions whose sign-off was looked at.
    pub checked: usize,
    /// Re-certification reviews opened.
    pub opened: usize,
}

/// Where a Prod version's sign-off stands against its project's re-certification period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecertificationStatus {
    pub schedule: Recertification,
    /// The active re-certification review, when one is open.
    pub review: Option<Review>,
    /// What this person's re-certification would do, or the rule that refuses it.
    pub allowed: Result<String, String>,
    /// Who re-certified under the open review so far (towards the quorum).
    pub signed_by: Vec<String>,
    /// Past its due date with no re-certification.
    pub overdue: bool,
}

/// The sign-off schedule of a version under a policy: when it was signed off and when that runs out.
fn schedule(decisions: &[Decision], policy: &ProjectPolicy) -> Option<(Recertification, DateTime<Utc>)> {
    Recertification::schedule(signed_off_at(decisions)?, policy.recertify_after_days, policy.recertify_notice_days)
}

impl Service {
    /// Opens a re-certification review for every Prod version whose sign-off runs out within its project's
    /// notice period. Idempotent: one active re-certification review per version (the store's unique index
    /// settles two sweeps at once, in one process or several).
    pub async fn sweep_recertifications(&self) -> Result<SweepReport, ServiceError> {
        let mut report = SweepReport::default();
        let now = self.ports.clock.now();
        for project in self.ports.directory.projects().await? {
            if project.policy.recertify_after_days == 0 {
                continue;
            }
            let mut offset = 0;
            loop {
                let query = VersionQuery {
                    project: Some(project.id.clone()),
                    stage: Some(Stage::Prod),
                    status: Some(ApprovalStatus::Approved),
                    central: Some(true),
                    group: None,
                    search: None,
                    window: Window::new(offset, Window::MAX_LIMIT),
                    within: None,
                };
                let page = self.ports.registry.list_versions(&query).await?;
                let fetched = page.items.len() as u64;
                for version in page.items.into_iter().filter(live_in_prod) {
                    report.checked += 1;
                    let decisions = self.ports.registry.decisions(&version.id).await?;
                    let Some((due, opens_at)) = schedule(&decisions, &project.policy) else { continue };
                    if now < opens_at || self.ports.reviews.active_review(&version.id, RECERTIFICATION).await?.is_some()
                    {
                        continue;
                    }
                    match self.open_review(&version, ReviewCause::Recertification(due), now).await {
                        Ok(()) => report.opened += 1,
                        // Another sweep opened it a moment ago.
                        Err(ServiceError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                offset += fetched;
                if fetched == 0 || offset >= page.total {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Re-certifies Prod version `id` as `principal`, under its open re-certification review. The quorum's
    /// last sign-off completes it: the review closes and the sign-off holds for another period.
    #[tracing::instrument(skip(self, principal, request), fields(subject = %principal.subject))]
    pub async fn recertify(
        &self,
        principal: &Principal,
        id: &VersionId,
        request: RecertifyRequest,
    ) -> Result<Decision, ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(
            &Actor::Person(principal.clone()),
            &Action::Decide { project: version.project.clone(), stage: Stage::Prod },
        )?;
        let project = self.project_or_404(&version.project).await?;
        let evidence = self.evidence(version).await?;
        let version = &evidence.version;
        let Some(review) = self.ports.reviews.active_review(&version.id, RECERTIFICATION).await? else {
            return Err(Denial::new(
                DenialCode::NotAwaitingDecision,
                not_due(version, &evidence.decisions, &project.policy),
            )
            .into());
        };
        let open_breach = self.open_breach(&version.id).await?;
        let transition =
            policy::check_recertify(principal, &evidence, &project.policy, review.opened_at, open_breach.as_deref())?;
        let justification = policy::justified(&evidence, &request.justification, &request.evidence_digest)?;
        let decision = self.lifecycle_decision(
            principal,
            version,
            Verdict::Recertify,
            transition,
            justification.as_str(),
            &request.evidence_digest,
            None,
        );
        let Transition::Signoff { signed, required } = transition else {
            return Err(ServiceError::Unavailable("a re-certification moved a version".into()));
        };
        let complete = signed >= required;
        let next_due_at = complete
            .then(|| {
                Recertification::schedule(decision.decided_at, project.policy.recertify_after_days, 0)
                    .map(|(s, _)| s.due_at)
            })
            .flatten();
        let event = PromotionEvent::ModelRecertified {
            model: Self::version_ref(version),
            decision_id: decision.id.clone(),
            recertified_by: principal.subject.clone(),
            signed,
            required,
            justification: decision.justification.clone(),
            evidence_digest: decision.evidence_digest.clone(),
            review_id: Some(review.id.clone()),
            next_due_at,
        };
        self.commit_lifecycle(&decision, version.revision, transition, event).await?;
        if complete {
            self.close_recertification(principal, version, review, &decision.justification).await?;
        }
        Ok(decision)
    }

    /// Which of `versions` (as `actor` may read them) are overdue: an open re-certification review past its
    /// due date. One query for the page, whatever its length.
    pub async fn overdue_of(
        &self,
        actor: &Actor,
        versions: &[ModelVersion],
    ) -> Result<std::collections::BTreeSet<VersionId>, ServiceError> {
        let now = self.ports.clock.now();
        let mut projects: Vec<crate::ProjectId> = versions
            .iter()
            .filter(|v| live_in_prod(v) && authorize(actor, &Action::ReadProject(v.project.clone())).is_ok())
            .map(|v| v.project.clone())
            .collect();
        projects.sort();
        projects.dedup();
        let listed: std::collections::BTreeSet<&VersionId> = versions.iter().map(|v| &v.id).collect();
        Ok(self
            .ports
            .reviews
            .reviews_in(&projects, ReviewStatus::Open)
            .await?
            .into_iter()
            .filter(|r| r.overdue(now) && listed.contains(&r.version))
            .map(|r| r.version)
            .collect())
    }

    /// The label of the version's open breach review, if one awaits a decision.
    async fn open_breach(&self, version: &VersionId) -> Result<Option<String>, ServiceError> {
        Ok(self
            .ports
            .reviews
            .reviews_of(version)
            .await?
            .into_iter()
            .find(|r| r.status == ReviewStatus::Open && r.breach().is_some())
            .map(|r| r.label()))
    }

    async fn close_recertification(
        &self,
        principal: &Principal,
        version: &ModelVersion,
        review: Review,
        justification: &str,
    ) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        let mut review = review;
        for _ in 0..4 {
            let expected = review.revision;
            review.status = ReviewStatus::Closed;
            review.revision += 1;
            review.updated_at = now;
            review.decisions.push(ReviewDecision {
                outcome: ReviewOutcome::Recertified,
                by: principal.subject.clone(),
                by_name: principal.display_name.clone(),
                at: now,
                justification: justification.to_string(),
                until: None,
            });
            let effects = self.decided_effects(version, &review, &principal.subject, now);
            match self.ports.reviews.save_review(&review, Some(expected), effects).await {
                Err(StoreError::Conflict(_)) => match self.ports.reviews.review(&review.id).await? {
                    Some(fresh) if fresh.status != ReviewStatus::Closed => review = fresh,
                    _ => return Ok(()),
                },
                Err(e) => return Err(e.into()),
                Ok(()) => return Ok(()),
            }
        }
        Err(ServiceError::Conflict("The review kept changing while you decided: reload the page and try again.".into()))
    }

    /// Where a Prod version's sign-off stands against its project's period, for `principal`: `None` when the
    /// project does not re-certify or the version is not live in Prod.
    pub(crate) async fn recertification_status(
        &self,
        principal: &Principal,
        evidence: &crate::evidence::Evidence,
        policy: &ProjectPolicy,
    ) -> Result<Option<RecertificationStatus>, ServiceError> {
        let version = &evidence.version;
        if !live_in_prod(version) {
            return Ok(None);
        }
        let Some((schedule, _)) = schedule(&evidence.decisions, policy) else { return Ok(None) };
        let review = self.ports.reviews.active_review(&version.id, RECERTIFICATION).await?;
        let (allowed, signed_by) = match &review {
            None => (Err(not_due(version, &evidence.decisions, policy)), Vec::new()),
            Some(r) => {
                let open_breach = self.open_breach(&version.id).await?;
                let allowed = policy::check_recertify(principal, evidence, policy, r.opened_at, open_breach.as_deref())
                    .map(|t| match t {
                        Transition::Signoff { signed, required } if signed < required => {
                            format!("records re-certification sign-off {signed} of {required}")
                        }
                        _ => format!(
                            "completes the re-certification: the sign-off holds for another {} days",
                            policy.recertify_after_days
                        ),
                    })
                    .map_err(|d| d.reason);
                let signed_by = evidence
                    .decisions
                    .iter()
                    .filter(|d| d.verdict == Verdict::Recertify && d.decided_at >= r.opened_at)
                    .map(|d| d.decided_by_name.clone())
                    .collect();
                (allowed, signed_by)
            }
        };
        let overdue = review.as_ref().is_some_and(|r| r.overdue(self.ports.clock.now()));
        Ok(Some(RecertificationStatus { schedule, review, allowed, signed_by, overdue }))
    }
}

/// Why a version has no re-certification to decide now.
fn not_due(version: &ModelVersion, decisions: &[Decision], policy: &ProjectPolicy) -> String {
    match schedule(decisions, policy) {
        _ if !live_in_prod(version) => {
            format!(
                "Only a version live in Prod is re-certified; v{} is {} / {}.",
                version.number,
                version.stage,
                version.status.label()
            )
        }
        None if policy.recertify_after_days == 0 => {
            format!("Project {} does not re-certify Prod sign-offs.", version.project)
        }
        None => format!("v{} has no Prod sign-off in the portal to re-certify.", version.number),
        Some((s, opens_at)) => format!(
            "No re-certification is due: the sign-off of {} holds until {}; its review opens on {}.",
            s.signed_off_at.format("%Y-%m-%d"),
            s.due_at.format("%Y-%m-%d"),
            opens_at.format("%Y-%m-%d")
        ),
    }
}
