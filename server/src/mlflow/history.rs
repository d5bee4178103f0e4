//! `metrics/get-history`, every page of it, in step order.

use governance::experiment::{ExperimentError, MetricStep};

use super::client::Client;
use super::paged;
use super::wire::Metric;

/// Every value of `key` logged in `run_id`, in step order (then time), `page_size` points per request.
/// MLflow answers an empty history (not 404) for a run it does not know; the caller tells the two apart.
pub async fn fetch_all(
    client: &Client,
    run_id: &str,
    key: &str,
    page_size: u32,
) -> Result<Vec<MetricStep>, ExperimentError> {
    let query = [("run_id", run_id), ("metric_key", key)];
    let metrics = paged::fetch_all::<Metric>(client, "metrics/get-history", &query, run_id, page_size).await?;
    let mut points = metrics.iter().map(Metric::to_step).collect::<Result<Vec<_>, _>>()?;
    // MLflow orders by time; the port promises step order.
    points.sort_by(|a, b| a.step.cmp(&b.step).then(a.at.cmp(&b.at)));
    Ok(points)
}
