//! Reading the registry: a version with its evidence, lists, the inbox, comparisons, and registering a
//! version reported by a build pipeline.

use std::collections::BTreeMap;

use crate::audit::AuditRecord;
use crate::authz::{authorize, Action};
use crate::deployment::DeploymentRequest;
use crate::events::PromotionEvent;
use crate::evidence::Evidence;
use crate::experiment::{ExperimentError, ExperimentRun, MetricStep, RegisteredModelVersion};
use crate::model::{ModelVersion, RegisterVersionInput};
use crate::ports::{Effects, Page, Window};
use crate::project::Project;
use crate::test_run::TestRun;
use crate::{Actor, ApprovalStatus, EventId, Persona, Principal, ProjectId, Registry, Stage, Subject, VersionId};
use serde::{Deserialize, Serialize};

use super::{Service, ServiceError};

/// Everything the version page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionDetail {
    pub project: Project,
    pub evidence: Evidence,
    pub digest: String,
    /// The stage whose decision the version awaits, with its gates.
    pub awaiting: Option<(Stage, Vec<crate::gates::Gate>)>,
    pub test_runs: Vec<TestRun>,
    pub deployment_requests: Vec<DeploymentRequest>,
    /// For a central copy: its Dev source; for a Dev version: its central copy.
    pub related: Option<ModelVersion>,
    /// The group's version in Prod now, when there is one and it is another version: what "compare with the
    /// version in Prod" compares with (the link is shown only then).
    pub champion: Option<VersionId>,
}

/// The training run behind a version, as the experiment tracker knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRun {
    pub run: ExperimentRun,
    /// Where the run was read from, and a link to it in the tracker's UI.
    pub source: String,
    pub url: Option<String>,
    /// Every metric's logged values, in step order.
    pub history: Vec<(String, Vec<MetricStep>)>,
    pub registered: Vec<RegisteredModelVersion>,
}

/// What awaits a person's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxItem {
    pub stage: Stage,
    pub version: ModelVersion,
}

impl Service {
    /// Gathers the evidence the policy and the reviewer look at.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn evidence(&self, version: ModelVersion) -> Result<Evidence, ServiceError> {
        // Only the portal's record counts: the central copy must be the one the portal made from its Dev
        // source, and the source's Dev approval a decision the portal recorded, which the registry still agrees
        // with. An approval set in SageMaker, or a package whose metadata merely points at a source, is not one.
        let dev_approved = match (&version.registry, &version.lineage.source_version) {
            (Registry::Central, Some(source)) => match self.ports.registry.version(source).await? {
                Some(source) => {
                    let decisions = self.ports.registry.decisions(&source.id).await?;
                    let source = crate::record::as_recorded(source, &decisions);
                    source.central_copy.as_ref() == Some(&version.id)
                        && crate::record::dev_approval_recorded(&source, &decisions)
                }
                None => false,
            },
            (Registry::Dev(_), _) => version.stage == Stage::Dev && version.status == ApprovalStatus::Approved,
            (Registry::Central, None) => false,
        };
        let deployment_configs = self
            .ports
            .evidence
            .deployment_configs(&version.id)
            .await?
            .into_iter()
            .map(|c| (c.environment, c))
            .collect::<BTreeMap<_, _>>();
        let latest_test_run =
            self.ports.evidence.test_runs(&version.id, Window::new(0, 1)).await?.items.into_iter().next();
        let decisions = self.ports.registry.decisions(&version.id).await?;
        Ok(Evidence { version, dev_approved, deployment_configs, latest_test_run, decisions })
    }

    /// The version page's data.
    pub async fn version_detail(&self, actor: &Actor, id: &VersionId) -> Result<VersionDetail, ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(actor, &Action::ReadProject(version.project.clone()))?;
        let project = self.project_or_404(&version.project).await?;
        let related_id = version.lineage.source_version.clone().or_else(|| version.central_copy.clone());
        let related = match related_id {
            Some(rid) => match self.ports.registry.version(&rid).await? {
                Some(v) => Some(self.as_recorded(v).await?),
                None => None,
            },
            None => None,
        };
        let evidence = self.evidence(version).await?;
        let digest = evidence.digest();
        let awaiting =
            evidence.version.awaiting().map(|stage| (stage, crate::gates::gates(stage, &evidence, &project.policy)));
        let test_runs = self.ports.evidence.test_runs(id, Window::new(0, 50)).await?.items;
        let deployment_requests = self.ports.evidence.deployment_requests(id).await?;
        let champion = self.champion(&evidence.version).await?.map(|v| v.id);
        Ok(VersionDetail { project, evidence, digest, awaiting, test_runs, deployment_requests, related, champion })
    }

    /// The version of `of`'s group in Prod now (approved there by the portal's record), other than `of`.
    async fn champion(&self, of: &ModelVersion) -> Result<Option<ModelVersion>, ServiceError> {
        let query = crate::ports::VersionQuery {
            project: Some(of.project.clone()),
            stage: Some(Stage::Prod),
            status: Some(ApprovalStatus::Approved),
            central: Some(true),
            group: Some(of.group.clone()),
            search: None,
            window: Window::new(0, Window::MAX_LIMIT),
            within: None,
        };
        let listed = self.ports.registry.list_versions(&query).await?.items;
        Ok(self
            .all_as_recorded(listed)
            .await?
            .into_iter()
            .filter(|v| v.stage == Stage::Prod && v.status == ApprovalStatus::Approved)
            .filter(|v| v.group == of.group && v.id != of.id)
            .max_by_key(|v| v.number))
    }

    /// The version's training run. `Ok(None)` when its lineage names no run; `Ok(Some(Err(..)))` when the
    /// tracker cannot answer, which the page shows without failing as a whole.
    pub async fn training_run(
        &self,
        actor: &Actor,
        version: &ModelVersion,
    ) -> Result<Option<Result<TrainingRun, ExperimentError>>, ServiceError> {
        authorize(actor, &Action::ReadProject(version.project.clone()))?;
        let Some(run_id) = version.lineage.mlflow_run_id.as_deref() else { return Ok(None) };
        let experiments = &self.ports.experiments;
        let read = async {
            let run = experiments.run(run_id).await?;
            let keys: Vec<&String> = run.metrics.keys().collect();
            let histories = futures_util::future::join_all(keys.iter().map(|k| experiments.metric_history(run_id, k)));
            let (histories, registered) =
                futures_util::future::join(histories, experiments.registered_versions(run_id)).await;
            let history = keys
                .iter()
                .zip(histories)
                .map(|(k, h)| h.map(|h| (k.to_string(), h)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(TrainingRun {
                source: experiments.source(),
                url: experiments.run_url(&run),
                history,
                registered: registered?,
                run,
            })
        };
        Ok(Some(read.await))
    }

    /// How many versions await a decision on each stage, over every project: what operators watch (the
    /// portal's metrics), not a person's view, so no principal is needed and no version is read.
    pub async fn awaiting_totals(&self) -> Result<Vec<(Stage, u64)>, ServiceError> {
        let projects: Vec<ProjectId> = self.ports.directory.projects().await?.into_iter().map(|p| p.id).collect();
        let mut totals = Vec::with_capacity(Stage::ALL.len());
        for stage in Stage::ALL {
            totals.push((stage, self.ports.registry.awaiting(stage, &projects, Window::new(0, 1)).await?.total));
        }
        Ok(totals)
    }

    /// What awaits `principal`'s decision across their projects, oldest first.
    pub async fn inbox(&self, principal: &Principal) -> Result<Vec<InboxItem>, ServiceError> {
        let mut items = Vec::new();
        for stage in Stage::ALL {
            let persona = Persona::deciding(stage);
            let projects: Vec<ProjectId> =
                principal.memberships.iter().filter(|(_, p)| p.contains(&persona)).map(|(id, _)| id.clone()).collect();
            if projects.is_empty() {
                continue;
            }
            // Every page: an inbox that stops at a window loses the newest work (what arrived last waits at the end).
            let mut offset = 0;
            loop {
                let window = Window::new(offset, Window::MAX_LIMIT);
                let page = self.ports.registry.awaiting(stage, &projects, window).await?;
                let seen = page.items.len() as u64;
                // Listed by the registry's state; kept only where the portal's record awaits this stage too.
                let versions = self.all_as_recorded(page.items).await?;
                items.extend(
                    versions
                        .into_iter()
                        .filter(|v| v.awaiting() == Some(stage))
                        .map(|version| InboxItem { stage, version }),
                );
                offset += seen;
                if seen == 0 || offset >= page.total {
                    break;
                }
            }
        }
        items.sort_by_key(|i| i.version.registered_at);
        Ok(items)
    }

    /// Two versions' evidence for a side-by-side comparison. Without `b`, `a` is compared with the version of
    /// its group now in Prod (the champion).
    pub async fn compare(
        &self,
        actor: &Actor,
        a: &VersionId,
        b: Option<&VersionId>,
    ) -> Result<(Evidence, Evidence), ServiceError> {
        let va = self.version_or_404(a).await?;
        authorize(actor, &Action::ReadProject(va.project.clone()))?;
        let vb = match b {
            Some(b) => self.version_or_404(b).await?,
            None => self
                .champion(&va)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("A version of {} in Prod to compare with", va.group)))?,
        };
        authorize(actor, &Action::ReadProject(vb.project.clone()))?;
        Ok((self.evidence(va).await?, self.evidence(vb).await?))
    }

    /// Registry list for the registry page and the API.
    pub async fn versions(
        &self,
        actor: &Actor,
        query: &crate::ports::VersionQuery,
    ) -> Result<Page<ModelVersion>, ServiceError> {
        let mut query = query.clone();
        query.project = self.scope(actor, query.project.take())?;
        query.within = Self::visible_projects(actor);
        let mut page = self.ports.registry.list_versions(&query).await?;
        page.items = self.all_as_recorded(page.items).await?;
        Ok(page)
    }

    /// Registers a Dev model version reported by a build pipeline.
    pub async fn register_version(
        &self,
        actor: &Actor,
        project: &ProjectId,
        input: RegisterVersionInput,
    ) -> Result<ModelVersion, ServiceError> {
        authorize(actor, &Action::RegisterVersion(project.clone()))?;
        self.project_or_404(project).await?;
        let new = input.parse(project.clone())?;
        self.check_lineage(project, &new.lineage.training_data).await?;
        let by = actor.subject().cloned().unwrap_or_else(|| Subject("anonymous".into()));
        let now = self.ports.clock.now();
        let event_id = EventId(self.ports.ids.new_id("evt"));
        let origin = self.origin.clone();
        let by_for_effects = by.clone();
        let effects = Box::new(move |v: &ModelVersion| Effects {
            events: vec![PromotionEvent::ModelVersionRegistered {
                model: Self::version_ref(v),
                registered_by: by_for_effects.clone(),
                mlflow_run_id: v.lineage.mlflow_run_id.clone(),
            }
            .envelope(event_id, now, &origin)],
            audit: vec![AuditRecord {
                at: now,
                actor: by_for_effects,
                action: "version.register".into(),
                target: v.id.to_string(),
                detail: serde_json::json!({ "group": v.group, "number": v.number, "artifact": v.lineage.artifact_uri }),
            }],
        });
        let id = VersionId(self.ports.ids.new_id("mv"));
        Ok(self.ports.registry.register(id, new, by, now, effects).await?)
    }
}
