//! The experiments port's conformance suite: one logical set of runs, and checks every adapter must pass
//! on it (the embedded store seeded with `log_run`, MLflow seeded through its REST API).

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use governance::experiment::{ExperimentError, ExperimentRun, MetricStep, RegisteredModelVersion, RunStatus};
use governance::ports::Experiments;
use server::store::LoggedRun;

/// What the tracker assigns when a run is created: MLflow picks these itself.
#[derive(Debug, Clone)]
pub struct RunIds {
    pub run_id: String,
    pub experiment_id: String,
    pub artifact_uri: String,
}

/// The model every seeded version is registered under.
pub const MODEL: &str = "pd-model";
/// Points per metric: more than one page of the MLflow adapter under test (its page size is 10).
pub const STEPS: i64 = 25;
/// A run id no tracker knows (the shape of an MLflow one).
pub const UNKNOWN_RUN: &str = "0123456789abcdef0123456789abcdef";

fn started() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).single().unwrap_or_default()
}

/// A training run with `steps` epochs, registered as `versions` of [`MODEL`]. Times are whole milliseconds
/// (MLflow's precision) and the history is listed newest step first, so an adapter must order it itself.
pub fn training_run(ids: &RunIds, name: &str, steps: i64, versions: &[&str]) -> LoggedRun {
    let at = |step: i64| started() + Duration::seconds(30 * (step + 1));
    let mut history = Vec::new();
    for step in (0..steps).rev() {
        let x = step as f64;
        // val_auc rises, then dips at the last epoch: the latest value is not the best one.
        let auc = if step == steps - 1 { 0.79 } else { 0.6 + 0.008 * x };
        history.push(("val_auc".to_string(), MetricStep { step, at: at(step), value: auc }));
        history.push(("train_loss".to_string(), MetricStep { step, at: at(step), value: 1.0 / (x + 1.0) }));
    }
    // Logged once, at step 0: its latest value is its only one.
    history.push(("f1".to_string(), MetricStep { step: 0, at: at(steps), value: 0.71 }));
    let pairs = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    LoggedRun {
        run: ExperimentRun {
            run_id: ids.run_id.clone(),
            experiment_id: ids.experiment_id.clone(),
            run_name: name.to_string(),
            status: RunStatus::Finished,
            user: "build-pipeline".into(),
            start_time: Some(started()),
            end_time: Some(at(steps + 1)),
            artifact_uri: ids.artifact_uri.clone(),
            params: pairs(&[("epochs", &steps.to_string()), ("learning_rate", "0.05"), ("max_depth", "6")]),
            metrics: BTreeMap::new(),
            tags: pairs(&[("model_group", MODEL), ("team", "credit-risk"), ("mlflow.source.git.commit", "3f2c1e9")]),
        },
        history,
        registered: versions
            .iter()
            .map(|version| RegisteredModelVersion {
                name: MODEL.into(),
                version: version.to_string(),
                status: "READY".into(),
                source: format!("{}/model", ids.artifact_uri),
                run_id: ids.run_id.clone(),
            })
            .collect(),
    }
}

/// The seeded runs, as the adapter under test should report them.
pub struct Seeded {
    /// Registered twice ([`MODEL`] versions 1 and 2), [`STEPS`] points per metric.
    pub main: LoggedRun,
    /// Another run of the same experiment (version 3): none of it may leak into the main run's answers.
    pub other: LoggedRun,
}

/// Runs every check, naming the one that fails.
pub async fn check_all(tracker: &dyn Experiments, seeded: &Seeded) {
    assert!(!tracker.source().is_empty(), "an adapter names its source");
    the_run_reads_back_as_logged(tracker, seeded).await;
    latest_metrics_are_the_values_at_the_highest_step(tracker, seeded).await;
    history_is_every_point_in_step_order(tracker, seeded).await;
    a_metric_never_logged_has_an_empty_history(tracker, seeded).await;
    registered_versions_are_those_created_from_the_run(tracker, seeded).await;
    an_unknown_run_is_not_found(tracker).await;
}

pub async fn the_run_reads_back_as_logged(tracker: &dyn Experiments, seeded: &Seeded) {
    let expected = &seeded.main.run;
    let run = tracker.run(&expected.run_id).await.expect("the seeded run");
    assert_eq!(run.run_id, expected.run_id);
    assert_eq!(run.experiment_id, expected.experiment_id);
    assert_eq!(run.run_name, expected.run_name);
    assert_eq!(run.status, RunStatus::Finished);
    assert_eq!(run.user, expected.user);
    assert_eq!((run.start_time, run.end_time), (expected.start_time, expected.end_time));
    assert_eq!(run.artifact_uri, expected.artifact_uri);
    assert_eq!(run.params, expected.params);
    // A tracker may add its own tags (MLflow adds mlflow.runName); every logged one must be there.
    for (key, value) in &expected.tags {
        assert_eq!(run.tags.get(key), Some(value), "tag {key} of {:?}", run.tags);
    }
    let other = tracker.run(&seeded.other.run.run_id).await.expect("the other run");
    assert_eq!(other.params["epochs"], seeded.other.run.params["epochs"]);
}

pub async fn latest_metrics_are_the_values_at_the_highest_step(tracker: &dyn Experiments, seeded: &Seeded) {
    let mut latest: BTreeMap<String, MetricStep> = BTreeMap::new();
    for (key, point) in &seeded.main.history {
        let newer = latest.get(key).is_none_or(|l| (point.step, point.at) > (l.step, l.at));
        if newer {
            latest.insert(key.clone(), *point);
        }
    }
    let run = tracker.run(&seeded.main.run.run_id).await.expect("the seeded run");
    assert_eq!(run.metrics.keys().collect::<Vec<_>>(), latest.keys().collect::<Vec<_>>());
    for (key, point) in &latest {
        assert_close(run.metrics[key], point.value, key);
    }
    assert_close(run.metrics["val_auc"], 0.79, "the last epoch's value, not the best one");
}

pub async fn history_is_every_point_in_step_order(tracker: &dyn Experiments, seeded: &Seeded) {
    for key in ["val_auc", "train_loss", "f1"] {
        let mut expected: Vec<MetricStep> =
            seeded.main.history.iter().filter(|(k, _)| k == key).map(|(_, point)| *point).collect();
        expected.sort_by_key(|point| point.step);
        let history = tracker.metric_history(&seeded.main.run.run_id, key).await.expect("history");
        let at = |h: &[MetricStep]| h.iter().map(|p| (p.step, p.at)).collect::<Vec<_>>();
        assert_eq!(at(&history), at(&expected), "steps and times of {key}");
        for (got, want) in history.iter().zip(&expected) {
            assert_close(got.value, want.value, &format!("{key} at step {}", want.step));
        }
    }
    let auc = tracker.metric_history(&seeded.main.run.run_id, "val_auc").await.expect("history");
    assert_eq!(auc.len() as i64, STEPS, "every page");
    assert_eq!(auc.first().map(|p| p.step), Some(0));
}

/// Equal up to rounding in the last bits: MLflow does not give every double back bit for bit (1/11 logged as
/// 0.09090909090909091 reads back as 0.09090909090909093).
fn assert_close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{what}: {got} instead of {want}");
}

pub async fn a_metric_never_logged_has_an_empty_history(tracker: &dyn Experiments, seeded: &Seeded) {
    let history = tracker.metric_history(&seeded.main.run.run_id, "no_such_metric").await;
    assert_eq!(history, Ok(vec![]));
}

pub async fn registered_versions_are_those_created_from_the_run(tracker: &dyn Experiments, seeded: &Seeded) {
    let versions = tracker.registered_versions(&seeded.main.run.run_id).await.expect("versions");
    assert_eq!(versions, seeded.main.registered);
    assert_eq!(versions.iter().map(|v| v.version.as_str()).collect::<Vec<_>>(), ["1", "2"]);
    let other = tracker.registered_versions(&seeded.other.run.run_id).await.expect("versions");
    assert_eq!(other, seeded.other.registered);
}

pub async fn an_unknown_run_is_not_found(tracker: &dyn Experiments) {
    let gone = ExperimentError::RunNotFound(UNKNOWN_RUN.to_string());
    assert_eq!(tracker.run(UNKNOWN_RUN).await, Err(gone.clone()));
    assert_eq!(tracker.metric_history(UNKNOWN_RUN, "val_auc").await, Err(gone));
    assert_eq!(tracker.registered_versions(UNKNOWN_RUN).await, Ok(vec![]), "no version comes from no run");
}
