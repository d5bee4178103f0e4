//! The seed templates ship working pipeline code: the Classical Regression template, rendered for a project as
//! the provisioner renders it, trains a scikit-learn model on a CSV, logs the run to a real MLflow server, and
//! registers the Dev model version with the portal over real HTTP, authenticated by a CI OIDC token from a real
//! issuer that the project's trust policy admits. The portal, reading the same MLflow server, then shows the
//! version with the run's metrics.

mod common;
mod conformance;
mod mlflow_server;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use governance::template::{parse_values, render, ProjectRef, Repository};
use governance::ProjectId;
use mlflow_server::MlflowServer;

/// A small regression problem: `target` is a noisy linear function of two features.
fn training_csv(path: &Path) {
    let mut csv = String::from("x1,x2,target\n");
    for i in 0..200 {
        let (x1, x2) = (f64::from(i % 17), f64::from((i * 7) % 11));
        let noise = f64::from((i * 13) % 5) / 10.0;
        csv.push_str(&format!("{x1},{x2},{}\n", 3.0 * x1 - 2.0 * x2 + noise));
    }
    std::fs::write(path, csv).expect("csv");
}

fn python(venv: &Path, dir: &Path, args: &[&str], env: &[(&str, String)]) -> String {
    let out = Command::new(venv.join("bin/python"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("python runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "python {args:?} failed:\n{text}");
    text
}

// Multi-threaded: the pipeline's steps are blocking child processes, and the portal they call must keep serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regression_templates_build_pipeline_trains_logs_to_mlflow_and_registers_with_the_portal() {
    let (mlflow, ci) = tokio::join!(MlflowServer::start(), common::fixtures::ci_issuer());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = common::settings(dir.path(), vec![]);
    settings.trust_policies = common::trust_policies(&ci.url);
    settings.mlflow = Some(server::settings::MlflowSettings::new(&mlflow.base));
    let portal = server::build(settings).await.expect("portal builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let portal_url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = server::routes::router(portal.state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });

    // The build repository's files, rendered as for a project `credit-risk` with a local CSV as its data.
    let (_, definition) = server::demo_templates::seed_templates()
        .into_iter()
        .find(|(id, _)| id.as_str() == "classical-regression")
        .expect("the Classical Regression seed template");
    let work = tempfile::tempdir().expect("work dir");
    let data = work.path().join("training.csv");
    training_csv(&data);
    let typed: BTreeMap<String, String> = [
        ("model_group", "churn-regressor".to_string()),
        ("portal_url", portal_url.clone()),
        ("mlflow_tracking_uri", mlflow.base.clone()),
        ("training_table", data.display().to_string()),
        ("algorithm", "ridge".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(definition.fields.iter().filter(|f| !f.default.is_empty()).map(|f| (f.name.clone(), f.default.clone())))
    .fold(BTreeMap::new(), |mut m, (k, v)| {
        m.entry(k).or_insert(v);
        m
    });
    let values = parse_values(&definition.fields, &typed).expect("the parameters are valid");
    let project = ProjectRef { id: ProjectId("credit-risk".into()), name: "Credit risk".into() };
    let files = render(&definition, &project, &values).expect("the template renders");
    let repo = work.path().join("build");
    for file in files.iter().filter(|f| f.repository == Repository::Build) {
        let path = repo.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
        std::fs::write(&path, &file.content).expect("file");
    }

    // The workflow's two steps, with what GitHub Actions would provide.
    let venv = mlflow_server::venv();
    let token = ci.mint(&[("repository", "acme/credit-risk"), ("workflow", "build"), ("run_id", "99")]).await;
    let env = [
        ("MLFLOW_TRACKING_URI", mlflow.base.clone()),
        ("MLFLOW_EXPERIMENT_NAME", "credit-risk".to_string()),
        ("PORTAL_URL", portal_url.clone()),
        ("PORTAL_PROJECT", "credit-risk".to_string()),
        ("MODEL_GROUP", "churn-regressor".to_string()),
        ("PORTAL_TOKEN", token),
        ("CODE_COMMIT", "0123456789abcdef".to_string()),
    ];
    python(&venv, &repo, &["pipeline/train.py", "--out", "build-output"], &env);
    let registered = python(&venv, &repo, &["pipeline/register.py", "build-output/result.json"], &env);
    assert!(registered.contains("registered") && registered.contains("Dev registry of credit-risk"), "{registered}");

    // The portal has the Dev version, with the run's metrics, read back from MLflow on its page.
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("build-output/result.json")).expect("result"))
            .expect("json");
    let run_id = result["mlflow_run_id"].as_str().expect("a run id");
    let service = &portal.state.service;
    let query = governance::ports::VersionQuery {
        project: Some(ProjectId("credit-risk".into())),
        search: Some("churn-regressor".into()),
        window: governance::ports::Window::new(0, 10),
        ..Default::default()
    };
    let page = service.ports_for_tests().registry.list_versions(&query).await.expect("list");
    let version = page.items.first().expect("the registered version");
    assert_eq!(version.group.as_str(), "churn-regressor");
    assert_eq!(version.lineage.mlflow_run_id.as_deref(), Some(run_id));
    assert!(version.metrics.get("r2").is_some_and(|r2| *r2 > 0.9), "{:?}", version.metrics);
    assert!(version.model_card.evaluation.contains("rmse = "), "the pipeline fills the card's evaluation");
    assert_eq!(version.model_card.missing_sections().len(), 4, "and leaves the rest to the data scientist");
    let reader = governance::Actor::Person(governance::Principal {
        subject: governance::Subject("gina".into()),
        display_name: "Gina".into(),
        memberships: [(ProjectId("credit-risk".into()), [governance::Persona::GovernanceEngineer].into())].into(),
        admin: false,
    });
    let training = service.training_run(&reader, version).await.expect("read").expect("a run").expect("MLflow answers");
    assert_eq!(training.run.status, governance::experiment::RunStatus::Finished);
    assert!(training.run.params.get("algorithm").is_some_and(|a| a == "ridge"), "{:?}", training.run.params);
    assert!(training.history.iter().any(|(k, _)| k == "rmse"), "the metrics logged by the pipeline");
}
