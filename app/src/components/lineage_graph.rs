//! Lineage drawn as a graph: training data -> MLflow run -> Dev version -> central copy -> Test deployment
//! and its test runs -> Prod deployment. Plain HTML boxes (work without JavaScript); each node links to what
//! it is.

use governance::deployment::DeploymentRequest;
use governance::model::ModelVersion;
use governance::test_run::TestRun;
use governance::Environment;
use leptos::prelude::*;

/// One box of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub title: String,
    pub detail: String,
    pub href: Option<String>,
    /// The version this page shows.
    pub current: bool,
}

/// The nodes of a version's lineage, in path order.
pub fn nodes(
    version: &ModelVersion,
    related: Option<&ModelVersion>,
    test_runs: &[TestRun],
    deployments: &[DeploymentRequest],
) -> Vec<Node> {
    let (dev, central) =
        if version.registry.is_central() { (related, Some(version)) } else { (Some(version), related) };
    let link = |v: &ModelVersion| Some(format!("/versions/{}", v.id));
    let deployment = |env: Environment| deployments.iter().find(|d| d.environment == env);
    let on_central = version.registry.is_central();
    let mut out = vec![
        Node {
            title: "Training data".into(),
            detail: match version.lineage.training_data.len() {
                0 => "none recorded".into(),
                1 => "1 dataset".into(),
                n => format!("{n} datasets"),
            },
            href: Some("#lineage".into()),
            current: false,
        },
        Node {
            title: "MLflow run".into(),
            detail: version.lineage.mlflow_run_id.clone().unwrap_or_else(|| "none recorded".into()),
            href: Some("#training-run".into()),
            current: false,
        },
        Node {
            title: "Dev registry".into(),
            detail: dev.map(|v| format!("v{} {}", v.number, v.status.label())).unwrap_or_else(|| "—".into()),
            href: dev.and_then(link),
            current: !on_central,
        },
        Node {
            title: "Central registry".into(),
            detail: central
                .map(|v| format!("v{} {} / {}", v.number, v.stage, v.status.label()))
                .unwrap_or_else(|| "not copied yet".into()),
            href: central.and_then(link),
            current: on_central,
        },
    ];
    let (test_detail, prod_detail) = if on_central {
        let runs = match test_runs.first() {
            None => "no test run".to_string(),
            Some(r) => format!("{} run(s), last {}", test_runs.len(), if r.passed { "passed" } else { "failed" }),
        };
        let test = deployment(Environment::Test).map(|d| format!("{}; {runs}", d.status.as_str())).unwrap_or(runs);
        let prod = deployment(Environment::Prod)
            .map(|d| d.status.as_str().to_string())
            .unwrap_or_else(|| "not requested".into());
        (test, prod)
    } else {
        ("on the central copy".to_string(), "on the central copy".to_string())
    };
    let anchor = |a: &str| if on_central { Some(a.to_string()) } else { central.and_then(link) };
    out.push(Node { title: "Test deployment".into(), detail: test_detail, href: anchor("#test-runs"), current: false });
    out.push(Node {
        title: "Prod deployment".into(),
        detail: prod_detail,
        href: anchor("#deployment-config"),
        current: false,
    });
    out
}

#[component]
pub fn LineageGraph(nodes: Vec<Node>) -> impl IntoView {
    view! {
        <ol aria-label="Lineage path" class="mb-3 flex flex-wrap items-stretch gap-1 text-xs">
            {nodes
                .into_iter()
                .enumerate()
                .map(|(i, n)| {
                    let class = if n.current {
                        "block h-full rounded border-2 border-blue-700 bg-blue-50 px-2 py-1"
                    } else {
                        "block h-full rounded border border-slate-300 bg-slate-50 px-2 py-1"
                    };
                    let body = view! {
                        <span class="block font-semibold text-slate-900">{n.title}</span>
                        <span class="block text-slate-700">{n.detail}</span>
                    };
                    let node = match n.href {
                        Some(href) => view! { <a class=format!("{class} hover:underline") href=href>{body}</a> }.into_any(),
                        None => view! { <span class=class>{body}</span> }.into_any(),
                    };
                    view! {
                        <li class="flex items-center gap-1">
                            {(i > 0).then(|| view! { <span aria-hidden="true" class="text-slate-500">"→"</span> })}
                            {node}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governance::ids::ModelGroupName;
    use governance::model::{Lineage, ModelCard};
    use governance::{ApprovalStatus, Registry, Stage};

    fn version(id: &str, registry: Registry, stage: Stage) -> ModelVersion {
        ModelVersion {
            id: id.into(),
            project: "p".into(),
            group: ModelGroupName("g".into()),
            number: 3,
            registry,
            stage,
            status: ApprovalStatus::Approved,
            revision: 1,
            description: String::new(),
            registered_by: "ci".into(),
            registered_at: chrono::DateTime::UNIX_EPOCH,
            lineage: Lineage {
                mlflow_run_id: Some("run-9".into()),
                training_data: vec!["s3://a".into()],
                ..Lineage::default()
            },
            metrics: Default::default(),
            model_card: ModelCard::default(),
            central_copy: None,
            outside: None,
            package_arn: None,
        }
    }

    #[test]
    fn the_path_links_each_registry_and_marks_the_page_s_version() {
        let dev = version("mv-dev", Registry::Dev("p".into()), Stage::Dev);
        let central = version("mv-central", Registry::Central, Stage::Test);
        let from_central = nodes(&central, Some(&dev), &[], &[]);
        let titles: Vec<&str> = from_central.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Training data", "MLflow run", "Dev registry", "Central registry", "Test deployment", "Prod deployment"]
        );
        assert_eq!(from_central[1].detail, "run-9");
        assert_eq!(from_central[2].href.as_deref(), Some("/versions/mv-dev"));
        assert!(from_central[3].current && !from_central[2].current);
        assert_eq!(from_central[4].detail, "no test run");
        // From the Dev version, Test and Prod live on the central copy.
        let from_dev = nodes(&dev, Some(&central), &[], &[]);
        assert_eq!(from_dev[4].href.as_deref(), Some("/versions/mv-central"));
        assert!(from_dev[2].current);
    }
}
