//! Ports: the traits the domain reaches the world through. Domain types only in their signatures.
//!
//! Every write that changes state takes the [`Effects`] it causes (events and audit records) and stores
//! them atomically with the change: the transactional outbox of DESIGN.md §6.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{AuditEntry, AuditRecord, ChainBreak};
use crate::catalog::{Dataset, Subscription, SubscriptionStatus};
use crate::decision::Decision;
use crate::deployment::{DeploymentRequest, DeploymentStatus, SavedDeploymentConfig};
use crate::events::EventEnvelope;
use crate::experiment::{ExperimentError, ExperimentRun, MetricStep, RegisteredModelVersion};
use crate::model::{ModelCard, ModelGroup, ModelVersion, NewModelVersion};
use crate::monitoring::{MonitoringPush, MonitoringSeries, SeriesOverview};
use crate::policy::Transition;
use crate::project::Project;
use crate::provisioning::ProjectSetup;
use crate::template::{RenderedFile, Template, TemplateId, TemplateStatus};
use crate::test_run::TestRun;
use crate::{ApprovalStatus, DecisionId, EventId, Persona, ProjectId, Stage, Subject, VersionId};
use std::collections::{BTreeMap, BTreeSet};

/// A failure of an adapter. Internals go to the log; callers see the kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    /// A compare-and-set lost: someone changed the record first.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A system the port reaches (SageMaker, CloudWatch, ...) did not answer or refused to serve the portal;
    /// `backend` names it for the person and the operator.
    #[error("{backend} is unavailable: {detail}")]
    BackendUnavailable { backend: String, detail: String },
    /// The change cannot be made as asked, and will not be until something else changes (a limit of the
    /// registry is reached): the message says what, for the person who asked.
    #[error("{0}")]
    Refused(String),
}

/// The events and audit records a change causes, stored in the same transaction as the change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Effects {
    pub events: Vec<EventEnvelope>,
    pub audit: Vec<AuditRecord>,
}

/// Builds the effects of a change once the adapter knows what it stored (e.g. the version number).
pub type EffectsFn<T> = Box<dyn FnOnce(&T) -> Effects + Send>;

/// How far a list whose total is not kept (a search's) is counted: a total above this is a lower bound, "more
/// than 10,000", so a search never counts its whole result on every page.
pub const COUNT_BOUND: u64 = 10_000;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

impl<T> Page<T> {
    /// Whether `total` is exact; `false` when a bounded count stopped past [`COUNT_BOUND`].
    pub fn total_is_exact(&self) -> bool {
        self.total <= COUNT_BOUND
    }

    /// The `window` of a whole list held in memory.
    pub fn of(all: Vec<T>, window: Window) -> Self {
        let total = all.len() as u64;
        let items = all.into_iter().skip(window.offset as usize).take(window.limit as usize).collect();
        Self { items, total, offset: window.offset, limit: window.limit }
    }

    /// The same page with each item made into another.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            offset: self.offset,
            limit: self.limit,
        }
    }
}

/// Which part of a list to return. `limit` is capped by [`Window::MAX_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

impl Window {
    pub const MAX_LIMIT: u64 = 200;
    pub fn new(offset: u64, limit: u64) -> Self {
        Self { offset, limit: limit.clamp(1, Self::MAX_LIMIT) }
    }
}

impl Default for Window {
    fn default() -> Self {
        Self { offset: 0, limit: 25 }
    }
}

/// Filters of the registry list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionQuery {
    pub project: Option<ProjectId>,
    pub stage: Option<Stage>,
    pub status: Option<ApprovalStatus>,
    /// `Some(true)`: central registry only; `Some(false)`: Dev registries only.
    pub central: Option<bool>,
    /// Only this model group (exact; the project filter or `within` says whose).
    #[serde(default)]
    pub group: Option<crate::ids::ModelGroupName>,
    /// Matched against group name, description and version id.
    pub search: Option<String>,
    pub window: Window,
    /// Only versions of these projects (the reader's); `None`: every project.
    #[serde(default)]
    pub within: Option<Vec<ProjectId>>,
}

/// Projects and their policies.
#[async_trait]
pub trait Directory: Send + Sync {
    async fn projects(&self) -> Result<Vec<Project>, StoreError>;
    async fn project(&self, id: &ProjectId) -> Result<Option<Project>, StoreError>;
}

/// What a copy into the central registry did.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyOutcome {
    Created(Box<ModelVersion>),
    /// The source was copied already (a redelivered event): nothing new was made.
    AlreadyCopied(VersionId),
}

/// A decision to store, with the version change it makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionCommit {
    pub decision: Decision,
    /// The revision the decision was made on; the store refuses with `Conflict` if it moved.
    pub expected_revision: u64,
    pub transition: Transition,
    pub effects: Effects,
}

/// The Dev registries and the central registry.
#[async_trait]
pub trait ModelRegistry: Send + Sync {
    async fn list_groups(&self, project: Option<&ProjectId>, window: Window) -> Result<Page<ModelGroup>, StoreError>;
    async fn list_versions(&self, query: &VersionQuery) -> Result<Page<ModelVersion>, StoreError>;
    async fn version(&self, id: &VersionId) -> Result<Option<ModelVersion>, StoreError>;
    /// Versions that await a decision at `stage` in any of `projects`, oldest first.
    async fn awaiting(
        &self,
        stage: Stage,
        projects: &[ProjectId],
        window: Window,
    ) -> Result<Page<ModelVersion>, StoreError>;
    /// Registers a new version in the project's Dev registry, numbered after the group's last one.
    async fn register(
        &self,
        id: VersionId,
        new: NewModelVersion,
        registered_by: Subject,
        at: DateTime<Utc>,
        effects: EffectsFn<ModelVersion>,
    ) -> Result<ModelVersion, StoreError>;
    /// Copies a Dev-approved version into the central registry (stage Dev, Approved), keeping lineage to
    /// the source. Idempotent: a second call for the same source or event makes no second copy.
    async fn copy_to_central(
        &self,
        source: &VersionId,
        id: VersionId,
        triggering_event: &EventId,
        at: DateTime<Utc>,
        effects: EffectsFn<ModelVersion>,
    ) -> Result<CopyOutcome, StoreError>;
    /// Stores a decision and applies its transition, compare-and-set on the version's revision.
    ///
    /// # Errors
    /// `Conflict` when the version changed since `expected_revision`: of racing decisions exactly one wins.
    async fn commit_decision(&self, commit: DecisionCommit) -> Result<(), StoreError>;
    /// Replaces a version's model card, compare-and-set on its revision.
    ///
    /// # Errors
    /// `Conflict` when the version changed since `expected_revision`.
    async fn update_model_card(
        &self,
        version: &VersionId,
        expected_revision: u64,
        card: ModelCard,
        effects: Effects,
    ) -> Result<(), StoreError>;
    async fn decisions(&self, version: &VersionId) -> Result<Vec<Decision>, StoreError>;
    /// The decisions of each of a list's versions, in one read where the store can: a page of a list must not
    /// cost a query per row. Versions without decisions may be left out of the map.
    async fn decisions_of(
        &self,
        versions: &[ModelVersion],
    ) -> Result<std::collections::HashMap<VersionId, Vec<Decision>>, StoreError> {
        let mut all = std::collections::HashMap::with_capacity(versions.len());
        for v in versions {
            all.insert(v.id.clone(), self.decisions(&v.id).await?);
        }
        Ok(all)
    }
    async fn recent_decisions(&self, project: Option<&ProjectId>, window: Window)
        -> Result<Page<Decision>, StoreError>;
    /// Where decisions being applied right now (recorded pending, not yet committed) put the version: a
    /// registry without a shared transaction shows their outcome before the record does. Empty where
    /// decisions commit in one transaction.
    async fn pending_states(&self, _version: &VersionId) -> Result<Vec<(Stage, ApprovalStatus)>, StoreError> {
        Ok(Vec::new())
    }

    /// Model groups in the registry's accounts that belong to no project of the portal, as last listed.
    /// None where the portal owns the whole registry (the embedded one).
    async fn unmanaged_groups(&self) -> Result<Vec<crate::model::UnmanagedGroup>, StoreError> {
        Ok(Vec::new())
    }

    /// How current the lists are, where they are read from an index of another registry. None where the
    /// lists are the registry itself (the embedded one).
    async fn index_freshness(&self) -> Result<Option<crate::model::IndexFreshness>, StoreError> {
        Ok(None)
    }
}

/// A decision recorded as pending in the portal database while it is applied to a registry that shares no
/// transaction with it (SageMaker): DESIGN.md §6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingDecision {
    pub project: ProjectId,
    pub commit: DecisionCommit,
    pub recorded_at: DateTime<Utc>,
}

/// What claiming the central copy of a Dev version found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyClaim {
    /// This caller copies now: nobody claimed the copy before.
    Claimed,
    /// This caller copies now, taking over a claim abandoned (a crash) long enough ago: a copy may exist already.
    TakenOver,
    /// Another caller is copying right now: retry later.
    InProgress,
    /// The copy exists already.
    Copied(VersionId),
}

/// What the portal database keeps of versions whose registry lives elsewhere (SageMaker): the decisions with
/// the pending-decision protocol, the outbox of changes made there, the claims that make the central copy
/// happen once, and what the registry holds no field for (metric values, model card, training data).
#[async_trait]
pub trait RegistryJournal: Send + Sync {
    /// Records a decision as pending, its events and audit held back.
    ///
    /// # Errors
    /// `Conflict` when the version has a pending decision already: of racing deciders exactly one proceeds.
    async fn begin_decision(&self, pending: PendingDecision) -> Result<(), StoreError>;
    /// Stores the pending decision and releases its effects into the outbox. Idempotent.
    async fn complete_decision(&self, id: &DecisionId) -> Result<(), StoreError>;
    /// Drops a pending decision that could not be applied; its effects are never released. The reason goes to
    /// the audit log.
    async fn fail_decision(&self, id: &DecisionId, reason: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Decisions still pending that were recorded before `before`, oldest first.
    async fn pending_decisions(&self, before: DateTime<Utc>) -> Result<Vec<PendingDecision>, StoreError>;
    async fn decisions(&self, version: &VersionId) -> Result<Vec<Decision>, StoreError>;
    /// The decisions of several versions in one read, oldest first each (see `ModelRegistry::decisions_of`).
    async fn decisions_of(
        &self,
        versions: &[VersionId],
    ) -> Result<std::collections::HashMap<VersionId, Vec<Decision>>, StoreError> {
        let mut all = std::collections::HashMap::with_capacity(versions.len());
        for v in versions {
            all.insert(v.clone(), self.decisions(v).await?);
        }
        Ok(all)
    }
    async fn recent_decisions(&self, project: Option<&ProjectId>, window: Window)
        -> Result<Page<Decision>, StoreError>;
    /// Stores the effects of a change already made in the registry (a registration).
    async fn release(&self, effects: Effects) -> Result<(), StoreError>;
    /// Claims the central copy of `source`; a claim older than `stale_before` without a copy counts as abandoned,
    /// and a claim of an earlier package of the same version number counts for nothing.
    async fn claim_copy(&self, source: &PackageKey, stale_before: DateTime<Utc>) -> Result<CopyClaim, StoreError>;
    /// Records the copy made under a claim and releases its effects, in one transaction.
    async fn record_copy(&self, source: &PackageKey, copy: &VersionId, effects: Effects) -> Result<(), StoreError>;
    /// The central copy of a Dev package, once made.
    async fn copy_of(&self, source: &PackageKey) -> Result<Option<VersionId>, StoreError>;
    /// What the registry has no field for, by package: what was saved for an earlier package of the same
    /// version number is not returned.
    async fn details(&self, package: &PackageKey) -> Result<Option<VersionDetails>, StoreError>;
    async fn save_details(&self, package: &PackageKey, details: VersionDetails) -> Result<(), StoreError>;
}

/// A registry package's identity: its version id and when it was created. A version number is reused when a
/// package is deleted and made again, so what the portal keeps of a package (its details, its central copy) is
/// keyed by both: the new package, which nobody has reviewed, inherits nothing of the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageKey {
    pub version: VersionId,
    pub created: DateTime<Utc>,
}

impl PackageKey {
    pub fn new(version: VersionId, created: DateTime<Utc>) -> Self {
        Self { version, created }
    }
}

/// The parts of a version a SageMaker model package holds no field for (its `ModelMetrics` are S3 pointers).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VersionDetails {
    pub metrics: std::collections::BTreeMap<String, f64>,
    pub model_card: ModelCard,
    pub training_data: Vec<String>,
}

/// Evidence gathered on the way to Prod: deployment configs, test runs, deployment requests.
#[async_trait]
pub trait EvidenceStore: Send + Sync {
    async fn deployment_configs(&self, version: &VersionId) -> Result<Vec<SavedDeploymentConfig>, StoreError>;
    async fn save_deployment_config(&self, saved: SavedDeploymentConfig, effects: Effects) -> Result<(), StoreError>;
    /// Test runs of a version, newest first.
    async fn test_runs(&self, version: &VersionId, window: Window) -> Result<Page<TestRun>, StoreError>;
    async fn record_test_run(&self, run: TestRun, effects: Effects) -> Result<(), StoreError>;
    /// Creates the request unless one exists for its triggering event; returns whether it was created.
    async fn request_deployment(
        &self,
        request: DeploymentRequest,
        effects: EffectsFn<DeploymentRequest>,
    ) -> Result<bool, StoreError>;
    async fn deployment_requests(&self, version: &VersionId) -> Result<Vec<DeploymentRequest>, StoreError>;
    async fn deployment_request(&self, id: &str) -> Result<Option<DeploymentRequest>, StoreError>;
    async fn update_deployment_status(
        &self,
        id: &str,
        status: DeploymentStatus,
        message: String,
        at: DateTime<Utc>,
        effects: Effects,
    ) -> Result<(), StoreError>;
}

/// Monitoring series of deployed versions.
#[async_trait]
pub trait Monitoring: Send + Sync {
    async fn push(&self, version: &VersionId, push: MonitoringPush, effects: Effects) -> Result<(), StoreError>;
    /// The series of a version with points in `[from, to]`.
    async fn series(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MonitoringSeries>, StoreError>;
    /// The series of a version in `[from, to]` cut to `slices` time slices for drawing. Adapters that can
    /// aggregate where the data is (SQL, CloudWatch's period) should; this default reads every point.
    async fn overview(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        slices: u32,
    ) -> Result<Vec<SeriesOverview>, StoreError> {
        let series = self.series(version, from, to).await?;
        Ok(series.into_iter().map(|s| SeriesOverview::of(s, slices as usize)).collect())
    }
}

/// The experiment tracker (MLflow): read-only, and allowed to be down without taking the portal with it.
#[async_trait]
pub trait Experiments: Send + Sync {
    /// Where the runs come from, for the page ("MLflow at https://…", "embedded").
    fn source(&self) -> String;
    /// A link to the run in the tracker's own UI, if it has one.
    fn run_url(&self, run: &ExperimentRun) -> Option<String>;
    async fn run(&self, run_id: &str) -> Result<ExperimentRun, ExperimentError>;
    /// Every logged value of one metric of a run, in step order (all pages of the tracker's answer).
    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<MetricStep>, ExperimentError>;
    /// Registered model versions created from the run.
    async fn registered_versions(&self, run_id: &str) -> Result<Vec<RegisteredModelVersion>, ExperimentError>;
}

/// Where an event stands with one delivery target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Retries exhausted: on the dead-letter list until redelivered by hand.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "Pending",
            DeliveryState::Delivered => "Delivered",
            DeliveryState::Dead => "Dead",
        }
    }

    pub const ALL: [DeliveryState; 3] = [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead];

    /// The state named `s` (as [`DeliveryState::as_str`] writes it).
    pub fn parse(s: &str) -> Option<DeliveryState> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// One event's delivery to one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub event_id: EventId,
    pub target: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// An event with its delivery state per target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub envelope: EventEnvelope,
    pub deliveries: Vec<Delivery>,
}

/// The result of verifying the audit chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditVerification {
    pub entries: u64,
    pub broken: Option<ChainBreak>,
}

/// Who takes deliveries to attempt them, and until when no one else may.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryClaim {
    pub holder: String,
    pub until: DateTime<Utc>,
}

/// Which events to list: each field given narrows the list (none lists every event).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    pub version: Option<VersionId>,
    /// The event's `detail-type`, e.g. `ModelApproved`.
    pub detail_type: Option<String>,
    /// Events with at least one delivery in this state.
    pub delivery: Option<DeliveryState>,
}

/// Which audit entries to list: each field given narrows the list (none lists the whole log).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Entries about the project itself or about anything of it: its versions (either registry), their
    /// deployment requests, its dataset subscriptions.
    pub project: Option<ProjectId>,
    /// Entries made by this subject.
    pub person: Option<Subject>,
    /// One action (`decision.approve`) or a family of them (`decision`: every `decision.*`).
    pub action: Option<String>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
    /// Entries up to this one (an export pages back from the newest entry it started at, so entries
    /// appended meanwhile shift nothing).
    pub up_to_seq: Option<u64>,
}

/// An audit entry as listed for people: the entry, and the name the directory knows its actor by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditListing {
    pub entry: AuditEntry,
    pub actor_name: Option<String>,
    /// The model version the target names, as people call it (group, number, whether central), when it is one.
    pub target_version: Option<(String, u32, bool)>,
}

/// The audit log and the outbox of events.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Events, newest first, optionally only those about one version.
    async fn events(&self, version: Option<&VersionId>, window: Window) -> Result<Page<EventRecord>, StoreError> {
        let filter = EventFilter { version: version.cloned(), ..EventFilter::default() };
        self.event_log(&filter, window).await
    }
    /// Events that match `filter`, newest first.
    async fn event_log(&self, filter: &EventFilter, window: Window) -> Result<Page<EventRecord>, StoreError>;
    async fn event(&self, id: &EventId) -> Result<Option<EventRecord>, StoreError>;
    /// Audit entries, newest first.
    async fn audit(&self, window: Window) -> Result<Page<AuditEntry>, StoreError> {
        Ok(self.audit_log(&AuditFilter::default(), window).await?.map(|l| l.entry))
    }
    /// Audit entries that match `filter`, newest first, with their actors' names.
    async fn audit_log(&self, filter: &AuditFilter, window: Window) -> Result<Page<AuditListing>, StoreError>;
    /// Everyone who appears in the audit log as an actor (at most `limit`), with the directory's name for them.
    async fn audit_actors(&self, limit: u32) -> Result<Vec<(Subject, Option<String>)>, StoreError>;
    async fn verify_audit(&self) -> Result<AuditVerification, StoreError>;
    /// Every audit entry whose target is one of `targets`, oldest first.
    async fn audit_of(&self, targets: &[String]) -> Result<Vec<AuditEntry>, StoreError>;
    /// Seals `record` into the chain on its own and returns the entry as written (an export of evidence is
    /// recorded this way: it changes nothing else).
    async fn append_audit(&self, record: AuditRecord) -> Result<AuditEntry, StoreError>;
    /// Claims the deliveries due at `now` (pending, next attempt reached, not claimed by another holder whose
    /// claim is unexpired), oldest first, `target`'s only when given, for `claim.holder` until `claim.until`:
    /// of several replicas each delivery is attempted by one at a time, and a dead replica's claims lapse.
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        claim: &DeliveryClaim,
        target: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(Delivery, EventEnvelope)>, StoreError>;
    /// Extends `claim.holder`'s unfinished claims to `claim.until` (a batch still being attempted).
    async fn extend_claims(&self, claim: &DeliveryClaim) -> Result<(), StoreError>;
    async fn mark_delivered(&self, event: &EventId, target: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Records a failed attempt; `next_attempt_at` None puts the delivery on the dead-letter list.
    async fn mark_failed(
        &self,
        event: &EventId,
        target: &str,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// Puts a dead (or any) delivery back in the queue.
    async fn redeliver(&self, event: &EventId, target: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Writes `effects` once per `key`, in one transaction with remembering the key: `false` (and nothing
    /// written) when the key was seen before. What the portal notices from outside (a registry state that
    /// differs from its record) is recorded through this, so every path that notices it records it once.
    async fn record_once(
        &self,
        key: &str,
        version: &VersionId,
        at: DateTime<Utc>,
        effects: Effects,
    ) -> Result<bool, StoreError>;
}

/// A person's digest that is due: what awaits them and how many attempts were made to mail it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueDigest {
    pub recipient: crate::notification::Recipient,
    pub notices: Vec<crate::notification::Notice>,
    pub attempts: u32,
}

/// Who can be told (people as their last sign-in described them, their mutes) and the notices queued for
/// their digests: an outbox of its own, in the portal's database.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Records a person as a sign-in describes them (name, address, personas), replacing what was known.
    async fn record_recipient(
        &self,
        recipient: &crate::notification::Recipient,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn recipients(&self) -> Result<Vec<crate::notification::Recipient>, StoreError>;
    async fn recipient(&self, subject: &Subject) -> Result<Option<crate::notification::Recipient>, StoreError>;
    /// Mutes (or unmutes) a project's mail for a person, with its audit entry.
    async fn set_muted(
        &self,
        subject: &Subject,
        project: &ProjectId,
        muted: bool,
        effects: Effects,
    ) -> Result<(), StoreError>;
    /// Queues notices for people's digests; one queued for a person already (a redelivered event) is not
    /// queued again.
    async fn queue_notices(&self, queued: &[(Subject, crate::notification::Notice)]) -> Result<(), StoreError>;
    /// The digests due at `now`: people with unsent notices, last mailed before `sent_before`, whose last
    /// failure's wait is over; at most `limit`.
    async fn due_digests(
        &self,
        now: DateTime<Utc>,
        sent_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDigest>, StoreError>;
    /// The digest of `events` went out.
    async fn digest_sent(&self, subject: &Subject, events: &[EventId], at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Mailing failed: tried again at `next`, or (None) dead: kept, not tried again until a new notice comes.
    async fn digest_failed(
        &self,
        subject: &Subject,
        error: &str,
        next: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// Reviews of Prod versions (kept in the portal's database whatever the registry).
#[async_trait]
pub trait ReviewStore: Send + Sync {
    async fn review(&self, id: &crate::ReviewId) -> Result<Option<crate::review::Review>, StoreError>;
    /// The review of `version` for `cause` that is not closed, if any.
    async fn active_review(
        &self,
        version: &VersionId,
        cause: &str,
    ) -> Result<Option<crate::review::Review>, StoreError>;
    /// Every review of a version, newest first.
    async fn reviews_of(&self, version: &VersionId) -> Result<Vec<crate::review::Review>, StoreError>;
    /// Reviews in `status` of versions of any of `projects`, oldest first.
    async fn reviews_in(
        &self,
        projects: &[ProjectId],
        status: crate::review::ReviewStatus,
    ) -> Result<Vec<crate::review::Review>, StoreError>;
    /// Stores a new review (`expected_revision` None) or a change of one, compare-and-set on its revision, with
    /// the change's effects in the same transaction.
    ///
    /// # Errors
    /// `Conflict` when a new review meets an active one of the same version and cause, or the revision moved.
    async fn save_review(
        &self,
        review: &crate::review::Review,
        expected_revision: Option<u64>,
        effects: Effects,
    ) -> Result<(), StoreError>;
}

/// The time, from outside the domain so tests can set it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Fresh unique ids.
pub trait IdSource: Send + Sync {
    fn new_id(&self, prefix: &str) -> String;
}

/// Templates and their versions.
#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// The newest version of every template, by name.
    async fn templates(&self) -> Result<Vec<Template>, StoreError>;
    /// Every version of one template, newest first.
    async fn template_versions(&self, id: &TemplateId) -> Result<Vec<Template>, StoreError>;
    /// Stores a new version, or replaces a stored Draft of the same version.
    ///
    /// # Errors
    /// `Conflict` when the version exists and is not a Draft (published versions never change).
    async fn save_template(&self, template: &Template, effects: Effects) -> Result<(), StoreError>;
    /// Moves a version from one status to another, compare-and-set on `from`.
    ///
    /// # Errors
    /// `Conflict` when the stored status is not `from`.
    async fn set_template_status(
        &self,
        id: &TemplateId,
        version: u32,
        from: TemplateStatus,
        to: TemplateStatus,
        effects: Effects,
    ) -> Result<(), StoreError>;
    /// The projects made from each version of a template.
    async fn template_usage(&self, id: &TemplateId) -> Result<Vec<(u32, ProjectId)>, StoreError>;
}

/// Projects made from templates, their members and their provisioning.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Creates the project (and its directory entry and members).
    ///
    /// # Errors
    /// `Conflict` when a project with this id exists.
    async fn create_project(&self, setup: &ProjectSetup, effects: Effects) -> Result<(), StoreError>;
    async fn project_setup(&self, id: &ProjectId) -> Result<Option<ProjectSetup>, StoreError>;
    /// Projects made from templates, newest first.
    async fn project_setups(&self, window: Window) -> Result<Page<ProjectSetup>, StoreError>;
    async fn update_setup(&self, setup: &ProjectSetup, effects: Effects) -> Result<(), StoreError>;
    /// The personas a person was given as a member of projects made in the portal.
    async fn memberships(&self, subject: &Subject) -> Result<BTreeMap<ProjectId, BTreeSet<Persona>>, StoreError>;
}

/// Which subscriptions to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionFilter {
    pub project: Option<ProjectId>,
    /// Subscriptions to datasets this person produces.
    pub producer: Option<Subject>,
    pub status: Option<SubscriptionStatus>,
}

/// The data catalog and its subscriptions.
#[async_trait]
pub trait Catalog: Send + Sync {
    async fn datasets(&self) -> Result<Vec<Dataset>, StoreError>;
    async fn dataset(&self, id: &str) -> Result<Option<Dataset>, StoreError>;
    /// Registers (`new`) or updates a dataset.
    ///
    /// # Errors
    /// `Conflict` when registering an id that exists.
    async fn save_dataset(&self, dataset: &Dataset, new: bool, effects: Effects) -> Result<(), StoreError>;
    async fn subscriptions(&self, filter: &SubscriptionFilter) -> Result<Vec<Subscription>, StoreError>;
    async fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError>;
    /// Stores a new subscription (`expected` None) or moves one from the `expected` status.
    ///
    /// # Errors
    /// `Conflict` when the stored status is not `expected`.
    async fn save_subscription(
        &self,
        subscription: &Subscription,
        expected: Option<SubscriptionStatus>,
        effects: Effects,
    ) -> Result<(), StoreError>;
}

/// Why a repository operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryError {
    /// A repository of that name exists and was not made for this project.
    #[error("a repository named {0} exists already and was not made for this project")]
    Collision(String),
    #[error("{0}")]
    Failed(String),
}

/// Where projects' git repositories live (embedded: bare repositories on disk; production could be GitHub or
/// CodeCommit).
#[async_trait]
pub trait RepositoryHost: Send + Sync {
    /// Creates the repository, unless it exists already for `owner` (then it is reused: idempotent).
    /// Returns its clone URL.
    ///
    /// # Errors
    /// `Collision` when it exists for another owner (or is not a repository).
    async fn ensure(&self, name: &str, owner: &str) -> Result<String, RepositoryError>;
    /// Commits `files` on `branch` (started from `base` when the branch is new), as the whole tree when
    /// `replace`, else on top of the tree. When the branch already has a commit whose message carries
    /// `marker`, nothing is committed and that commit's id is returned (idempotent).
    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        name: &str,
        branch: &str,
        base: Option<&str>,
        files: &[RenderedFile],
        message: &str,
        marker: &str,
        replace: bool,
    ) -> Result<String, RepositoryError>;
}
