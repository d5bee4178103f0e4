//! The application state handed to axum handlers and, through context, to every server function.

use std::sync::Arc;

use axum::extract::FromRef;
use governance::service::Service;
use leptos::config::LeptosOptions;

use crate::ci_tokens::CiTokenVerifier;
use crate::identity::PortalIdentity;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Service,
    pub identity: Arc<PortalIdentity>,
    pub ci_tokens: Arc<CiTokenVerifier>,
    pub store: Store,
    pub settings: Arc<Settings>,
    /// The SageMaker registry when the `[aws]` settings select it (its state-change webhook needs it).
    pub sagemaker: Option<Arc<portal_aws::SageMakerRegistry>>,
    /// This process's metrics (`GET /metrics`).
    pub metrics: Metrics,
    /// The open live-update streams, bounded (`GET /live/...`).
    pub live: crate::live::LiveStreams,
    /// The registry page and API lists, answered again while nothing they show has changed.
    pub read_cache: Arc<crate::read_cache::ReadCache>,
}

impl FromRef<AppState> for Metrics {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
