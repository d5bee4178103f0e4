//! A real MLflow tracking server for tests: `mlflow server` from the virtual environment that
//! `scripts/setup.sh --tests` creates, on a sqlite backend in a temporary directory, bound to 127.0.0.1 on a free
//! port, killed (with its workers) when dropped. Seeded through MLflow's REST API, as a training job's client
//! would log a run.

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use governance::experiment::RunStatus;
use serde_json::{json, Value};
use server::store::LoggedRun;

use super::conformance::RunIds;

/// Where setup.sh puts MLflow (`MLFLOW_VENV` overrides, for both).
pub fn venv() -> PathBuf {
    match std::env::var_os("MLFLOW_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/governance-portal/venv-mlflow")
        }
    }
}

pub struct MlflowServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    child: Child,
    log: PathBuf,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl MlflowServer {
    /// Starts the server and waits for `/health` (about 20 s on 2 cores). Fails, never skips, without MLflow.
    pub async fn start() -> MlflowServer {
        let mlflow = venv().join("bin/mlflow");
        assert!(
            mlflow.exists(),
            "MLflow is not installed at {}: run `bash scripts/setup.sh --tests` (it creates that virtual \
             environment with PyPI mlflow 3.x), or point MLFLOW_VENV at one",
            mlflow.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = dir.path().join("mlflow-server.log");
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(&mlflow)
            .args(["server", "--host", "127.0.0.1", "--port", &port.to_string(), "--workers", "1"])
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", dir.path().join("mlflow.db").display()))
            .arg("--default-artifact-root")
            .arg(dir.path().join("artifacts"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group: `mlflow server` forks a web server and workers, and dropping the fixture
            // must stop all of them, not orphan them on the port.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", mlflow.display()));
        let mut server = MlflowServer {
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
            http: reqwest::Client::new(),
            _dir: dir,
        };
        server.wait_until_healthy().await;
        server
    }

    async fn wait_until_healthy(&mut self) {
        let started = Instant::now();
        let health = format!("{}/health", self.base);
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mlflow server exited ({status}) before answering:\n{}", self.log_tail());
            }
            let answer = self.http.get(&health).timeout(Duration::from_secs(2)).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                eprintln!("mlflow server up at {} after {:.1?}", self.base, started.elapsed());
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("mlflow server did not answer {health} within 120 s:\n{}", self.log_tail());
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `POST /api/2.0/mlflow/{path}` with a JSON body; panics with MLflow's answer when it refuses.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/api/2.0/mlflow/{path}", self.base);
        let response = self.http.post(&url).json(&body).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{url} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url} answered {text}: {e}"))
    }

    pub async fn create_experiment(&self, name: &str, artifact_location: &str) -> String {
        let created =
            self.post("experiments/create", json!({"name": name, "artifact_location": artifact_location})).await;
        created["experiment_id"].as_str().expect("experiment_id").to_string()
    }

    /// Logs the run `make` describes, as a tracking client would: create (MLflow picks the ids, handed to `make`
    /// again), params and stepwise metrics in batches, finish, and register its model versions. Returns the run
    /// with MLflow's ids.
    pub async fn log_run(&self, experiment_id: &str, make: impl Fn(&RunIds) -> LoggedRun) -> LoggedRun {
        let draft =
            make(&RunIds { run_id: String::new(), experiment_id: experiment_id.into(), artifact_uri: String::new() });
        let millis = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp_millis());
        let pairs = |kv: &std::collections::BTreeMap<String, String>| {
            kv.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>()
        };
        let created = self
            .post(
                "runs/create",
                json!({
                    "experiment_id": experiment_id,
                    "user_id": draft.run.user,
                    "run_name": draft.run.run_name,
                    "start_time": millis(draft.run.start_time),
                    "tags": pairs(&draft.run.tags),
                }),
            )
            .await;
        let info = &created["run"]["info"];
        let ids = RunIds {
            run_id: info["run_id"].as_str().expect("run_id").to_string(),
            experiment_id: experiment_id.to_string(),
            artifact_uri: info["artifact_uri"].as_str().expect("artifact_uri").to_string(),
        };
        let logged = make(&ids);
        let metrics: Vec<Value> = logged
            .history
            .iter()
            .map(|(key, p)| json!({"key": key, "value": p.value, "timestamp": p.at.timestamp_millis(), "step": p.step}))
            .collect();
        // log-batch takes at most 1000 metrics (and 100 params) per request.
        for (i, chunk) in metrics.chunks(1000).enumerate() {
            let params = if i == 0 { pairs(&logged.run.params) } else { vec![] };
            self.post("runs/log-batch", json!({"run_id": ids.run_id, "metrics": chunk, "params": params})).await;
        }
        assert_eq!(logged.run.status, RunStatus::Finished, "the fixture logs finished runs");
        self.post(
            "runs/update",
            json!({"run_id": ids.run_id, "status": "FINISHED", "end_time": millis(logged.run.end_time)}),
        )
        .await;
        for version in &logged.registered {
            // The registered model may already exist (an earlier run registered it).
            let url = format!("{}/api/2.0/mlflow/registered-models/create", self.base);
            let _ = self.http.post(&url).json(&json!({"name": version.name})).send().await;
            let created = self
                .post(
                    "model-versions/create",
                    json!({"name": version.name, "source": version.source, "run_id": version.run_id}),
                )
                .await;
            let got = &created["model_version"];
            assert_eq!(got["version"].as_str(), Some(version.version.as_str()), "MLflow numbered {got}");
        }
        logged
    }
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        // SIGKILL to the whole group at once: `mlflow server` takes several seconds to shut down on SIGTERM, and
        // its throwaway database needs no clean shutdown.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}
