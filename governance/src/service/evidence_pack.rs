//! Exporting a version's evidence pack (see [`crate::evidence_pack`]): gathered from the live records, recorded in
//! the audit log as an export, and handed back with that entry.

use crate::evidence_pack::{
    export_record, EvidencePack, MonitoringSummary, PackContents, PackProject, PackTrainingRun, ThresholdCheck, FORMAT,
};
use crate::ports::Window;
use crate::{Actor, Principal, VersionId};

use super::{Service, ServiceError};

/// How many points of each monitoring series a pack keeps to draw it (its counts cover every point).
const MONITORING_SAMPLE: u32 = 48;

impl Service {
    /// `principal`'s export of the evidence pack of version `id`: anyone who may read the version's project.
    /// The export is an audit entry of its own, whose digests bind the pack to the chain.
    pub async fn export_evidence_pack(
        &self,
        principal: &Principal,
        id: &VersionId,
    ) -> Result<EvidencePack, ServiceError> {
        let actor = Actor::Person(principal.clone());
        // Authorizes reading the project; gathers the version, its evidence and its related version.
        let detail = self.version_detail(&actor, id).await?;
        let version = detail.evidence.version.clone();
        let mut decisions = detail.evidence.decisions.clone();
        let mut targets = vec![version.id.to_string()];
        if let Some(related) = &detail.related {
            decisions.extend(self.ports.registry.decisions(&related.id).await?);
            targets.push(related.id.to_string());
        }
        decisions.sort_by_key(|d| d.decided_at);
        let test_runs = self.every_test_run(id).await?;
        let latest_run = test_runs.first();
        let thresholds = detail
            .project
            .policy
            .metric_thresholds
            .iter()
            .map(|threshold| {
                let value = crate::gates::threshold_value(threshold, &version, latest_run);
                ThresholdCheck {
                    threshold: threshold.clone(),
                    value,
                    met: value.is_some_and(|v| threshold.bound.holds(v)),
                }
            })
            .collect();
        let now = self.now();
        let monitoring = self
            .monitoring(&actor, id, version.registered_at, now, MONITORING_SAMPLE)
            .await?
            .into_iter()
            .map(|o| MonitoringSummary {
                metric: o.series.metric,
                endpoint: o.series.endpoint,
                variant: o.series.variant,
                threshold: o.series.threshold,
                points: o.points,
                breaches: o.breaches,
                sample: o.series.points,
            })
            .collect();
        let training_run = match (version.lineage.mlflow_run_id.clone(), self.training_run(&actor, &version).await?) {
            (Some(run_id), Some(Ok(t))) => {
                Some(PackTrainingRun { run_id, source: t.source, url: t.url, run: Some(t.run), unavailable: None })
            }
            (Some(run_id), Some(Err(e))) => Some(PackTrainingRun {
                run_id,
                source: self.ports.experiments.source(),
                url: None,
                run: None,
                unavailable: Some(e.to_string()),
            }),
            _ => None,
        };
        let contents = PackContents {
            related: detail.related.clone(),
            project: PackProject {
                id: detail.project.id.clone(),
                name: detail.project.name.clone(),
                template: detail.project.template.clone(),
                policy: detail.project.policy.clone(),
            },
            thresholds,
            training_run,
            deployment_configs: detail.evidence.deployment_configs.values().cloned().collect(),
            deployment_requests: detail.deployment_requests.clone(),
            monitoring,
            decisions,
            test_runs,
            version,
        };
        let audit = self.ports.ledger.audit_of(&targets).await?;
        let record = export_record(&contents, &audit, now, principal.subject.clone())
            .map_err(|e| ServiceError::Unavailable(format!("the evidence pack cannot be written: {e}")))?;
        let export = self.ports.ledger.append_audit(record).await?;
        Ok(EvidencePack { format: FORMAT.to_string(), contents, audit, export })
    }

    /// Every test run of a version, newest first, page by page.
    async fn every_test_run(&self, id: &VersionId) -> Result<Vec<crate::test_run::TestRun>, ServiceError> {
        let mut runs = Vec::new();
        loop {
            let page = self.ports.evidence.test_runs(id, Window::new(runs.len() as u64, Window::MAX_LIMIT)).await?;
            let got = page.items.len();
            runs.extend(page.items);
            if got == 0 || runs.len() as u64 >= page.total {
                return Ok(runs);
            }
        }
    }
}
