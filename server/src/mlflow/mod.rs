//! The experiments port on an MLflow tracking server, over its REST API (`/api/2.0/mlflow/...`): the run behind a
//! model version, its metric history and the registered model versions created from it. Read-only.
//!
//! One concern per file: `client` (address, timeouts, errors), `auth` (none, basic, bearer), `run`
//! (`runs/get`), `history` (`metrics/get-history`), `registered` (`model-versions/search`), `paged` (page tokens),
//! `wire` (JSON shapes shared by the endpoints).

mod auth;
mod client;
mod history;
mod paged;
mod registered;
mod run;
mod wire;

use std::time::Duration;

use async_trait::async_trait;
use governance::experiment::{ExperimentError, ExperimentRun, MetricStep, RegisteredModelVersion};
use governance::ports::Experiments;

pub use auth::{Auth, AuthError};
pub use client::{ClientOptions, TrackingUri};

use crate::settings::MlflowSettings;

/// Points or versions per request. MLflow's get-history accepts any positive size; a thousand keeps a long
/// training curve to a few requests and each answer small.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;

/// The MLflow adapter of [`Experiments`].
#[derive(Clone)]
pub struct MlflowExperiments {
    client: client::Client,
    page_size: u32,
}

impl MlflowExperiments {
    /// From the portal's `[mlflow]` settings, taking credentials they leave out from MLflow's standard
    /// environment variables.
    ///
    /// # Errors
    /// An invalid tracking URI or half a basic-auth pair, in words for whoever configures the portal.
    pub fn from_settings(settings: &MlflowSettings) -> anyhow::Result<MlflowExperiments> {
        let uri =
            TrackingUri::parse(&settings.tracking_uri).map_err(|e| anyhow::anyhow!("mlflow.tracking_uri: {e}"))?;
        let auth = Auth::resolve(settings, |name| std::env::var(name).ok())?;
        let options = ClientOptions {
            connect_timeout: Duration::from_millis(settings.connect_timeout_ms),
            timeout: Duration::from_millis(settings.timeout_ms),
            reuse_connections: settings.reuse_connections,
        };
        tracing::info!(tracking_uri = %uri, auth = auth.scheme(), ?options, "experiments from MLflow");
        MlflowExperiments::new(uri, auth, &options)
    }

    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(uri: TrackingUri, auth: Auth, options: &ClientOptions) -> anyhow::Result<MlflowExperiments> {
        Ok(MlflowExperiments { client: client::Client::new(uri, auth, options)?, page_size: DEFAULT_PAGE_SIZE })
    }

    /// Times every call to the tracking server in the portal's metrics.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> MlflowExperiments {
        self.client = self.client.with_metrics(metrics);
        self
    }

    /// Points or versions asked for per request (tests use a small one to cross pages).
    pub fn with_page_size(mut self, page_size: u32) -> MlflowExperiments {
        self.page_size = page_size.max(1);
        self
    }
}

/// MLflow's run ids are hex; anything outside `[A-Za-z0-9_-]` cannot name a run, and must not reach the filter
/// language of `model-versions/search` either.
fn plain_run_id(run_id: &str) -> Result<(), ExperimentError> {
    let plain = !run_id.is_empty()
        && run_id.len() <= 256
        && run_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        Ok(())
    } else {
        Err(ExperimentError::RunNotFound(run_id.to_string()))
    }
}

#[async_trait]
impl Experiments for MlflowExperiments {
    fn source(&self) -> String {
        format!("MLflow at {}", self.client.uri())
    }

    fn run_url(&self, run: &ExperimentRun) -> Option<String> {
        Some(format!("{}/#/experiments/{}/runs/{}", self.client.uri(), run.experiment_id, run.run_id))
    }

    #[tracing::instrument(skip(self), fields(tracker = %self.client.uri()))]
    async fn run(&self, run_id: &str) -> Result<ExperimentRun, ExperimentError> {
        plain_run_id(run_id)?;
        let answer: run::GetRunResponse = self.client.get("runs/get", &[("run_id", run_id)], run_id).await?;
        answer.into_run()
    }

    #[tracing::instrument(skip(self), fields(tracker = %self.client.uri()))]
    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<MetricStep>, ExperimentError> {
        plain_run_id(run_id)?;
        let points = history::fetch_all(&self.client, run_id, key, self.page_size).await?;
        if points.is_empty() {
            // MLflow answers an empty history for an unknown run: only `runs/get` tells "no such run" apart.
            self.run(run_id).await?;
        }
        Ok(points)
    }

    #[tracing::instrument(skip(self), fields(tracker = %self.client.uri()))]
    async fn registered_versions(&self, run_id: &str) -> Result<Vec<RegisteredModelVersion>, ExperimentError> {
        if plain_run_id(run_id).is_err() {
            // No run has such an id, so no version was created from it (as the embedded store answers).
            return Ok(Vec::new());
        }
        registered::fetch_all(&self.client, run_id, self.page_size).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_reach_the_server() {
        assert!(plain_run_id("0123456789abcdef0123456789abcdef").is_ok());
        for odd in ["", "x' OR name LIKE '%", "../runs", "a b"] {
            assert_eq!(plain_run_id(odd), Err(ExperimentError::RunNotFound(odd.to_string())));
        }
    }
}
