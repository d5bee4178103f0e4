//! Decisions on a registry without a shared transaction (DESIGN.md §6): recorded as pending in the portal
//! database, applied to SageMaker with `UpdateModelPackage`, then committed with their events released. A crash
//! between the two steps leaves the decision pending; [`SageMakerRegistry::reconcile`] finishes or fails it.

use chrono::Duration;
use governance::policy::Transition;
use governance::ports::{DecisionCommit, PendingDecision, StoreError};
use governance::Stage;

use super::package::{self, Package};
use super::SageMakerRegistry;
use crate::metadata::{self, Metadata};

/// What the reconciler did with the decisions it found pending.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Applied before the crash, or applied now: committed and their events released.
    pub completed: Vec<String>,
    /// The version moved on (or vanished) meanwhile: dropped, their events never released.
    pub failed: Vec<String>,
}

/// Where a decision puts the package once applied.
pub(crate) fn target(commit: &DecisionCommit) -> (Stage, governance::ApprovalStatus) {
    match commit.transition {
        Transition::Move { stage, status } => (stage, status),
        Transition::Signoff { .. } => commit.decision.from,
    }
}

/// The package's metadata once the decision is applied: the full map, changed (see the metadata module).
fn applied_metadata(package: &Package, commit: &DecisionCommit) -> Metadata {
    let (stage, _) = target(commit);
    let mut meta = package.metadata.clone();
    meta.set(metadata::REVISION, (commit.expected_revision + 1).to_string());
    meta.set(metadata::STAGE, stage.as_str());
    meta.set(metadata::DECISION, commit.decision.id.as_str());
    meta.set(metadata::EVIDENCE, commit.decision.evidence_digest.as_str());
    meta
}

async fn apply(registry: &SageMakerRegistry, package: &Package, commit: &DecisionCommit) -> Result<(), StoreError> {
    let (stage, status) = target(commit);
    let description = format!(
        "{} by {}: {}",
        commit.decision.verdict.as_str(),
        commit.decision.decided_by,
        commit.decision.justification
    );
    // The approval role of the decided stage where the settings name one, so IAM lets each persona's role
    // decide its own stage only.
    package::update(
        registry.clients.decider(&package.at.registry, commit.decision.stage),
        package,
        stage,
        status,
        &description,
        applied_metadata(package, commit),
    )
    .await
}

pub async fn commit(registry: &SageMakerRegistry, commit: DecisionCommit) -> Result<(), StoreError> {
    let version = commit.decision.version.clone();
    let package = registry.package_or_404(&version).await?;
    if package.metadata.revision() != commit.expected_revision {
        return Err(StoreError::Conflict(format!("model version {version} changed meanwhile")));
    }
    // The metadata the decision writes must fit SageMaker's limits: refused now, with the reason, rather than
    // recorded as pending and failed at SageMaker.
    applied_metadata(&package, &commit).checked()?;
    let id = commit.decision.id.clone();
    // Step 1: pending. The journal lets one pending decision per version through: of racing deciders one wins.
    registry
        .journal
        .begin_decision(PendingDecision {
            project: package.at.project.clone(),
            commit: commit.clone(),
            recorded_at: registry.clock.now(),
        })
        .await?;
    // Step 2: SageMaker. A failure here drops the decision: nothing changed anywhere.
    if let Err(e) = apply(registry, &package, &commit).await {
        registry
            .journal
            .fail_decision(&id, &format!("SageMaker refused the change: {e}"), registry.clock.now())
            .await?;
        return Err(e);
    }
    if registry.abort_after_apply.load(std::sync::atomic::Ordering::SeqCst) {
        std::process::abort();
    }
    if registry.crash_after_apply.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(StoreError::Unavailable("injected crash between applying and committing a decision".into()));
    }
    // Step 3: commit and release the events.
    registry.journal.complete_decision(&id).await
}

impl SageMakerRegistry {
    /// Finishes or fails the decisions pending for longer than `grace` (a crash between applying and
    /// committing). Run at start-up and periodically; safe to run on several replicas at once.
    #[tracing::instrument(skip(self))]
    pub async fn reconcile(&self, grace: Duration) -> Result<Reconciled, StoreError> {
        let mut done = Reconciled::default();
        for pending in self.journal.pending_decisions(self.clock.now() - grace).await? {
            let commit = &pending.commit;
            let id = commit.decision.id.clone();
            let outcome = match self.package(&commit.decision.version).await? {
                // Applied before the crash: the package names the decision.
                Some(p) if p.metadata.get(metadata::DECISION) == Some(id.as_str()) => Ok(()),
                // Never applied and nothing changed since: apply it now, as the decider asked.
                Some(p) if p.metadata.revision() == commit.expected_revision => {
                    apply(self, &p, commit).await.map_err(|e| e.to_string())
                }
                Some(_) => Err("the version changed before the decision was applied".to_string()),
                None => Err("the model package no longer exists".to_string()),
            };
            match outcome {
                Ok(()) => {
                    self.journal.complete_decision(&id).await?;
                    tracing::info!(decision = %id, "pending decision completed");
                    done.completed.push(id.0);
                }
                Err(reason) => {
                    self.journal.fail_decision(&id, &reason, self.clock.now()).await?;
                    tracing::warn!(decision = %id, reason, "pending decision failed");
                    done.failed.push(id.0);
                }
            }
        }
        Ok(done)
    }
}
