//! The service: orchestrates the ports under the policy. Server functions and API handlers call it and
//! do nothing else of substance.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::AuditRecord;
use crate::authz::{authorize, Action};
use crate::decision::{Decision, DecisionRequest, Verdict};
use crate::deployment::{DeploymentConfig, DeploymentRequest, DeploymentStatus, SavedDeploymentConfig};
use crate::events::{EventEnvelope, EventOrigin, PromotionEvent, VersionRef};
use crate::evidence::Evidence;
use crate::experiment::{ExperimentError, ExperimentRun, MetricStep, RegisteredModelVersion};
use crate::model::{ModelCard, ModelVersion, RegisterVersionInput};
use crate::monitoring::MonitoringPush;
use crate::policy::{self, Transition};
use crate::ports::{
    Clock, CopyOutcome, DecisionCommit, Directory, Effects, EvidenceStore, Experiments, IdSource, Ledger,
    ModelRegistry, Monitoring, Page, StoreError, Window,
};
use crate::project::Project;
use crate::test_run::{TestRun, TestRunReport};
use crate::{
    Actor, ApprovalStatus, DecisionId, Denial, DenialCode, Environment, EventId, FieldError, Persona, Principal,
    ProjectId, Registry, Stage, Subject, TestRunId, VersionId,
};

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
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(what) => ServiceError::Conflict(what),
            StoreError::Unavailable(what) => ServiceError::Unavailable(what),
        }
    }
}

/// The ports the service works through.
#[derive(Clone)]
pub struct Service {
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
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub origin: EventOrigin,
}

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
    fn version_ref(v: &ModelVersion) -> VersionRef {
        VersionRef {
            project: v.project.clone(),
            model_group: v.group.clone(),
            version_id: v.id.clone(),
            version_number: v.number,
            registry: v.registry.clone(),
        }
    }

    pub(crate) fn envelope(&self, event: PromotionEvent, at: DateTime<Utc>) -> EventEnvelope {
        event.envelope(EventId(self.ids.new_id("evt")), at, &self.origin)
    }

    async fn version_or_404(&self, id: &VersionId) -> Result<ModelVersion, ServiceError> {
        self.registry.version(id).await?.ok_or_else(|| ServiceError::NotFound(format!("model version {id}")))
    }

    pub(crate) async fn project_or_404(&self, id: &ProjectId) -> Result<Project, ServiceError> {
        self.directory.project(id).await?.ok_or_else(|| ServiceError::NotFound(format!("project {id}")))
    }

    /// Gathers the evidence the policy and the reviewer look at.
    #[tracing::instrument(skip(self))]
    pub async fn evidence(&self, version: ModelVersion) -> Result<Evidence, ServiceError> {
        let dev_approved = match (&version.registry, &version.lineage.source_version) {
            (Registry::Central, Some(source)) => self
                .registry
                .version(source)
                .await?
                .is_some_and(|s| s.stage == Stage::Dev && s.status == ApprovalStatus::Approved),
            (Registry::Dev(_), _) => version.stage == Stage::Dev && version.status == ApprovalStatus::Approved,
            (Registry::Central, None) => false,
        };
        let deployment_configs = self
            .evidence
            .deployment_configs(&version.id)
            .await?
            .into_iter()
            .map(|c| (c.environment, c))
            .collect::<BTreeMap<_, _>>();
        let latest_test_run = self.evidence.test_runs(&version.id, Window::new(0, 1)).await?.items.into_iter().next();
        let decisions = self.registry.decisions(&version.id).await?;
        Ok(Evidence { version, dev_approved, deployment_configs, latest_test_run, decisions })
    }

    /// The version page's data.
    pub async fn version_detail(&self, actor: &Actor, id: &VersionId) -> Result<VersionDetail, ServiceError> {
        authorize(actor, &Action::Read)?;
        let version = self.version_or_404(id).await?;
        let project = self.project_or_404(&version.project).await?;
        let related_id = version.lineage.source_version.clone().or_else(|| version.central_copy.clone());
        let related = match related_id {
            Some(rid) => self.registry.version(&rid).await?,
            None => None,
        };
        let evidence = self.evidence(version).await?;
        let digest = evidence.digest();
        let awaiting =
            evidence.version.awaiting().map(|stage| (stage, crate::gates::gates(stage, &evidence, &project.policy)));
        let test_runs = self.evidence.test_runs(id, Window::new(0, 50)).await?.items;
        let deployment_requests = self.evidence.deployment_requests(id).await?;
        Ok(VersionDetail { project, evidence, digest, awaiting, test_runs, deployment_requests, related })
    }

    /// The version's training run. `Ok(None)` when its lineage names no run; `Ok(Some(Err(..)))` when the
    /// tracker cannot answer, which the page shows without failing as a whole.
    pub async fn training_run(
        &self,
        actor: &Actor,
        version: &ModelVersion,
    ) -> Result<Option<Result<TrainingRun, ExperimentError>>, ServiceError> {
        authorize(actor, &Action::Read)?;
        let Some(run_id) = version.lineage.mlflow_run_id.as_deref() else { return Ok(None) };
        let experiments = &self.experiments;
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
        let now = self.clock.now();
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
        let event_id = EventId(self.ids.new_id("evt"));
        let decision = Decision {
            id: DecisionId(self.ids.new_id("dec")),
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
        };
        let model = Self::version_ref(version);
        // What CI deploys an approved version with, and the commit of it in the deploy repository.
        let deploys_with = match request.stage {
            Stage::Dev => None,
            Stage::Test => evidence.deployment_config(Environment::Test),
            Stage::Prod => evidence.deployment_config(Environment::Prod),
        };
        let event = match (transition, request.verdict) {
            (Transition::Signoff { signed, required }, _) => PromotionEvent::ProdSignoffRecorded {
                model,
                decision_id: decision.id.clone(),
                signed_by: principal.subject.clone(),
                signed,
                required,
            },
            (Transition::Move { .. }, Verdict::Approve) => PromotionEvent::ModelApproved {
                model,
                stage: request.stage,
                decision_id: decision.id.clone(),
                approved_by: principal.subject.clone(),
                persona: decision.persona,
                justification: decision.justification.clone(),
                evidence_digest: decision.evidence_digest.clone(),
                deployment_config: deploys_with.map(|c| c.config.clone()),
                deployment_commit: deploys_with.and_then(|c| c.commit.clone()),
            },
            (Transition::Move { .. }, Verdict::Reject) => PromotionEvent::ModelRejected {
                model,
                stage: request.stage,
                decision_id: decision.id.clone(),
                rejected_by: principal.subject.clone(),
                persona: decision.persona,
                justification: decision.justification.clone(),
                evidence_digest: decision.evidence_digest.clone(),
            },
        };
        let envelope = event.envelope(event_id, now, &self.origin);
        let audit = AuditRecord {
            at: now,
            actor: principal.subject.clone(),
            action: format!("decision.{}", request.verdict.as_str().to_ascii_lowercase()),
            target: version.id.to_string(),
            detail: serde_json::json!({
                "decision": decision.id,
                "stage": request.stage,
                "from": crate::events::stage_status(from.0, from.1),
                "to": crate::events::stage_status(to.0, to.1),
                "quorum": quorum,
                "justification": decision.justification,
                "evidenceDigest": decision.evidence_digest,
                "event": envelope.id,
            }),
        };
        self.registry
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

    /// Saves the deployment config an AI engineer defines for an environment.
    pub async fn save_deployment_config(
        &self,
        principal: &Principal,
        id: &VersionId,
        environment: Environment,
        config: DeploymentConfig,
    ) -> Result<(), ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(
            &Actor::Person(principal.clone()),
            &Action::SaveDeploymentConfig { project: version.project.clone(), environment },
        )?;
        policy::check_config_edit(principal, &version, environment)?;
        config.validate()?;
        // Committed first: a crash before the save leaves a commit nobody points at, never a saved config
        // whose commit is missing.
        let commit = self.commit_deployment_config(principal, &version, environment, &config).await?;
        let now = self.clock.now();
        let audit = AuditRecord {
            at: now,
            actor: principal.subject.clone(),
            action: "deployment_config.save".into(),
            target: id.to_string(),
            detail: serde_json::json!({ "environment": environment, "config": config, "commit": commit }),
        };
        self.evidence
            .save_deployment_config(
                SavedDeploymentConfig {
                    version: id.clone(),
                    environment,
                    config,
                    saved_by: principal.subject.clone(),
                    saved_at: now,
                    commit,
                },
                Effects { events: vec![], audit: vec![audit] },
            )
            .await?;
        Ok(())
    }

    /// Saves the model card a data scientist edits, while the version has not reached Test.
    pub async fn save_model_card(
        &self,
        principal: &Principal,
        id: &VersionId,
        card: ModelCard,
    ) -> Result<(), ServiceError> {
        let version = self.version_or_404(id).await?;
        policy::check_card_edit(principal, &version)?;
        let card = card.parse("")?;
        let now = self.clock.now();
        let audit = AuditRecord {
            at: now,
            actor: principal.subject.clone(),
            action: "model_card.save".into(),
            target: id.to_string(),
            detail: serde_json::json!({ "missing": card.missing_sections() }),
        };
        self.registry
            .update_model_card(id, version.revision, card, Effects { events: vec![], audit: vec![audit] })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => ServiceError::Conflict(
                    "The version changed while you edited its card: reload and try again.".into(),
                ),
                other => other.into(),
            })
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
        let now = self.clock.now();
        let event_id = EventId(self.ids.new_id("evt"));
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
        let id = VersionId(self.ids.new_id("mv"));
        Ok(self.registry.register(id, new, by, now, effects).await?)
    }

    /// Records an integration test run against a version deployed to Test.
    pub async fn record_test_results(
        &self,
        actor: &Actor,
        id: &VersionId,
        report: TestRunReport,
    ) -> Result<TestRun, ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(actor, &Action::RecordTestResults(version.project.clone()))?;
        report.validate()?;
        let deployed_to_test = version.registry.is_central()
            && matches!(version.stage, Stage::Test | Stage::Prod)
            && version.status == ApprovalStatus::Approved;
        if !deployed_to_test {
            return Err(Denial::new(
                DenialCode::NotAwaitingDecision,
                format!(
                    "Test results are recorded against a version approved for Test; this one is {} / {} in the {}.",
                    version.stage,
                    version.status.label(),
                    version.registry.label()
                ),
            )
            .into());
        }
        let by = actor.subject().cloned().unwrap_or_else(|| Subject("anonymous".into()));
        let now = self.clock.now();
        let run = TestRun {
            id: TestRunId(self.ids.new_id("run")),
            version: id.clone(),
            passed: report.passed(),
            cases: report.cases,
            performance: report.performance,
            ci_run: report.ci_run,
            reported_by: by.clone(),
            recorded_at: now,
        };
        let failures = run.cases.iter().filter(|c| c.status.is_failure()).count();
        let event = self.envelope(
            PromotionEvent::TestResultsRecorded {
                model: Self::version_ref(&version),
                test_run_id: run.id.clone(),
                passed: run.passed,
                cases: run.cases.len(),
                failures,
                reported_by: by.clone(),
            },
            now,
        );
        let audit = AuditRecord {
            at: now,
            actor: by,
            action: "test_run.record".into(),
            target: id.to_string(),
            detail: serde_json::json!({ "run": run.id, "passed": run.passed, "cases": run.cases.len(), "failures": failures }),
        };
        self.evidence.record_test_run(run.clone(), Effects { events: vec![event], audit: vec![audit] }).await?;
        Ok(run)
    }

    /// CI reports how a deployment request went.
    pub async fn report_deployment_status(
        &self,
        actor: &Actor,
        request_id: &str,
        status: DeploymentStatus,
        message: String,
    ) -> Result<DeploymentRequest, ServiceError> {
        let request = self
            .evidence
            .deployment_request(request_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("deployment request {request_id}")))?;
        let version = self.version_or_404(&request.version).await?;
        authorize(actor, &Action::ReportDeploymentStatus(version.project.clone()))?;
        let message = crate::error::text_field("message", &message, false, 2000)?;
        let by = actor.subject().cloned().unwrap_or_else(|| Subject("anonymous".into()));
        let now = self.clock.now();
        let event = self.envelope(
            PromotionEvent::DeploymentStatusReported {
                model: Self::version_ref(&version),
                deployment_request_id: request.id.clone(),
                environment: request.environment,
                status,
                reported_by: by.clone(),
            },
            now,
        );
        let audit = AuditRecord {
            at: now,
            actor: by,
            action: "deployment.status".into(),
            target: request.id.clone(),
            detail: serde_json::json!({ "status": status, "message": message }),
        };
        self.evidence
            .update_deployment_status(
                request_id,
                status,
                message,
                now,
                Effects { events: vec![event], audit: vec![audit] },
            )
            .await?;
        self.evidence
            .deployment_request(request_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("deployment request {request_id}")))
    }

    /// Stores monitoring points; a point over its threshold raises a `MonitoringAlarm` (one per push, for the
    /// worst point, so a noisy series does not flood the bus).
    pub async fn push_monitoring(
        &self,
        actor: &Actor,
        id: &VersionId,
        push: MonitoringPush,
    ) -> Result<(), ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(actor, &Action::PushMonitoring(version.project.clone()))?;
        push.validate()?;
        let now = self.clock.now();
        let worst = push.threshold.and_then(|t| {
            push.points.iter().filter(|p| p.value > t).max_by(|a, b| a.value.total_cmp(&b.value)).map(|p| (t, *p))
        });
        let events = worst
            .map(|(threshold, point)| {
                self.envelope(
                    PromotionEvent::MonitoringAlarm {
                        model: Self::version_ref(&version),
                        metric: push.metric.clone(),
                        endpoint: push.endpoint.clone(),
                        variant: push.variant.clone(),
                        value: point.value,
                        threshold,
                        at: point.at,
                    },
                    now,
                )
            })
            .into_iter()
            .collect();
        self.monitoring.push(id, push, Effects { events, audit: vec![] }).await?;
        Ok(())
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
            let page = self.registry.awaiting(stage, &projects, Window::new(0, Window::MAX_LIMIT)).await?;
            items.extend(page.items.into_iter().map(|version| InboxItem { stage, version }));
        }
        items.sort_by_key(|i| i.version.registered_at);
        Ok(items)
    }

    /// The in-process consumer of promotion events: a Dev approval copies the version into the central
    /// registry; a Test or Prod approval requests a deployment. Idempotent on the event id.
    #[tracing::instrument(skip(self, envelope), fields(event = %envelope.id, detail_type = %envelope.detail_type))]
    pub async fn handle_event(&self, envelope: &EventEnvelope) -> Result<(), ServiceError> {
        if let Some(event) = crate::path_events::PathEvent::from_envelope(envelope) {
            return self.handle_path_event(envelope, event).await;
        }
        let Some(PromotionEvent::ModelApproved { model, stage, deployment_config, .. }) =
            PromotionEvent::from_envelope(envelope)
        else {
            return Ok(());
        };
        let now = self.clock.now();
        match stage {
            Stage::Dev => {
                let origin = self.origin.clone();
                let event_id = EventId(self.ids.new_id("evt"));
                let trigger = envelope.id.clone();
                let source = model.version_id.clone();
                let effects = Box::new(move |copy: &ModelVersion| Effects {
                    events: vec![PromotionEvent::ModelCopiedToCentral {
                        model: Self::version_ref(copy),
                        source_version_id: source,
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
                let outcome = self
                    .registry
                    .copy_to_central(&model.version_id, VersionId(self.ids.new_id("mv")), &envelope.id, now, effects)
                    .await?;
                if let CopyOutcome::AlreadyCopied(copy) = outcome {
                    tracing::info!(%copy, "already copied; redelivered event ignored");
                }
                Ok(())
            }
            Stage::Test | Stage::Prod => {
                let environment = if stage == Stage::Test { Environment::Test } else { Environment::Prod };
                let Some(config) = deployment_config else {
                    tracing::warn!("approval without deployment config; no deployment requested");
                    return Ok(());
                };
                let endpoint_name = format!(
                    "{}-{}-{}",
                    model.model_group,
                    environment.as_str().to_ascii_lowercase(),
                    model.version_number
                );
                let request = DeploymentRequest {
                    id: self.ids.new_id("dep"),
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
                let event_id = EventId(self.ids.new_id("evt"));
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
                self.evidence.request_deployment(request, effects).await?;
                Ok(())
            }
        }
    }

    /// Puts an event's delivery to `target` back in the queue (after the target was fixed).
    pub async fn redeliver(&self, actor: &Actor, event: &EventId, target: &str) -> Result<(), ServiceError> {
        authorize(actor, &Action::Redeliver)?;
        self.ledger.redeliver(event, target, self.clock.now()).await?;
        tracing::info!(%event, target, by = ?actor.subject(), "redelivery requested");
        Ok(())
    }

    /// Two versions' evidence for a side-by-side comparison. Without `b`, `a` is compared with the version of
    /// its group now in Prod (the champion).
    pub async fn compare(
        &self,
        actor: &Actor,
        a: &VersionId,
        b: Option<&VersionId>,
    ) -> Result<(Evidence, Evidence), ServiceError> {
        authorize(actor, &Action::Read)?;
        let va = self.version_or_404(a).await?;
        let vb = match b {
            Some(b) => self.version_or_404(b).await?,
            None => {
                let query = crate::ports::VersionQuery {
                    project: Some(va.project.clone()),
                    stage: Some(Stage::Prod),
                    status: Some(ApprovalStatus::Approved),
                    central: Some(true),
                    search: Some(va.group.to_string()),
                    window: Window::new(0, Window::MAX_LIMIT),
                };
                self.registry
                    .list_versions(&query)
                    .await?
                    .items
                    .into_iter()
                    .filter(|v| v.group == va.group && v.id != va.id)
                    .max_by_key(|v| v.number)
                    .ok_or_else(|| {
                        ServiceError::NotFound(format!("A version of {} in Prod to compare with", va.group))
                    })?
            }
        };
        Ok((self.evidence(va).await?, self.evidence(vb).await?))
    }

    /// Registry list for the registry page and the API.
    pub async fn versions(
        &self,
        actor: &Actor,
        query: &crate::ports::VersionQuery,
    ) -> Result<Page<ModelVersion>, ServiceError> {
        match (actor, &query.project) {
            (Actor::Machine(_), Some(p)) => authorize(actor, &Action::ReadProject(p.clone()))?,
            _ => authorize(actor, &Action::Read)?,
        }
        Ok(self.registry.list_versions(query).await?)
    }
}
