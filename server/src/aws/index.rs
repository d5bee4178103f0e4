//! The SageMaker registry read through the portal's registry index (`crate::store::sql::registry_index`).
//!
//! Lists, counts, filters, searches and inboxes read the index: exact totals at any offset, no SageMaker call.
//! A single version is read live (its status is SageMaker's, authoritative) and the index is corrected from
//! it; every write goes to SageMaker first (decisions stay compare-and-set there) and its result is then
//! written to the index. SageMaker's state-change events reach the index through the live read the service
//! makes for each. A periodic reconciliation pages through `ListModelPackages` and repairs what was missed:
//! packages made, changed or deleted outside the portal, or whose event was lost.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::decision::Decision;
use governance::model::{ModelCard, ModelGroup, ModelVersion, NewModelVersion};
use governance::ports::{
    Clock, CopyOutcome, DecisionCommit, Effects, EffectsFn, ModelRegistry, Page, StoreError, VersionQuery, Window,
};
use governance::{ApprovalStatus, EventId, ProjectId, Registry, Stage, Subject, VersionId};
use portal_aws::names::PackageRef;
use portal_aws::registry::inventory::GroupListing;
use portal_aws::SageMakerRegistry;

use crate::store::{to_millis, Store};

/// What one reconciliation of the index did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IndexReconciled {
    /// Package summaries listed.
    pub listed: u64,
    /// Versions described again (new, changed, or stalest in turn).
    pub described: u64,
    /// Versions whose indexed state differed from SageMaker's and was corrected.
    pub changed: Vec<VersionId>,
    /// Versions whose package is gone.
    pub removed: Vec<VersionId>,
    /// SageMaker requests the pass sent.
    pub calls: u64,
}

pub struct IndexedRegistry {
    live: Arc<SageMakerRegistry>,
    store: Store,
    clock: Arc<dyn Clock>,
    /// The pause between the reconciliation's describes.
    pace: Duration,
    describes_per_pass: u32,
}

impl IndexedRegistry {
    pub fn new(
        live: Arc<SageMakerRegistry>,
        store: Store,
        clock: Arc<dyn Clock>,
        settings: &portal_aws::AwsSettings,
    ) -> Self {
        let rate = settings.reconcile_calls_per_second.max(1);
        Self {
            live,
            store,
            clock,
            pace: Duration::from_secs(1) / rate,
            describes_per_pass: settings.reconcile_describes_per_pass,
        }
    }

    pub fn live(&self) -> &Arc<SageMakerRegistry> {
        &self.live
    }

    fn package_arn(&self, v: &ModelVersion) -> String {
        v.package_arn.clone().or_else(|| PackageRef::parse(&v.id).map(|at| self.live.arn(&at))).unwrap_or_default()
    }

    async fn put(&self, v: &ModelVersion) -> Result<(), StoreError> {
        self.store.index_put(v, &self.package_arn(v), self.clock.now()).await
    }

    /// Reads a version live and brings its index row in line: written when the package exists, removed when
    /// it does not.
    pub async fn refresh(&self, id: &VersionId) -> Result<Option<ModelVersion>, StoreError> {
        let version = self.live.version(id).await?;
        match &version {
            Some(v) => self.put(v).await?,
            None => self.store.index_remove(id).await?,
        }
        Ok(version)
    }

    /// After a write to SageMaker: the index follows, and a failure to write it is only logged (the write
    /// happened; the next live read or reconciliation brings the row in line).
    async fn follow(&self, id: &VersionId) {
        if let Err(e) = self.refresh(id).await {
            tracing::warn!(version = %id, error = %e, "the registry index could not follow a write; the reconciliation will");
        }
    }

    /// One full pass: every project's Dev and central packages listed and compared with the index; new,
    /// changed and re-created packages described and written, deleted ones removed; then the stalest rows
    /// described again in turn, and the groups listed (those no project owns kept for the admins).
    pub async fn reconcile(&self) -> Result<IndexReconciled, StoreError> {
        let calls_before = self.live.calls().total();
        let mut done = IndexReconciled::default();
        let mut confirmed = Vec::new();
        for project in self.live.projects() {
            for registry in [Registry::Dev(project.clone()), Registry::Central] {
                let summaries = self.live.summaries(&registry, &project).await?;
                let indexed = self.store.index_packages(&project, registry.is_central()).await?;
                let mut seen = HashSet::new();
                done.listed += summaries.len() as u64;
                for s in summaries {
                    let id = s.at.id();
                    seen.insert(id.clone());
                    let differs = match indexed.get(&id) {
                        None => true,
                        Some(row) => {
                            row.registered_at != to_millis(s.created)
                                || row.package_arn != s.arn
                                || s.status.is_some_and(|st| st != row.status)
                                || s.stage.is_some_and(|st| st != row.stage)
                        }
                    };
                    if !differs {
                        confirmed.push(id);
                        continue;
                    }
                    self.paced().await;
                    done.described += 1;
                    if indexed.contains_key(&id) {
                        done.changed.push(id.clone());
                    }
                    self.refresh(&id).await?;
                }
                for id in indexed.keys().filter(|id| !seen.contains(*id)) {
                    self.store.index_remove(id).await?;
                    done.removed.push(id.clone());
                }
            }
        }
        self.store.index_agreed(&confirmed, self.clock.now()).await?;
        // Summaries do not show everything (the emulator's carry no life cycle): the stalest rows are
        // described again each pass, so every row is confirmed within a bounded number of passes.
        let stalest = self.store.index_stalest(self.describes_per_pass).await?;
        for id in stalest {
            let before = self.store.index_packages_row(&id).await?;
            self.paced().await;
            done.described += 1;
            let after = self.refresh(&id).await?;
            let moved = match (&before, &after) {
                (Some(b), Some(a)) => b.0 != a.stage || b.1 != a.status,
                (Some(_), None) => true,
                _ => false,
            };
            if moved && !done.changed.contains(&id) {
                done.changed.push(id);
            }
        }
        let mut groups = Vec::new();
        let mut unmanaged = Vec::new();
        for listing in self.live.groups().await? {
            match listing {
                GroupListing::Managed { registry: Registry::Dev(project), group, description, .. } => {
                    groups.push((project, group.as_str().to_string(), description))
                }
                GroupListing::Managed { .. } => {}
                GroupListing::Unrecognised { account, name } => unmanaged.push((account, name)),
            }
        }
        self.store.index_replace_groups(&groups, &unmanaged, self.clock.now()).await?;
        done.calls = self.live.calls().total() - calls_before;
        Ok(done)
    }

    async fn paced(&self) {
        if !self.pace.is_zero() {
            tokio::time::sleep(self.pace).await;
        }
    }

    /// When the index last agreed with SageMaker on a version, if it is indexed.
    pub async fn agreed_at(&self, id: &VersionId) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.store.index_agreed_at(id).await
    }
}

/// How far SageMaker's clock and the portal's may disagree: a decision is never older than its package by more.
const CLOCK_TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);

/// The decisions that can be about the package created at `created`: a version number is reused when a package
/// is deleted and made again, and the decisions recorded on the earlier package (made before this one existed)
/// must not count for the new one, which nobody has reviewed.
pub fn of_this_package(decisions: Vec<Decision>, created: DateTime<Utc>) -> Vec<Decision> {
    decisions.into_iter().filter(|d| d.decided_at + CLOCK_TOLERANCE >= created).collect()
}

#[async_trait]
impl ModelRegistry for IndexedRegistry {
    async fn list_groups(&self, project: Option<&ProjectId>, window: Window) -> Result<Page<ModelGroup>, StoreError> {
        self.store.index_list_groups(project, window).await
    }

    async fn list_versions(&self, q: &VersionQuery) -> Result<Page<ModelVersion>, StoreError> {
        self.store.index_list_versions(q).await
    }

    async fn version(&self, id: &VersionId) -> Result<Option<ModelVersion>, StoreError> {
        let version = self.live.version(id).await?;
        let kept = match &version {
            Some(v) => self.put(v).await,
            None => self.store.index_remove(id).await,
        };
        if let Err(e) = kept {
            tracing::warn!(version = %id, error = %e, "the registry index could not be brought in line with a read");
        }
        Ok(version)
    }

    async fn awaiting(
        &self,
        stage: Stage,
        projects: &[ProjectId],
        window: Window,
    ) -> Result<Page<ModelVersion>, StoreError> {
        self.store.index_awaiting(stage, projects, window).await
    }

    async fn register(
        &self,
        id: VersionId,
        new: NewModelVersion,
        registered_by: Subject,
        at: DateTime<Utc>,
        effects: EffectsFn<ModelVersion>,
    ) -> Result<ModelVersion, StoreError> {
        let (project, group, description) = (new.project.clone(), new.group.clone(), new.description.clone());
        let version = self.live.register(id, new, registered_by, at, effects).await?;
        // The group first: the version's row then counts in it.
        if let Err(e) = self.store.index_put_group(&project, group.as_str(), &description).await {
            tracing::warn!(error = %e, "the registry index could not record a new group");
        }
        if let Err(e) = self.put(&version).await {
            tracing::warn!(version = %version.id, error = %e, "the registry index could not follow a registration");
        }
        Ok(version)
    }

    async fn copy_to_central(
        &self,
        source: &VersionId,
        id: VersionId,
        triggering_event: &EventId,
        at: DateTime<Utc>,
        effects: EffectsFn<ModelVersion>,
    ) -> Result<CopyOutcome, StoreError> {
        let outcome = self.live.copy_to_central(source, id, triggering_event, at, effects).await?;
        self.follow(source).await;
        match &outcome {
            CopyOutcome::Created(copy) => self.follow(&copy.id).await,
            CopyOutcome::AlreadyCopied(copy) => self.follow(copy).await,
        }
        Ok(outcome)
    }

    async fn commit_decision(&self, commit: DecisionCommit) -> Result<(), StoreError> {
        let version = commit.decision.version.clone();
        let result = self.live.commit_decision(commit).await;
        // Applied or refused (the package moved meanwhile): either way the index takes SageMaker's state.
        self.follow(&version).await;
        result
    }

    async fn update_model_card(
        &self,
        version: &VersionId,
        expected_revision: u64,
        card: ModelCard,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let result = self.live.update_model_card(version, expected_revision, card, effects).await;
        self.follow(version).await;
        result
    }

    async fn decisions(&self, version: &VersionId) -> Result<Vec<Decision>, StoreError> {
        let decisions = self.live.decisions(version).await?;
        Ok(match self.store.index_registered_at(version).await? {
            Some(created) => of_this_package(decisions, created),
            None => decisions,
        })
    }

    async fn decisions_of(
        &self,
        versions: &[ModelVersion],
    ) -> Result<std::collections::HashMap<VersionId, Vec<Decision>>, StoreError> {
        let mut all = self.live.decisions_of(versions).await?;
        // A listed version comes from the index, whose registration time is its package's creation time.
        for v in versions {
            if let Some(decisions) = all.remove(&v.id) {
                all.insert(v.id.clone(), of_this_package(decisions, v.registered_at));
            }
        }
        Ok(all)
    }

    async fn recent_decisions(
        &self,
        project: Option<&ProjectId>,
        window: Window,
    ) -> Result<Page<Decision>, StoreError> {
        self.live.recent_decisions(project, window).await
    }

    async fn pending_states(&self, version: &VersionId) -> Result<Vec<(Stage, ApprovalStatus)>, StoreError> {
        self.live.pending_states(version).await
    }

    async fn unmanaged_groups(&self) -> Result<Vec<governance::model::UnmanagedGroup>, StoreError> {
        let groups = self.store.index_unmanaged_groups().await?;
        Ok(groups.into_iter().map(|(account, name)| governance::model::UnmanagedGroup { account, name }).collect())
    }

    async fn index_freshness(&self) -> Result<Option<governance::model::IndexFreshness>, StoreError> {
        let reconciled_at = self.store.index_reconciled_at().await?;
        Ok(Some(governance::model::IndexFreshness { registry: "SageMaker".into(), reconciled_at }))
    }
}
