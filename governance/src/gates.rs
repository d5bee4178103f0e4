//! The gates of a stage: the evidence required before a version may be approved into it.

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::project::ProjectPolicy;
use crate::{ApprovalStatus, Environment, Stage};

/// One gate and whether the evidence meets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub label: String,
    pub met: bool,
    /// What was found, in words.
    pub detail: String,
    /// Anchor of the evidence on the version page, e.g. `#test-runs`.
    pub evidence: String,
}

/// A commit id as people read it.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn gate(label: impl Into<String>, met: bool, detail: impl Into<String>, evidence: &str) -> Gate {
    Gate { label: label.into(), met, detail: detail.into(), evidence: evidence.to_string() }
}

/// The gates for approving `evidence.version` into `stage`, met or unmet.
pub fn gates(stage: Stage, evidence: &Evidence, policy: &ProjectPolicy) -> Vec<Gate> {
    let mut out = stage_gates(stage, evidence, policy);
    if policy.lineage_required.contains(&stage) {
        out.push(lineage_gate(&evidence.version));
    }
    out
}

/// The value a threshold is held to: the version's metric, else its latest test run's performance figure.
pub fn threshold_value(
    threshold: &crate::project::MetricThreshold,
    version: &crate::model::ModelVersion,
    latest_run: Option<&crate::test_run::TestRun>,
) -> Option<f64> {
    version
        .metrics
        .get(&threshold.metric)
        .or_else(|| latest_run.and_then(|r| r.performance.get(&threshold.metric)))
        .copied()
}

/// The lineage a policy can ask for: where the training data came from and the run that trained the model.
fn lineage_gate(v: &crate::model::ModelVersion) -> Gate {
    let mut missing = Vec::new();
    if v.lineage.training_data.is_empty() {
        missing.push("training data references");
    }
    if v.lineage.mlflow_run_id.is_none() {
        missing.push("the training run");
    }
    let detail = if missing.is_empty() {
        format!(
            "{} training data reference(s); training run {}",
            v.lineage.training_data.len(),
            v.lineage.mlflow_run_id.as_deref().unwrap_or_default()
        )
    } else {
        format!("missing: {}", missing.join(" and "))
    };
    gate("Lineage recorded", missing.is_empty(), detail, "#lineage")
}

fn stage_gates(stage: Stage, evidence: &Evidence, policy: &ProjectPolicy) -> Vec<Gate> {
    let v = &evidence.version;
    match stage {
        Stage::Dev => vec![gate(
            "Registered in the project's Dev registry",
            !v.registry.is_central(),
            v.registry.label(),
            "#lineage",
        )],
        Stage::Test => {
            let config = evidence.deployment_config(Environment::Test);
            let config_detail = match config.map(|c| (c.config.validate(), c.commit.as_ref())) {
                None => "no Test deployment config saved yet".to_string(),
                Some((Ok(()), None)) => "saved and valid".to_string(),
                Some((Ok(()), Some(c))) => {
                    format!("saved and valid; {} at commit {} of {}", c.path, short(&c.commit), c.repository)
                }
                Some((Err(e), _)) => format!("invalid: {e}"),
            };
            vec![
                gate(
                    "Copied into the central registry",
                    v.registry.is_central(),
                    if v.registry.is_central() { "central copy" } else { "still in the Dev registry" },
                    "#lineage",
                ),
                gate(
                    "Dev-approved",
                    evidence.dev_approved,
                    if evidence.dev_approved {
                        "approved by a Data Scientist in the portal"
                    } else {
                        "no Dev approval recorded by the portal for the Dev version this was copied from"
                    },
                    "#decisions",
                ),
                gate(
                    "Valid deployment config for Test",
                    config.is_some_and(|c| c.config.validate().is_ok()),
                    config_detail,
                    "#deployment-config",
                ),
            ]
        }
        Stage::Prod => prod_gates(evidence, policy),
    }
}

fn prod_gates(evidence: &Evidence, policy: &ProjectPolicy) -> Vec<Gate> {
    let v = &evidence.version;
    let test_approved = v.stage == Stage::Test && v.status == ApprovalStatus::Approved;
    let mut out =
        vec![gate("Test-approved", test_approved, format!("now {} / {}", v.stage, v.status.label()), "#decisions")];
    let run = evidence.latest_test_run.as_ref();
    out.push(gate(
        "Latest integration test run passed",
        run.is_some_and(|r| r.passed),
        match run {
            None => "no test run reported yet".to_string(),
            Some(r) if r.passed => format!("run {} passed ({} cases)", r.id, r.cases.len()),
            Some(r) => format!(
                "run {} failed: {} of {} cases failed",
                r.id,
                r.cases.iter().filter(|c| c.status.is_failure()).count(),
                r.cases.len()
            ),
        },
        "#test-runs",
    ));
    // A suite the project's template requires must be in the latest run, with no failed case.
    for suite in &policy.required_test_suites {
        let cases: Vec<_> = run.map(|r| r.cases.iter().filter(|c| &c.suite == suite).collect()).unwrap_or_default();
        let failed = cases.iter().filter(|c| c.status.is_failure()).count();
        let (met, detail) = match (run, cases.len(), failed) {
            (None, _, _) => (false, "no test run reported yet".to_string()),
            (Some(_), 0, _) => (false, format!("the latest run has no case of suite {suite}")),
            (Some(_), n, 0) => (true, format!("{n} cases passed")),
            (Some(_), n, f) => (false, format!("{f} of {n} cases failed")),
        };
        out.push(gate(format!("Required test suite {suite}"), met, detail, "#test-runs"));
    }
    for threshold in &policy.metric_thresholds {
        let (met, detail) = match threshold_value(threshold, v, run) {
            None => (false, format!("{} not reported", threshold.metric)),
            Some(value) => (threshold.bound.holds(value), format!("{} = {value}", threshold.metric)),
        };
        out.push(gate(format!("Threshold {threshold}"), met, detail, "#metrics"));
    }
    if policy.require_model_card {
        let missing = v.model_card.missing_sections();
        out.push(gate(
            "Model card complete",
            missing.is_empty(),
            if missing.is_empty() {
                "all sections filled".to_string()
            } else {
                format!("missing: {}", missing.join(", "))
            },
            "#model-card",
        ));
    }
    let config = evidence.deployment_config(Environment::Prod);
    out.push(gate(
        "Valid deployment config for Prod",
        config.is_some_and(|c| c.config.validate().is_ok()),
        match config {
            None => "no deployment config saved".to_string(),
            Some(c) => {
                let which = if c.environment == Environment::Prod {
                    "Prod config saved"
                } else {
                    "the Test config carries over to Prod"
                };
                match &c.commit {
                    Some(commit) => {
                        format!("{which}; {} at commit {} of {}", commit.path, short(&commit.commit), commit.repository)
                    }
                    None => which.to_string(),
                }
            }
        },
        "#deployment-config",
    ));
    out
}
