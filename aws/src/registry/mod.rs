//! The model registry on SageMaker: each project's Dev registry and the central registry are model package
//! groups (`{project}-{group}`) in their accounts; versions are model packages. What SageMaker has no field
//! for, the decisions and the outbox live in the portal database behind [`RegistryJournal`].

mod copy;
mod decide;
pub mod inventory;
mod list;
mod package;
pub mod state_change;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sagemaker::types::ModelApprovalStatus;
use aws_sdk_sagemaker::Client;
use chrono::{DateTime, Utc};
use governance::decision::Decision;
use governance::model::{ModelCard, ModelGroup, ModelVersion, NewModelVersion};
use governance::ports::{
    Clock, CopyOutcome, DecisionCommit, Effects, EffectsFn, ModelRegistry, Page, RegistryJournal, StoreError,
    VersionDetails, VersionQuery, Window,
};
use governance::{ApprovalStatus, EventId, ProjectId, Registry, Stage, Subject, VersionId};

pub use decide::Reconciled;
use list::{Scan, Summary, WindowBuffer};
use package::Package;

use crate::clients::SageMakerClients;
use crate::error::store_error;
use crate::metadata::{self, Metadata};
use crate::names::{group_name, PackageRef};

/// The order key among versions registered in the same instant: the number, so a newer one sorts after.
fn tie(at: &PackageRef) -> String {
    format!("{:010}.{}", at.number, at.id())
}
use crate::settings::AwsSettings;

/// What a listing keeps: SageMaker filters the status itself, the rest is checked here.
#[derive(Clone, Copy)]
struct Filter<'a> {
    group: Option<&'a governance::ids::ModelGroupName>,
    stage: Option<Stage>,
    status: Option<ApprovalStatus>,
    search: Option<&'a str>,
}

/// The SageMaker adapter of [`ModelRegistry`].
pub struct SageMakerRegistry {
    settings: AwsSettings,
    clients: SageMakerClients,
    journal: Arc<dyn RegistryJournal>,
    clock: Arc<dyn Clock>,
    /// The portal's projects: those of the directory at start-up, and any registered into since (a project made
    /// from a template while the portal runs).
    projects: std::sync::RwLock<Vec<ProjectId>>,
    page_size: i32,
    /// Test hook: stop a decision after SageMaker applied it and before the portal committed it, as a crash
    /// there would.
    crash_after_apply: AtomicBool,
    /// Test hook: the process itself dies at that point (`std::process::abort`), for the test that kills it.
    abort_after_apply: AtomicBool,
}

impl SageMakerRegistry {
    pub fn new(
        settings: AwsSettings,
        clients: SageMakerClients,
        journal: Arc<dyn RegistryJournal>,
        clock: Arc<dyn Clock>,
        projects: Vec<ProjectId>,
    ) -> Self {
        Self {
            settings,
            clients,
            journal,
            clock,
            projects: std::sync::RwLock::new(projects),
            page_size: 100,
            crash_after_apply: AtomicBool::new(false),
            abort_after_apply: AtomicBool::new(false),
        }
    }

    /// Smaller `ListModelPackages` pages (tests use this to cross page boundaries).
    pub fn with_page_size(mut self, size: i32) -> Self {
        self.page_size = size.clamp(1, 100);
        self
    }

    /// Fault injection for the crash test of the pending-decision protocol.
    pub fn crash_after_apply(&self, on: bool) {
        self.crash_after_apply.store(on, Ordering::SeqCst);
    }

    /// Fault injection for the crash test that kills the process between applying and committing a decision.
    pub fn abort_after_apply(&self, on: bool) {
        self.abort_after_apply.store(on, Ordering::SeqCst);
    }

    fn client(&self, registry: &Registry) -> &Client {
        self.clients.of(registry)
    }

    fn account(&self, registry: &Registry) -> &str {
        match registry {
            Registry::Central => &self.settings.central.account_id,
            Registry::Dev(project) => &self.settings.dev_account(project.as_str()).account_id,
        }
    }

    pub fn arn(&self, at: &PackageRef) -> String {
        at.arn(&self.settings.region, self.account(&at.registry))
    }

    async fn package(&self, id: &VersionId) -> Result<Option<Package>, StoreError> {
        let Some(at) = PackageRef::parse(id) else { return Ok(None) };
        package::describe(self.client(&at.registry), &at, &self.arn(&at)).await
    }

    async fn package_or_404(&self, id: &VersionId) -> Result<Package, StoreError> {
        self.package(id).await?.ok_or_else(|| StoreError::NotFound(format!("model version {id}")))
    }

    async fn to_version(&self, package: Package) -> Result<ModelVersion, StoreError> {
        let key = package.key();
        let details = self.journal.details(&key).await?.unwrap_or_default();
        let copy = match package.at.registry {
            Registry::Dev(_) => self.journal.copy_of(&key).await?,
            Registry::Central => None,
        };
        Ok(package.version(details, copy))
    }

    async fn ensure_group(&self, client: &Client, name: &str, description: &str) -> Result<(), StoreError> {
        match client
            .create_model_package_group()
            .model_package_group_name(name)
            .model_package_group_description(description.chars().take(1024).collect::<String>())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match store_error("sagemaker:CreateModelPackageGroup", name, e) {
                // Made before (by us or by another replica): nothing to do.
                StoreError::Conflict(_) => Ok(()),
                StoreError::BackendUnavailable { detail: m, .. } | StoreError::Refused(m)
                    if m.contains("already exists") =>
                {
                    Ok(())
                }
                other => Err(other),
            },
        }
    }

    /// Lists packages of the registries and projects a query names, keeping `window`.
    async fn scan(
        &self,
        registries: &[Registry],
        projects: &[ProjectId],
        status: Option<ApprovalStatus>,
        keep: impl Fn(&Summary) -> bool,
        window: Window,
        newest_first: bool,
    ) -> Result<(Vec<Summary>, u64), StoreError> {
        let mut buffer = WindowBuffer::new(window, newest_first);
        let known = self.projects();
        for project in projects {
            for registry in registries {
                let registry = match registry {
                    Registry::Dev(_) => Registry::Dev(project.clone()),
                    Registry::Central => Registry::Central,
                };
                let scan = Scan {
                    client: self.client(&registry),
                    registry,
                    project,
                    projects: &known,
                    status,
                    page_size: self.page_size,
                };
                list::each(&scan, |s| {
                    if keep(&s) {
                        buffer.push(s.created, tie(&s.at), s);
                    }
                })
                .await?;
            }
        }
        let total = buffer.total;
        Ok((buffer.into_window(), total))
    }

    async fn describe_all(&self, summaries: Vec<Summary>) -> Result<Vec<ModelVersion>, StoreError> {
        let reads = summaries.into_iter().map(|s| async move {
            let package = package::describe(self.client(&s.at.registry), &s.at, &s.arn).await?;
            match package {
                Some(p) => self.to_version(p).await.map(Some),
                None => Ok(None), // deleted between the list and the describe
            }
        });
        let versions = futures_join_all(reads).await;
        Ok(versions.into_iter().collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect())
    }

    /// Versions matching a query, with the stage filter applied on described packages where the summary carries
    /// no life cycle (the emulator). Returns the window and the total.
    async fn query(
        &self,
        registries: &[Registry],
        projects: &[ProjectId],
        filter: Filter<'_>,
        window: Window,
        newest_first: bool,
    ) -> Result<Page<ModelVersion>, StoreError> {
        let Filter { group, stage, status, search } = filter;
        let search = search.map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
        let matches_search = |s: &Summary| {
            group.is_none_or(|g| &s.at.group == g)
                && search.as_ref().is_none_or(|t| {
                    s.at.group.as_str().contains(t.as_str())
                        || s.description.to_lowercase().contains(t.as_str())
                        || s.at.id().as_str().contains(t.as_str())
                })
        };
        let Some(stage) = stage else {
            let (items, total) = self.scan(registries, projects, status, matches_search, window, newest_first).await?;
            let items = self.describe_all(items).await?;
            return Ok(Page { items, total, offset: window.offset, limit: window.limit });
        };
        // Stage lives in the life cycle: summaries that carry it are filtered at once, the rest described.
        let all = Window::new(0, u64::MAX / 4);
        let (candidates, _) = self
            .scan(
                registries,
                projects,
                status,
                |s| matches_search(s) && s.stage.is_none_or(|st| st == stage),
                all,
                newest_first,
            )
            .await?;
        let mut buffer = WindowBuffer::new(window, newest_first);
        for chunk in candidates.chunks(16) {
            for v in self.describe_all(chunk.to_vec()).await? {
                if v.stage == stage {
                    buffer.push(v.registered_at, format!("{:010}.{}", v.number, v.id), v);
                }
            }
        }
        let total = buffer.total;
        Ok(Page { items: buffer.into_window(), total, offset: window.offset, limit: window.limit })
    }

    /// The projects known now.
    pub fn projects(&self) -> Vec<ProjectId> {
        self.projects.read().map(|p| p.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Adds a project made while the portal runs, so its packages are listed and recognised from now on.
    pub fn know_project(&self, project: &ProjectId) {
        let mut projects = self.projects.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !projects.contains(project) {
            projects.push(project.clone());
        }
    }

    fn projects_of(&self, project: Option<&ProjectId>) -> Vec<ProjectId> {
        match project {
            Some(p) => vec![p.clone()],
            None => self.projects(),
        }
    }
}

async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().collect();
    let mut out = Vec::with_capacity(handles.len());
    // Sequential on purpose: the window is small and SageMaker's describe rate limit is low.
    for f in handles {
        out.push(f.await);
    }
    out
}

#[async_trait]
impl ModelRegistry for SageMakerRegistry {
    async fn list_groups(&self, project: Option<&ProjectId>, window: Window) -> Result<Page<ModelGroup>, StoreError> {
        let mut buffer = WindowBuffer::new(window, false);
        let known = self.projects();
        for project in self.projects_of(project) {
            let client = self.clients.dev(project.as_str());
            let mut token = None;
            loop {
                let out = client
                    .list_model_package_groups()
                    .name_contains(crate::names::prefix(&Registry::Dev(project.clone()), &project))
                    .max_results(self.page_size)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| {
                        store_error("sagemaker:ListModelPackageGroups", &format!("the registry of {project}"), e)
                    })?;
                for g in out.model_package_group_summary_list() {
                    let name = g.model_package_group_name().unwrap_or_default();
                    let dev = Registry::Dev(project.clone());
                    if let Some((p, group)) = list::owner(&dev, &known, name).filter(|(p, _)| *p == project) {
                        let description = g.model_package_group_description().unwrap_or_default().to_string();
                        // Sorted by project then name, as the embedded registry lists them.
                        buffer.push(DateTime::<Utc>::MIN_UTC, format!("{p}/{group}"), (p, group, description));
                    }
                }
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        let total = buffer.total;
        let mut items = Vec::new();
        for (project, name, description) in buffer.into_window() {
            let registry = Registry::Dev(project.clone());
            let page = self
                .query(
                    &[registry],
                    std::slice::from_ref(&project),
                    Filter { group: Some(&name), stage: None, status: None, search: None },
                    Window::new(0, 1),
                    true,
                )
                .await?;
            let latest = page.items.iter().find(|v| v.group == name).map(|v| (v.number, v.stage, v.status));
            items.push(ModelGroup { project, name, description, version_count: page.total as u32, latest });
        }
        Ok(Page { items, total, offset: window.offset, limit: window.limit })
    }

    async fn list_versions(&self, q: &VersionQuery) -> Result<Page<ModelVersion>, StoreError> {
        let projects: Vec<ProjectId> = self
            .projects_of(q.project.as_ref())
            .into_iter()
            .filter(|p| q.within.as_ref().is_none_or(|within| within.contains(p)))
            .collect();
        let dev = Registry::Dev(ProjectId(String::new()));
        let registries = match q.central {
            Some(true) => vec![Registry::Central],
            Some(false) => vec![dev],
            None => vec![dev, Registry::Central],
        };
        let filter = Filter { group: q.group.as_ref(), stage: q.stage, status: q.status, search: q.search.as_deref() };
        self.query(&registries, &projects, filter, q.window, true).await
    }

    async fn version(&self, id: &VersionId) -> Result<Option<ModelVersion>, StoreError> {
        match self.package(id).await? {
            Some(p) => self.to_version(p).await.map(Some),
            None => Ok(None),
        }
    }

    async fn awaiting(
        &self,
        stage: Stage,
        projects: &[ProjectId],
        window: Window,
    ) -> Result<Page<ModelVersion>, StoreError> {
        let (registry, at_stage, at_status) = match stage {
            Stage::Dev => (Registry::Dev(ProjectId(String::new())), Stage::Dev, ApprovalStatus::PendingManualApproval),
            Stage::Test => (Registry::Central, Stage::Dev, ApprovalStatus::Approved),
            Stage::Prod => (Registry::Central, Stage::Test, ApprovalStatus::Approved),
        };
        let filter = Filter { group: None, stage: Some(at_stage), status: Some(at_status), search: None };
        self.query(&[registry], projects, filter, window, false).await
    }

    async fn register(
        &self,
        _id: VersionId,
        new: NewModelVersion,
        registered_by: Subject,
        _at: DateTime<Utc>,
        effects: EffectsFn<ModelVersion>,
    ) -> Result<ModelVersion, StoreError> {
        // The adapter names versions itself (their id says where the package is); the service's id is unused.
        self.know_project(&new.project);
        let registry = Registry::Dev(new.project.clone());
        let client = self.client(&registry);
        let group = group_name(&registry, &new.project, &new.group);
        self.ensure_group(client, &group, &new.description).await?;
        let mut meta = Metadata::default();
        meta.set(metadata::PROJECT, new.project.as_str());
        meta.set(metadata::REVISION, "1");
        meta.set(metadata::STAGE, Stage::Dev.as_str());
        meta.set(metadata::REGISTERED_BY, registered_by.as_str());
        let created = client
            .create_model_package()
            .model_package_group_name(&group)
            .model_package_description(new.description.chars().take(1024).collect::<String>())
            .model_approval_status(ModelApprovalStatus::PendingManualApproval)
            .model_life_cycle(package::life_cycle(Stage::Dev, ApprovalStatus::PendingManualApproval, "registered"))
            .inference_specification(package::inference(&new.lineage.container_image, &new.lineage.artifact_uri))
            .metadata_properties(package::lineage_properties(
                new.lineage.mlflow_run_id.as_deref(),
                new.lineage.code_commit.as_deref(),
                new.project.as_str(),
            ))
            .set_customer_metadata_properties(Some(meta.checked()?))
            .send()
            .await
            .map_err(|e| store_error("sagemaker:CreateModelPackage", &group, e))?;
        let number = created.model_package_arn().and_then(crate::names::arn_number).ok_or_else(|| {
            StoreError::Unavailable("SageMaker returned no model package ARN for a new version".into())
        })?;
        let at = PackageRef { registry, project: new.project.clone(), group: new.group.clone(), number };
        let id = at.id();
        let details = VersionDetails {
            metrics: new.metrics.clone(),
            model_card: new.model_card.clone(),
            training_data: new.lineage.training_data.clone(),
        };
        // Described first: the details are the new package's, keyed by its creation time.
        let package = self.package_or_404(&id).await?;
        self.journal.save_details(&package.key(), details).await?;
        let version = self.to_version(package).await?;
        // SageMaker holds the version now; its event follows. A crash in between loses the registration event
        // only, never the version (SageMaker's own state-change event still reports it).
        self.journal.release(effects(&version)).await?;
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
        copy::copy_to_central(self, source, id, triggering_event, at, effects).await
    }

    async fn commit_decision(&self, commit: DecisionCommit) -> Result<(), StoreError> {
        decide::commit(self, commit).await
    }

    async fn update_model_card(
        &self,
        version: &VersionId,
        expected_revision: u64,
        card: ModelCard,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let package = self.package_or_404(version).await?;
        if package.metadata.revision() != expected_revision {
            return Err(StoreError::Conflict(format!("model version {version} changed meanwhile")));
        }
        // The card lives in the portal database; the package's revision still moves, so a decision made on the
        // old card is refused as stale.
        let mut meta = package.metadata.clone();
        meta.set(metadata::REVISION, (expected_revision + 1).to_string());
        let description = format!("model card updated ({})", self.clock.now().format("%Y-%m-%d %H:%M"));
        package::update(self.client(&package.at.registry), &package, package.stage, package.status, &description, meta)
            .await?;
        let mut details = self.journal.details(&package.key()).await?.unwrap_or_default();
        details.model_card = card;
        self.journal.save_details(&package.key(), details).await?;
        self.journal.release(effects).await
    }

    async fn decisions(&self, version: &VersionId) -> Result<Vec<Decision>, StoreError> {
        self.journal.decisions(version).await
    }

    async fn decisions_of(
        &self,
        versions: &[ModelVersion],
    ) -> Result<std::collections::HashMap<VersionId, Vec<Decision>>, StoreError> {
        let ids: Vec<VersionId> = versions.iter().map(|v| v.id.clone()).collect();
        self.journal.decisions_of(&ids).await
    }

    async fn recent_decisions(
        &self,
        project: Option<&ProjectId>,
        window: Window,
    ) -> Result<Page<Decision>, StoreError> {
        self.journal.recent_decisions(project, window).await
    }

    async fn pending_states(&self, version: &VersionId) -> Result<Vec<(Stage, ApprovalStatus)>, StoreError> {
        let pending = self.journal.pending_decisions(DateTime::<Utc>::MAX_UTC).await?;
        Ok(pending
            .iter()
            .filter(|p| &p.commit.decision.version == version)
            .map(|p| decide::target(&p.commit))
            .collect())
    }
}
