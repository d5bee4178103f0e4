//! Lineage drawn as a graph: training data -> MLflow run -> Dev version -> central copy -> Test deployment
//! and its test runs -> Prod deployment. Static SVG (works without JavaScript); each node links to what it is.

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
            href: Some("#lineage".into()),
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

const BOX_W: f64 = 150.0;
const BOX_H: f64 = 54.0;
const GAP: f64 = 26.0;

#[component]
pub fn LineageGraph(nodes: Vec<Node>) -> impl IntoView {
    let width = nodes.len() as f64 * (BOX_W + GAP);
    let description = nodes.iter().map(|n| format!("{}: {}", n.title, n.detail)).collect::<Vec<_>>().join(" → ");
    view! {
        <svg viewBox=format!("0 0 {width} {}", BOX_H + 4.0) role="img" aria-label=format!("Lineage: {description}") class="w-full mb-3">
            {nodes
                .into_iter()
                .enumerate()
                .map(|(i, n)| {
                    let x = i as f64 * (BOX_W + GAP) + 2.0;
                    let (fill, stroke) = if n.current { ("#dbeafe", "#1d4ed8") } else { ("#f8fafc", "#94a3b8") };
                    let arrow = (i > 0).then(|| {
                        let x0 = x - GAP;
                        let y = 2.0 + BOX_H / 2.0;
                        view! {
                            <line x1=x0 y1=y x2=x - 4.0 y2=y stroke="#64748b" stroke-width="1.5" />
                            <polygon points=format!("{},{} {},{} {},{}", x - 4.0, y - 4.0, x, y, x - 4.0, y + 4.0) fill="#64748b" />
                        }
                    });
                    let body = view! {
                        <rect x=x y="2" width=BOX_W height=BOX_H rx="6" fill=fill stroke=stroke />
                        <text x=x + 8.0 y="22" font-size="12" font-weight="600" fill="#0f172a">{n.title}</text>
                        <text x=x + 8.0 y="40" font-size="10.5" fill="#334155">{n.detail.chars().take(26).collect::<String>()}</text>
                    };
                    match n.href {
                        Some(href) => view! { {arrow} <a href=href>{body}</a> }.into_any(),
                        None => view! { {arrow} {body} }.into_any(),
                    }
                })
                .collect_view()}
        </svg>
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
