//! The portal server: settings, wiring, sign-in, the JSON API, the event dispatcher and the adapters.

pub mod api;
pub mod ci_tokens;
pub mod clock;
pub mod demo;
pub mod demo_templates;
pub mod dispatch;
pub mod git;
pub mod identity;
pub mod mlflow;
pub mod oidc;
pub mod routes;
pub mod settings;
pub mod sqlite;
pub mod state;
pub mod web_defences;
pub mod webhook;

use std::sync::Arc;

use governance::events::EventOrigin;
use governance::ports::Experiments;
use governance::service::Service;
use leptos::config::LeptosOptions;

use crate::dispatch::Dispatcher;
use crate::identity::PortalIdentity;
use crate::mlflow::MlflowExperiments;
use crate::settings::Settings;
use crate::sqlite::SqliteStore;
use crate::state::AppState;

/// A wired portal: the router's state and the dispatcher to run beside it.
pub struct Portal {
    pub state: AppState,
    pub dispatcher: Dispatcher,
}

/// Where the compiled site (wasm, JS, CSS) is served from, from cargo-leptos's variables or defaults.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "portal"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(settings.addr)
        .build()
}

/// Opens the store, seeds demo data on a first start, and wires the service, identity and dispatcher.
pub async fn build(settings: Settings) -> anyhow::Result<Portal> {
    std::fs::create_dir_all(&settings.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create the data directory {}: {e}", settings.data_dir.display()))?;
    let targets = Dispatcher::target_names(&settings.webhooks);
    let store = SqliteStore::open(&settings.data_dir.join("portal.sqlite"), targets).await?;
    // MLflow when the settings name a tracking server; else the runs the embedded store holds (demo data).
    let experiments: Arc<dyn Experiments> = match &settings.mlflow {
        Some(mlflow) => Arc::new(MlflowExperiments::from_settings(mlflow)?),
        None => Arc::new(store.clone()),
    };
    let service = Service {
        directory: Arc::new(store.clone()),
        registry: Arc::new(store.clone()),
        evidence: Arc::new(store.clone()),
        monitoring: Arc::new(store.clone()),
        experiments,
        ledger: Arc::new(store.clone()),
        templates: Arc::new(store.clone()),
        projects: Arc::new(store.clone()),
        catalog: Arc::new(store.clone()),
        repositories: Arc::new(git::GitRepositories::new(settings.repositories_dir())),
        clock: Arc::new(clock::SystemClock),
        ids: Arc::new(clock::RandomIds),
        origin: EventOrigin { account: settings.event_account.clone(), region: settings.event_region.clone() },
    };
    // The embedded default ships the seed templates (Classical Regression, LLM fine-tuning, RAG).
    demo_templates::seed_if_none(&store).await?;
    if settings.demo_data() {
        demo::seed_if_empty(&store, &service).await?;
    }
    if !settings.development() && settings.oidc.is_none() {
        tracing::warn!("production mode without [oidc]: nobody can sign in to the pages");
    }
    let oidc = settings.oidc.clone().map(|s| Arc::new(oidc::OidcSignIn::new(s)));
    let identity = Arc::new(PortalIdentity {
        store: store.clone(),
        clock: service.clock.clone(),
        development: settings.development(),
        session_hours: settings.session_hours,
        idle_minutes: settings.session_idle_minutes,
        secure: settings.oidc.as_ref().is_some_and(|o| o.https()),
        oidc,
    });
    let ci_tokens = Arc::new(ci_tokens::CiTokenVerifier::new(
        Arc::new(settings.trust_policies.clone()),
        ci_tokens::JwksCache::new(std::time::Duration::from_secs(30), std::time::Duration::from_secs(3600)),
        60,
    ));
    let dispatcher = Dispatcher::new(&service, &settings.webhooks, settings.max_delivery_attempts)?;
    let state = AppState {
        leptos_options: leptos_options(&settings),
        service,
        identity,
        ci_tokens,
        store,
        settings: Arc::new(settings),
    };
    Ok(Portal { state, dispatcher })
}
