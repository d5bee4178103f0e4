//! `model-versions/search?filter=run_id='…'` (GET only on MLflow's server): the registered model versions created
//! from a run, every page of them.

use governance::experiment::{ExperimentError, RegisteredModelVersion};
use serde::Deserialize;

use super::client::Client;
use super::paged;

#[derive(Debug, Deserialize)]
struct ModelVersion {
    name: String,
    version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    run_id: String,
}

/// Versions created from `run_id`, by name then version number. `run_id` must be a plain id (the caller checks):
/// it is quoted into MLflow's filter language.
pub async fn fetch_all(
    client: &Client,
    run_id: &str,
    page_size: u32,
) -> Result<Vec<RegisteredModelVersion>, ExperimentError> {
    let filter = format!("run_id='{run_id}'");
    let query = [("filter", filter.as_str())];
    let found = paged::fetch_all::<ModelVersion>(client, "model-versions/search", &query, run_id, page_size).await?;
    let mut versions: Vec<RegisteredModelVersion> = found
        .into_iter()
        .map(|v| RegisteredModelVersion {
            name: v.name,
            version: v.version,
            status: v.status,
            source: v.source,
            run_id: v.run_id,
        })
        .collect();
    let number = |v: &RegisteredModelVersion| v.version.parse::<u64>().unwrap_or(u64::MAX);
    versions.sort_by(|a, b| a.name.cmp(&b.name).then(number(a).cmp(&number(b))));
    Ok(versions)
}
