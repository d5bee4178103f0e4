//! Champion vs challenger: two versions side by side, row by row, with the differences marked.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::display::number;
use crate::evidence::Evidence;
use crate::Environment;

/// One compared value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub section: String,
    pub name: String,
    pub a: String,
    pub b: String,
    pub differs: bool,
}

/// Compares the params of the two versions' training runs (`None`: the run could not be read).
pub fn compare_params(
    a: Option<&std::collections::BTreeMap<String, String>>,
    b: Option<&std::collections::BTreeMap<String, String>>,
) -> Vec<Row> {
    let names: BTreeSet<&String> = a.iter().flat_map(|p| p.keys()).chain(b.iter().flat_map(|p| p.keys())).collect();
    names
        .into_iter()
        .map(|name| {
            let get = |p: Option<&std::collections::BTreeMap<String, String>>| {
                p.and_then(|p| p.get(name)).cloned().unwrap_or_else(|| "—".into())
            };
            let (x, y) = (get(a), get(b));
            Row { section: "Training params".into(), name: name.clone(), differs: x != y, a: x, b: y }
        })
        .collect()
}

/// Compares the evidence of two versions: overview, metrics, latest test run, deployment config, lineage
/// and model card. Missing values show as "—".
pub fn compare(a: &Evidence, b: &Evidence) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut push = |section: &str, name: &str, x: Option<String>, y: Option<String>| {
        let (x, y) = (x.unwrap_or_else(|| "—".into()), y.unwrap_or_else(|| "—".into()));
        rows.push(Row { section: section.into(), name: name.into(), differs: x != y, a: x, b: y });
    };
    let (va, vb) = (&a.version, &b.version);
    push("Overview", "Version", Some(va.label()), Some(vb.label()));
    push(
        "Overview",
        "Stage / status",
        Some(format!("{} / {}", va.stage, va.status.label())),
        Some(format!("{} / {}", vb.stage, vb.status.label())),
    );
    push("Overview", "Registry", Some(va.registry.label()), Some(vb.registry.label()));

    let names: BTreeSet<&String> = va.metrics.keys().chain(vb.metrics.keys()).collect();
    for name in names {
        push("Metrics", name, va.metrics.get(name).map(|v| number(*v)), vb.metrics.get(name).map(|v| number(*v)));
    }

    let (ra, rb) = (a.latest_test_run.as_ref(), b.latest_test_run.as_ref());
    let verdict = |r: Option<&crate::test_run::TestRun>| {
        r.map(|r| format!("{} ({} cases)", if r.passed { "Passed" } else { "Failed" }, r.cases.len()))
    };
    push("Latest test run", "Verdict", verdict(ra), verdict(rb));
    let perf: BTreeSet<&String> =
        ra.iter().flat_map(|r| r.performance.keys()).chain(rb.iter().flat_map(|r| r.performance.keys())).collect();
    for name in perf {
        let get = |r: Option<&crate::test_run::TestRun>| r.and_then(|r| r.performance.get(name)).map(|v| number(*v));
        push("Latest test run", name, get(ra), get(rb));
    }

    let (ca, cb) = (a.deployment_config(Environment::Prod), b.deployment_config(Environment::Prod));
    let field =
        |c: Option<&crate::deployment::SavedDeploymentConfig>,
         f: &dyn Fn(&crate::deployment::DeploymentConfig) -> String| { c.map(|c| f(&c.config)) };
    push(
        "Deployment config",
        "Instance type",
        field(ca, &|c| c.instance_type.clone()),
        field(cb, &|c| c.instance_type.clone()),
    );
    push(
        "Deployment config",
        "Initial instances",
        field(ca, &|c| c.initial_instance_count.to_string()),
        field(cb, &|c| c.initial_instance_count.to_string()),
    );
    let scaling = |c: &crate::deployment::DeploymentConfig| format!("{}-{}", c.autoscaling_min, c.autoscaling_max);
    push("Deployment config", "Autoscaling", field(ca, &scaling), field(cb, &scaling));
    let variants = |c: &crate::deployment::DeploymentConfig| {
        c.variants.iter().map(|v| format!("{}:{}", v.name, v.weight)).collect::<Vec<_>>().join(", ")
    };
    push("Deployment config", "Variants", field(ca, &variants), field(cb, &variants));
    push(
        "Deployment config",
        "Data capture %",
        field(ca, &|c| c.data_capture_percent.to_string()),
        field(cb, &|c| c.data_capture_percent.to_string()),
    );

    let (la, lb) = (&va.lineage, &vb.lineage);
    push("Lineage", "Training data", Some(la.training_data.join(", ")), Some(lb.training_data.join(", ")));
    push("Lineage", "MLflow run", la.mlflow_run_id.clone(), lb.mlflow_run_id.clone());
    push("Lineage", "Code commit", la.code_commit.clone(), lb.code_commit.clone());
    push("Lineage", "Container image", Some(la.container_image.clone()), Some(lb.container_image.clone()));

    let (ma, mb) = (&va.model_card, &vb.model_card);
    push("Model card", "Risk rating", Some(ma.risk_rating.clone()), Some(mb.risk_rating.clone()));
    push("Model card", "Intended use", Some(ma.intended_use.clone()), Some(mb.intended_use.clone()));
    push("Model card", "Limitations", Some(ma.limitations.clone()), Some(mb.limitations.clone()));
    push("Model card", "Evaluation", Some(ma.evaluation.clone()), Some(mb.evaluation.clone()));
    push("Model card", "Owner", Some(ma.owner.clone()), Some(mb.owner.clone()));
    rows
}
