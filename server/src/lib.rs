//! The portal server: settings, wiring, sign-in, the JSON API, the event dispatcher and the adapters.
// The release build (no `erase_components`) proves the pages' nested view types `Send` through more levels
// than the default 128 allows.
#![recursion_limit = "512"]

pub mod api;
pub mod audit_export;
pub mod aws;
pub mod ci_tokens;
pub mod clock;
pub mod demo;
pub mod demo_templates;
pub mod dispatch;
pub mod download;
pub mod evidence_pack;
pub mod fn_errors;
pub mod form_flash;
pub mod git;
pub mod identity;
pub mod lease;
pub mod live;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod mlflow;
pub mod notify;
pub mod oidc;
pub mod postgres;
pub mod read_cache;
pub mod replica;
pub mod routes;
pub mod settings;
pub mod sqlite;
pub mod state;
pub mod store;
pub mod sweep;
pub mod traces;
pub mod web_defences;
pub mod webhook;

use std::sync::Arc;

use governance::events::EventOrigin;
use governance::ports::{Experiments, ModelRegistry, Monitoring};
use governance::service::{Ports, Service};
use leptos::config::LeptosOptions;

use crate::dispatch::Dispatcher;
use crate::identity::PortalIdentity;
use crate::mlflow::MlflowExperiments;
use crate::settings::Settings;
use crate::state::AppState;

/// A wired portal: the router's state and the dispatcher (and, on AWS, the reconciler and the state-change
/// queue's consumer) to run beside it.
pub struct Portal {
    pub state: AppState,
    pub dispatcher: Dispatcher,
    pub reconciler: Option<aws::Reconciler>,
    pub state_change_queue: Option<aws::queue::StateChangeConsumer>,
    /// Mails the digests of what awaits people, when the settings name an SMTP server.
    pub mailer: Option<notify::Mailer>,
}

/// Where the compiled site (wasm, JS, CSS) is served from: the LEPTOS_* variables (cargo-leptos's names) or defaults.
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
    build_with(settings, None).await
}

/// As [`build`]; `aws_config` replaces the standard credential chain for the AWS backends (tests on the emulator).
pub async fn build_with(
    settings: Settings,
    aws_config: Option<portal_aws::sdk::aws_config::SdkConfig>,
) -> anyhow::Result<Portal> {
    std::fs::create_dir_all(&settings.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create the data directory {}: {e}", settings.data_dir.display()))?;
    let metrics = metrics::Metrics::new();
    let mut targets = Dispatcher::target_names(&settings.webhooks, settings.aws.is_some());
    targets.extend(notify::target_names(&settings));
    let mut store = store::open(&settings, targets.clone()).await?;
    tracing::info!(store = store.kind(), replica = replica::id(), "database open");
    // Seeding happens once, by one replica: the others wait here, then find it done.
    let first_start = store::FirstStart::begin(&store).await?;
    if settings.demo_data() && demo::seeding_interrupted(&store).await? {
        // The first start died while seeding: the database holds nothing but part of the demo. Start it over.
        store = store::start_over(store, &settings, targets).await?;
    }
    let clock: Arc<dyn governance::ports::Clock> = Arc::new(clock::SystemClock(settings.clock_shift.clone()));
    if settings.aws.is_some() && settings.demo_data() {
        // The SageMaker registry knows the projects of the directory at start-up: seed the demo's first. Its
        // versions are not seeded into a real registry.
        if demo::seed_directory_if_empty(&store).await? {
            demo::seeded(&store).await?;
        }
    }
    let backends = match (&settings.aws, aws_config) {
        (Some(aws), Some(config)) => Some(aws::AwsBackends::with_config(aws, &config, &store, clock.clone()).await?),
        (Some(aws), None) => Some(aws::AwsBackends::connect(aws, &store, clock.clone()).await?),
        (None, _) => None,
    };
    // MLflow when the settings name a tracking server; else the runs the embedded store holds (demo data).
    let stored = store.ports();
    let experiments: Arc<dyn Experiments> = match &settings.mlflow {
        Some(mlflow) => Arc::new(MlflowExperiments::from_settings(mlflow)?.with_metrics(metrics.clone())),
        None => stored.experiments.clone(),
    };
    let (registry, monitoring): (Arc<dyn ModelRegistry>, Arc<dyn Monitoring>) = match &backends {
        Some(b) => (b.index.clone(), b.monitoring.clone()),
        None => (stored.registry.clone(), stored.monitoring.clone()),
    };
    let ports = Ports {
        directory: stored.directory.clone(),
        registry,
        evidence: stored.evidence.clone(),
        monitoring,
        experiments,
        ledger: stored.ledger.clone(),
        templates: stored.templates.clone(),
        projects: stored.projects.clone(),
        catalog: stored.catalog.clone(),
        reviews: stored.reviews.clone(),
        notifications: stored.notifications.clone(),
        repositories: Arc::new(git::GitRepositories::new(settings.repositories_dir())),
        clock: clock.clone(),
        ids: Arc::new(clock::RandomIds),
    };
    let origin = EventOrigin { account: settings.event_account.clone(), region: settings.event_region.clone() };
    let service = Service::new(ports, origin);
    // The embedded default ships the seed templates (Classical Regression, LLM fine-tuning, RAG).
    demo_templates::seed_if_none(&store).await?;
    if settings.demo_data() && backends.is_none() {
        demo::seed_if_empty(&store, &service).await?;
    }
    first_start.end(&store).await;
    if !settings.development() && settings.oidc.is_none() {
        tracing::warn!("production mode without [oidc]: nobody can sign in to the pages");
    }
    let oidc = settings.oidc.clone().map(|s| Arc::new(oidc::OidcSignIn::new(s)));
    let identity = Arc::new(PortalIdentity {
        store: store.clone(),
        clock: clock.clone(),
        development: settings.development(),
        session_hours: settings.session_hours,
        idle_minutes: settings.session_idle_minutes,
        secure: settings.oidc.as_ref().is_some_and(|o| o.https()),
        oidc,
    });
    let ci_tokens = Arc::new(ci_tokens::CiTokenVerifier::new(
        Arc::new(settings.trust_policies.clone()),
        ci_tokens::JwksCache::new(std::time::Duration::from_secs(30), std::time::Duration::from_secs(3600))
            .with_metrics(metrics.clone()),
        60,
    ));
    let publisher = backends.as_ref().map(|b| b.publisher.clone());
    let dispatcher =
        Dispatcher::new(&service, &settings.webhooks, publisher, dispatch::Schedule::from_settings(&settings))?
            .with_notifications(&settings)?;
    let reconciler = match (&backends, &settings.aws) {
        (Some(b), Some(aws)) => {
            let reconciler = aws::Reconciler::new(b.index.clone(), service.clone(), aws, &store);
            // Before serving: decisions a crash left pending are finished (or failed) first.
            reconciler.once().await;
            Some(reconciler)
        }
        _ => None,
    };
    let sagemaker = backends.as_ref().map(|b| b.registry.clone());
    if let Some(registry) = &sagemaker {
        let metrics = metrics.clone();
        registry.calls().observe(move |operation, took, ok| metrics.call("sagemaker", operation, took, ok));
    }
    let queue = backends.and_then(|b| b.state_change_queue);
    let read_cache =
        Arc::new(read_cache::ReadCache::new(settings.read_cache_mib as usize * 1024 * 1024, clock.clone()));
    let state = AppState {
        leptos_options: leptos_options(&settings),
        service,
        identity,
        ci_tokens,
        store,
        settings: Arc::new(settings),
        sagemaker,
        metrics,
        live: live::LiveStreams::default(),
        read_cache,
    };
    let state_change_queue = match (queue, aws::state_change::StateChangeIntake::from_state(&state)) {
        (Some(queue), Some(intake)) => Some(aws::queue::StateChangeConsumer::new(queue, intake).with_lease(
            lease::Lease::new(state.store.clone(), "state-change-queue", std::time::Duration::from_secs(60)),
        )),
        _ => None,
    };
    let mailer = match &state.settings.smtp {
        Some(smtp) => {
            Some(notify::Mailer::new(&state.service, smtp, notify::link_origin(&state.settings))?.with_lease(
                lease::Lease::new(state.store.clone(), "digest-mailer", std::time::Duration::from_secs(60)),
            ))
        }
        None => None,
    };
    Ok(Portal { state, dispatcher, reconciler, state_change_queue, mailer })
}
