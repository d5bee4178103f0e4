//! The experiments port: one conformance suite (tests/conformance) run against the embedded store and against a
//! real MLflow tracking server (tests/mlflow_server), plus the MLflow adapter's transport: credentials,
//! timeouts, refusals.
//!
//! Each adapter's checks run inside one test, so MLflow (about 20 s to start) starts once per run of the suite,
//! also under nextest, which gives every test its own process.

mod conformance;
mod mlflow_server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use conformance::{RunIds, Seeded, MODEL, STEPS};
use governance::experiment::ExperimentError;
use governance::ports::Experiments;
use mlflow_server::MlflowServer;
use server::mlflow::{Auth, ClientOptions, MlflowExperiments, TrackingUri};
use server::settings::{MlflowSettings, Secret};
use server::sqlite::SqliteStore;

fn options(timeout_ms: u64) -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_millis(timeout_ms),
        timeout: Duration::from_millis(timeout_ms),
        reuse_connections: false,
    }
}

fn mlflow_at(base: &str, auth: Auth, timeout_ms: u64) -> MlflowExperiments {
    let uri = TrackingUri::parse(base).expect("tracking uri");
    MlflowExperiments::new(uri, auth, &options(timeout_ms)).expect("client")
}

#[tokio::test]
async fn the_embedded_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("portal.sqlite"), vec![]).await.expect("store");
    let ids = |run_id: &str| RunIds {
        run_id: run_id.into(),
        experiment_id: "7".into(),
        artifact_uri: format!("s3://ml-artifacts/mlflow/7/{run_id}/artifacts"),
    };
    let seeded = Seeded {
        main: conformance::training_run(&ids("a1b2c3d4e5f60718293a4b5c6d7e8f90"), "pd-xgb-1", STEPS, &["1", "2"]),
        other: conformance::training_run(&ids("f0e1d2c3b4a5968778695a4b3c2d1e0f"), "pd-xgb-2", 3, &["3"]),
    };
    store.log_run(&seeded.main).await.expect("log main run");
    store.log_run(&seeded.other).await.expect("log other run");
    conformance::check_all(&store, &seeded).await;
    assert_eq!(store.run_url(&seeded.main.run), None, "the embedded store has no UI of its own");
}

#[tokio::test]
async fn a_real_mlflow_server_passes_the_conformance_suite() {
    let started = Instant::now();
    let mlflow = MlflowServer::start().await;
    let up = started.elapsed();
    let experiment = mlflow.create_experiment("conformance", "s3://ml-artifacts/mlflow/conformance").await;
    let main = mlflow.log_run(&experiment, |ids| conformance::training_run(ids, "pd-xgb-1", STEPS, &["1", "2"])).await;
    let other = mlflow.log_run(&experiment, |ids| conformance::training_run(ids, "pd-xgb-2", 3, &["3"])).await;
    let seeded = Seeded { main, other };
    let seeding = started.elapsed() - up;
    // Ten points a page: every history of the suite spans three pages.
    let tracker = mlflow_at(&mlflow.base, Auth::None, 10_000).with_page_size(10);
    let checks = Instant::now();
    conformance::check_all(&tracker, &seeded).await;
    eprintln!("mlflow: up in {up:.1?}, seeded in {seeding:.1?}, checked in {:.1?}", checks.elapsed());

    let run = &seeded.main.run;
    assert_eq!(
        tracker.run_url(run),
        Some(format!("{}/#/experiments/{}/runs/{}", mlflow.base, run.experiment_id, run.run_id))
    );
    assert_eq!(tracker.source(), format!("MLflow at {}", mlflow.base));
    assert!(seeded.main.registered.iter().all(|v| v.name == MODEL));
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_names_the_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let tracker = mlflow_at(&format!("http://127.0.0.1:{port}"), Auth::None, 500);
    match tracker.run(conformance::UNKNOWN_RUN).await {
        Err(ExperimentError::Unreachable(why)) => {
            assert!(why.contains(&format!("127.0.0.1:{port}/api/2.0/mlflow/runs/get")), "{why}");
            assert!(why.to_lowercase().contains("refused"), "the cause: {why}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let addr = listener.local_addr().expect("addr");
    // Accepts and holds connections without a word.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let tracker = mlflow_at(&format!("http://{addr}"), Auth::None, 300);
    let started = Instant::now();
    let answer = tracker.run(conformance::UNKNOWN_RUN).await;
    assert!(started.elapsed() < Duration::from_secs(3), "the timeout holds: {:?}", started.elapsed());
    match answer {
        Err(ExperimentError::Unreachable(why)) => assert!(why.contains("timed out"), "{why}"),
        other => panic!("expected Unreachable, got {other:?}"),
    }
    silent.abort();
}

/// A stand-in tracking server that records the `Authorization` header of each request: it answers `runs/get`
/// with a run, 403 to the token `wrong`, and `model-versions/search` with something that is not JSON.
async fn recording_server() -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    async fn run(State(seen): State<Arc<Mutex<Vec<Option<String>>>>>, headers: HeaderMap) -> (StatusCode, String) {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
        let refused = auth.as_deref() == Some("Bearer wrong");
        seen.lock().expect("lock").push(auth);
        if refused {
            return (StatusCode::FORBIDDEN, r#"{"error_code":"PERMISSION_DENIED","message":"no"}"#.into());
        }
        let body = r#"{"run":{"info":{"run_id":"r1","experiment_id":"1","status":"FINISHED"},"data":{}}}"#;
        (StatusCode::OK, body.into())
    }
    let app = Router::new()
        .route("/api/2.0/mlflow/runs/get", get(run))
        .route("/api/2.0/mlflow/model-versions/search", get(|| async { "<html>a proxy's login page</html>" }))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn credentials_go_in_the_authorization_header_as_mlflow_clients_send_them() {
    let (base, seen) = recording_server().await;
    let basic = MlflowSettings {
        username: Some("ana".into()),
        password: Some(Secret("hunter2".into())),
        ..MlflowSettings::new(&base)
    };
    let bearer = MlflowSettings { token: Some(Secret("t0k".into())), ..MlflowSettings::new(&base) };
    for tracker in [
        mlflow_at(&base, Auth::None, 2_000),
        MlflowExperiments::from_settings(&basic).expect("basic"),
        MlflowExperiments::from_settings(&bearer).expect("bearer"),
    ] {
        tracker.run("r1").await.expect("the stand-in's run");
    }
    assert_eq!(
        *seen.lock().expect("lock"),
        // base64("ana:hunter2")
        [None, Some("Basic YW5hOmh1bnRlcjI=".to_string()), Some("Bearer t0k".to_string())]
    );
}

#[tokio::test]
async fn a_refusal_and_an_unreadable_answer_are_told_apart() {
    let (base, _) = recording_server().await;
    let refused = mlflow_at(&base, Auth::Bearer(Secret("wrong".into())), 2_000);
    match refused.run("r1").await {
        Err(ExperimentError::Refused(why)) => {
            assert!(why.contains("403") && !why.contains("wrong"), "no secret in the message: {why}")
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    let tracker = mlflow_at(&base, Auth::None, 2_000);
    assert!(matches!(tracker.registered_versions("r1").await, Err(ExperimentError::Malformed(_))));
}
