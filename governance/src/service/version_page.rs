//! The version page as the signed-in person sees it: the version and its evidence, the approval panel with
//! what this person's approve and reject would do (or why not), what they may edit, monitoring over a range,
//! the training run and the timeline. Assembled here so the page's server function only calls it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Verdict};
use crate::deployment::{DeploymentRequest, SavedDeploymentConfig};
use crate::gates::Gate;
use crate::model::{IndexFreshness, ModelVersion};
use crate::monitoring::{SeriesOverview, TimeRange};
use crate::policy::{check, check_card_edit, check_config_edit, Transition};
use crate::project::ProjectPolicy;
use crate::test_run::TestRun;
use crate::timeline::TimelineEntry;
use crate::{Actor, Environment, Principal, Stage, VersionId};

use super::{Service, ServiceError, TrainingRun};

/// The approval panel: the awaited stage, its gates, and whether this person may approve or reject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalPanel {
    pub stage: Stage,
    pub gates: Vec<Gate>,
    /// `Ok(what it would do)` or `Err(the reason it is refused)`.
    pub approve: Result<String, String>,
    pub reject: Result<String, String>,
    /// Digest of the evidence on this page; the decision carries it back.
    pub evidence_digest: String,
    /// For Prod: who has signed off so far, and how many distinct sign-offs the project's quorum needs.
    pub signed_by: Vec<String>,
    pub quorum: u8,
    /// The latest test run on the page (sent back with the decision).
    pub latest_test_run: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: ModelVersion,
    pub project_name: String,
    pub policy: ProjectPolicy,
    /// The Dev source of a central copy, or the central copy of a Dev version.
    pub related: Option<ModelVersion>,
    /// The group's version in Prod now, when it is another one (see `VersionDetail::champion`).
    pub champion: Option<VersionId>,
    pub approval: Option<ApprovalPanel>,
    pub decisions: Vec<Decision>,
    pub test_runs: Vec<TestRun>,
    pub deployment_configs: Vec<SavedDeploymentConfig>,
    /// Environments whose config this person may save now, or why not.
    pub config_edit: Result<Vec<Environment>, String>,
    /// Whether this person may edit the model card now, or why not.
    pub card_edit: Result<(), String>,
    pub deployment_requests: Vec<DeploymentRequest>,
    pub monitoring: Vec<SeriesOverview>,
    pub range: TimeRange,
    /// The training run: `None` when the lineage names none, `Err` when the tracker cannot answer.
    pub training_run: Option<Result<TrainingRun, crate::experiment::ExperimentError>>,
    /// Registration, decisions, test runs, deployments and events, newest first.
    pub timeline: Vec<TimelineEntry>,
    /// When this page read the version, and how current the registry's lists are, where the registry is read
    /// through an index (SageMaker); None on the embedded registry, whose lists are the registry.
    pub freshness: Option<(DateTime<Utc>, IndexFreshness)>,
    /// The revision of what this page shows: its live stream starts from it (see `Service::revision`).
    pub revision: String,
    /// For a central Prod version: its reviews, rollback and retirement.
    pub production: Option<super::ProductionPanel>,
}

impl Service {
    /// The version page's data for `principal`, with monitoring over `range`.
    pub async fn version_page(
        &self,
        principal: &Principal,
        id: &VersionId,
        range: TimeRange,
    ) -> Result<VersionView, ServiceError> {
        let actor = Actor::Person(principal.clone());
        let detail = self.version_detail(&actor, id).await?;
        let evidence = &detail.evidence;
        let approval = detail.awaiting.clone().map(|(stage, gates)| {
            // What this person's approve and reject would do, or the rule that refuses them.
            let describe = |verdict| {
                check(principal, evidence, &detail.project.policy, stage, verdict)
                    .map(|t| match t {
                        Transition::Move { stage, status } => {
                            format!("moves the version to {stage} / {}", status.label())
                        }
                        Transition::Signoff { signed, required } => format!("records sign-off {signed} of {required}"),
                    })
                    .map_err(|d| d.reason)
            };
            ApprovalPanel {
                stage,
                gates,
                approve: describe(Verdict::Approve),
                reject: describe(Verdict::Reject),
                evidence_digest: detail.digest.clone(),
                signed_by: evidence.prod_signoffs().map(|d| d.decided_by_name.clone()).collect(),
                quorum: detail.project.policy.prod_quorum.max(1),
                latest_test_run: evidence.latest_test_run.as_ref().map(|r| r.id.to_string()),
            }
        });
        let editable: Vec<Environment> = [Environment::Test, Environment::Prod]
            .into_iter()
            .filter(|env| check_config_edit(principal, &evidence.version, *env).is_ok())
            .collect();
        let config_edit = if editable.is_empty() {
            Err(check_config_edit(principal, &evidence.version, Environment::Prod)
                .err()
                .map(|d| d.reason)
                .unwrap_or_default())
        } else {
            Ok(editable)
        };
        let now = self.now();
        let monitoring = self.monitoring(&actor, id, now - range.duration(), now, 150).await?;
        let training_run = self.training_run(&actor, &evidence.version).await?;
        let events = self.events(&actor, Some(id), super::live::VERSION_EVENTS).await?.items;
        let revision = super::live::version_revision(&detail, &events);
        let freshness = self.ports.registry.index_freshness().await?.map(|f| (now, f));
        let production = if evidence.version.registry.is_central() && evidence.version.stage == Stage::Prod {
            Some(self.production_panel(principal, evidence, &detail.project.policy, &detail.digest).await?)
        } else {
            None
        };
        let timeline = crate::timeline::timeline(
            &evidence.version,
            &evidence.decisions,
            &detail.test_runs,
            &detail.deployment_requests,
            &events,
        );
        Ok(VersionView {
            version: evidence.version.clone(),
            project_name: detail.project.name.clone(),
            policy: detail.project.policy.clone(),
            related: detail.related.clone(),
            champion: detail.champion.clone(),
            approval,
            decisions: evidence.decisions.clone(),
            test_runs: detail.test_runs.clone(),
            deployment_configs: evidence.deployment_configs.values().cloned().collect(),
            config_edit,
            card_edit: check_card_edit(principal, &evidence.version).map_err(|d| d.reason),
            deployment_requests: detail.deployment_requests.clone(),
            monitoring,
            range,
            training_run,
            timeline,
            freshness,
            revision,
            production,
        })
    }
}
