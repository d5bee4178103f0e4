//! Evidence recorded against a version: deployment configs, the model card, integration test runs,
//! deployment status and monitoring.

use crate::audit::AuditRecord;
use crate::authz::{authorize, Action};
use crate::deployment::{ConfigCommit, DeploymentConfig, DeploymentRequest, DeploymentStatus, SavedDeploymentConfig};
use crate::events::PromotionEvent;
use crate::model::ModelCard;
use crate::monitoring::MonitoringPush;
use crate::policy::{self};
use crate::ports::{Effects, StoreError};
use crate::template::{RenderedFile, Repository};
use crate::test_run::{TestRun, TestRunReport};
use crate::{Actor, ApprovalStatus, Denial, DenialCode, Environment, Principal, Stage, Subject, TestRunId, VersionId};

use super::{Service, ServiceError};

impl Service {
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
        let now = self.ports.clock.now();
        let audit = AuditRecord {
            at: now,
            actor: principal.subject.clone(),
            action: "deployment_config.save".into(),
            target: id.to_string(),
            detail: serde_json::json!({ "environment": environment, "config": config, "commit": commit }),
        };
        self.ports
            .evidence
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
        authorize(&Actor::Person(principal.clone()), &Action::EditModelCard(version.project.clone()))?;
        policy::check_card_edit(principal, &version)?;
        let card = card.parse("")?;
        let now = self.ports.clock.now();
        let audit = AuditRecord {
            at: now,
            actor: principal.subject.clone(),
            action: "model_card.save".into(),
            target: id.to_string(),
            detail: serde_json::json!({ "missing": card.missing_sections() }),
        };
        self.ports
            .registry
            .update_model_card(id, version.revision, card, Effects { events: vec![], audit: vec![audit] })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => ServiceError::Conflict(
                    "The version changed while you edited its card: reload and try again.".into(),
                ),
                other => other.into(),
            })
    }

    /// Whether `actor` may record test results against the version and the version takes them (it is
    /// approved for Test): asked before a report is parsed, so nobody makes the portal parse a report that
    /// would be refused, and again when it is recorded.
    pub async fn accepts_test_results(
        &self,
        actor: &Actor,
        id: &VersionId,
    ) -> Result<crate::model::ModelVersion, ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(actor, &Action::RecordTestResults(version.project.clone()))?;
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
        Ok(version)
    }

    /// Records an integration test run against a version deployed to Test.
    pub async fn record_test_results(
        &self,
        actor: &Actor,
        id: &VersionId,
        report: TestRunReport,
    ) -> Result<TestRun, ServiceError> {
        let version = self.accepts_test_results(actor, id).await?;
        report.validate()?;
        let by = actor.subject().cloned().unwrap_or_else(|| Subject("anonymous".into()));
        let now = self.ports.clock.now();
        let run = TestRun {
            id: TestRunId(self.ports.ids.new_id("run")),
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
        self.ports.evidence.record_test_run(run.clone(), Effects { events: vec![event], audit: vec![audit] }).await?;
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
            .ports
            .evidence
            .deployment_request(request_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("deployment request {request_id}")))?;
        let version = self.version_or_404(&request.version).await?;
        authorize(actor, &Action::ReportDeploymentStatus(version.project.clone()))?;
        let message = crate::error::text_field("message", &message, false, 2000)?;
        let by = actor.subject().cloned().unwrap_or_else(|| Subject("anonymous".into()));
        let now = self.ports.clock.now();
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
        self.ports
            .evidence
            .update_deployment_status(
                request_id,
                status,
                message,
                now,
                Effects { events: vec![event], audit: vec![audit] },
            )
            .await?;
        self.ports
            .evidence
            .deployment_request(request_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("deployment request {request_id}")))
    }

    /// Stores monitoring points; a point over its threshold raises a `MonitoringAlarm` (one per push, for the
    /// worst point, so a noisy series does not flood the bus), and a breach sustained for the project's window
    /// opens a review of a Prod version (see `reviews.rs`).
    pub async fn push_monitoring(
        &self,
        actor: &Actor,
        id: &VersionId,
        push: MonitoringPush,
    ) -> Result<(), ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(actor, &Action::PushMonitoring(version.project.clone()))?;
        push.validate()?;
        let now = self.ports.clock.now();
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
        self.ports.monitoring.push(id, push.clone(), Effects { events, audit: vec![] }).await?;
        // The points are stored whatever the review keeping does next: a failure there is logged, and the
        // next push of the series evaluates the breach again.
        if let Err(e) = self.review_breach(&version, &push).await {
            tracing::warn!(version = %id, error = %e, "the breach review was not updated");
        }
        Ok(())
    }

    /// Commits a deployment config to the deploy repository of the version's project as
    /// `config/{environment}.json` on `main`, so what CI deploys is what was reviewed. None when the project
    /// has no provisioned deploy repository (it was not made from a template).
    pub(crate) async fn commit_deployment_config(
        &self,
        principal: &Principal,
        version: &crate::model::ModelVersion,
        environment: crate::Environment,
        config: &crate::deployment::DeploymentConfig,
    ) -> Result<Option<ConfigCommit>, ServiceError> {
        let Some(setup) = self.ports.projects.project_setup(&version.project).await? else { return Ok(None) };
        let Some(repo) = setup.provisioning.repositories.iter().find(|r| r.repository == Repository::Deploy) else {
            return Ok(None);
        };
        let path = format!("config/{}.json", environment.as_str().to_lowercase());
        let content = serde_json::to_string_pretty(&serde_json::json!({
            "model_version": version.id,
            "model_group": version.group,
            "environment": environment,
            "config": config,
        }))
        .unwrap_or_default()
            + "\n";
        // Each save is its own commit (saving A, then B, then A again must leave A at the tip).
        let marker = self.ports.ids.new_id("cfg");
        let message = format!(
            "{environment} deployment config for {}\n\nSaved by {} in the portal.\n\nPortal-Event: {marker}\n",
            version.id, principal.subject
        );
        let file = RenderedFile { repository: Repository::Deploy, path: path.clone(), content };
        let commit = self
            .ports
            .repositories
            .commit(&repo.name, "main", None, &[file], &message, &marker, false)
            .await
            .map_err(|e| {
                ServiceError::Conflict(format!("The deployment config could not be committed to {}: {e}", repo.name))
            })?;
        Ok(Some(ConfigCommit { repository: repo.name.clone(), path, commit }))
    }
}
