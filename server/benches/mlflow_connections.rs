//! Does the MLflow adapter gain from keeping connections alive? MLflow's server answers a request on a reused
//! connection ~40 ms late (../shared/reference/README.md); this measures the adapter both ways against a real
//! server, so the default (`reuse_connections = true`) rests on figures, not folklore.
//!
//!     cargo bench -p server --bench mlflow_connections [-- N]
//!
//! Starts MLflow from the test virtual environment (`bash scripts/setup.sh --tests`), seeds the conformance run,
//! then times N sequential calls (default 100) of each port method per connection mode.

#[path = "../tests/conformance/mod.rs"]
mod conformance;
#[path = "../tests/mlflow_server/mod.rs"]
mod mlflow_server;

use std::time::{Duration, Instant};

use governance::ports::Experiments;
use server::mlflow::{Auth, ClientOptions, MlflowExperiments, TrackingUri};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn options(reuse_connections: bool) -> ClientOptions {
    ClientOptions { connect_timeout: Duration::from_secs(2), timeout: Duration::from_secs(10), reuse_connections }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args().filter_map(|a| a.parse().ok()).next().unwrap_or(100);
    let mlflow = mlflow_server::MlflowServer::start().await;
    let experiment = mlflow.create_experiment("bench", "s3://ml-artifacts/mlflow/bench").await;
    let seeded =
        mlflow.log_run(&experiment, |ids| conformance::training_run(ids, "bench", conformance::STEPS, &["1"])).await;
    let run_id = seeded.run.run_id.clone();
    println!("{n} sequential calls per case against MLflow at {}", mlflow.base);
    println!("{:<10} {:<34} {:>9} {:>9} {:>9}", "mode", "call", "p50", "p95", "req/s");
    // Warm MLflow up first (its first answers are slow: lazy imports), and measure each mode twice, in turn,
    // so neither gains from going second on a machine whose load changes.
    let warm = MlflowExperiments::new(TrackingUri::parse(&mlflow.base).expect("uri"), Auth::None, &options(true));
    for _ in 0..20 {
        let tracker = warm.as_ref().expect("client");
        let _ = tracker.run(&run_id).await;
        let _ = tracker.metric_history(&run_id, "val_auc").await;
        let _ = tracker.registered_versions(&run_id).await;
    }
    for reuse in [false, true, false, true] {
        let uri = TrackingUri::parse(&mlflow.base).expect("uri");
        let tracker = MlflowExperiments::new(uri, Auth::None, &options(reuse)).expect("client");
        let mode = if reuse { "reused" } else { "fresh" };
        for call in ["run (runs/get)", "metric_history (1 page)", "registered_versions (search)"] {
            let mut took = Vec::with_capacity(n);
            let all = Instant::now();
            for _ in 0..n {
                let start = Instant::now();
                let ok = match call {
                    "run (runs/get)" => tracker.run(&run_id).await.is_ok(),
                    "metric_history (1 page)" => tracker.metric_history(&run_id, "val_auc").await.is_ok(),
                    _ => tracker.registered_versions(&run_id).await.is_ok(),
                };
                assert!(ok, "{call} failed");
                took.push(start.elapsed());
            }
            let rate = n as f64 / all.elapsed().as_secs_f64();
            took.sort();
            println!(
                "{mode:<10} {call:<34} {:>9.1?} {:>9.1?} {rate:>9.1}",
                percentile(&took, 0.5),
                percentile(&took, 0.95)
            );
        }
    }
}
