//! The evidence a decision is made on, and its digest.
//!
//! The approval form carries the digest of the evidence on screen; the server recomputes it and refuses the
//! decision when they differ, so nobody approves on evidence they have not seen.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use crate::decision::{Decision, Verdict};
use crate::deployment::SavedDeploymentConfig;
use crate::model::ModelVersion;
use crate::test_run::TestRun;
use crate::{Environment, Stage, Subject};

/// Everything the policy looks at for one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub version: ModelVersion,
    /// For a central copy: whether its Dev registry source is Dev-approved.
    pub dev_approved: bool,
    pub deployment_configs: BTreeMap<Environment, SavedDeploymentConfig>,
    pub latest_test_run: Option<TestRun>,
    /// The decisions made on this version, oldest first.
    pub decisions: Vec<Decision>,
}

/// A deployment config as the digest sees it: the config and where it was committed.
type ConfigView<'a> = (&'a crate::deployment::DeploymentConfig, Option<&'a crate::deployment::ConfigCommit>);

#[derive(Serialize)]
struct DigestView<'a> {
    version: &'a str,
    stage: Stage,
    status: crate::ApprovalStatus,
    metrics: &'a BTreeMap<String, f64>,
    model_card: &'a crate::model::ModelCard,
    deployment_configs: BTreeMap<Environment, ConfigView<'a>>,
    latest_test_run: Option<(&'a str, bool)>,
    signoffs: Vec<&'a str>,
    /// A registry state that differs from the record is part of what the reviewer must have seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    outside: Option<&'a crate::record::OutsideChange>,
}

impl Evidence {
    /// Hex SHA-256 of what a reviewer sees: stage and status, metrics, model card, deployment configs, the
    /// latest test run and the sign-offs so far.
    pub fn digest(&self) -> String {
        let view = DigestView {
            version: self.version.id.as_str(),
            stage: self.version.stage,
            status: self.version.status,
            metrics: &self.version.metrics,
            model_card: &self.version.model_card,
            deployment_configs: self
                .deployment_configs
                .iter()
                .map(|(e, c)| (*e, (&c.config, c.commit.as_ref())))
                .collect(),
            latest_test_run: self.latest_test_run.as_ref().map(|r| (r.id.as_str(), r.passed)),
            signoffs: self.prod_signoffs().map(|d| d.decided_by.as_str()).collect(),
            outside: self.version.outside.as_ref(),
        };
        // Serializing a struct of owned, ordered fields cannot fail.
        let bytes = serde_json::to_vec(&view).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }

    /// Prod approvals so far (the quorum's signatures).
    pub fn prod_signoffs(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(|d| d.is_prod_signoff())
    }

    /// Who approved the version for Test.
    pub fn test_approver(&self) -> Option<&Subject> {
        self.decisions
            .iter()
            .rev()
            .find(|d| d.stage == Stage::Test && d.verdict == Verdict::Approve)
            .map(|d| &d.decided_by)
    }

    /// The config that deploys to `environment`: Prod falls back to the Test config when none of its own
    /// was saved, since most teams promote the configuration they tested.
    pub fn deployment_config(&self, environment: Environment) -> Option<&SavedDeploymentConfig> {
        self.deployment_configs.get(&environment).or(match environment {
            Environment::Prod => self.deployment_configs.get(&Environment::Test),
            Environment::Test => None,
        })
    }
}
