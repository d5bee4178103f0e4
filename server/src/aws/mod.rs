//! The AWS backends, selected by the `[aws]` settings: the registry on SageMaker (its journal in the portal
//! database), monitoring on CloudWatch, promotion events published to EventBridge, the reconciler of decisions
//! left pending by a crash, and SageMaker's own state-change events (a webhook, a queue consumer, or both).

pub mod index;
pub mod queue;
pub mod state_change;
pub mod validate;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use governance::ports::{Clock, StoreError};
use governance::VersionId;
use portal_aws::clients::{self, SageMakerClients};
use portal_aws::sdk::{aws_config, aws_sdk_cloudwatch, aws_sdk_eventbridge, aws_sdk_sqs};
use portal_aws::{
    AwsSettings, CloudWatchMonitoring, Endpoints, EventBridgePublisher, SageMakerRegistry, StateChangeQueue,
};

use crate::store::Store;

/// The name of the EventBridge delivery target in the outbox.
pub const EVENTBRIDGE: &str = "eventbridge";

/// The AWS adapters, wired.
pub struct AwsBackends {
    pub registry: Arc<SageMakerRegistry>,
    /// The registry as the service uses it: lists from the portal's index, single versions and writes live.
    pub index: Arc<index::IndexedRegistry>,
    pub monitoring: Arc<CloudWatchMonitoring>,
    pub publisher: EventBridgePublisher,
    /// The queue of SageMaker's state-change events, when `state_change_queue_url` names one (read with the
    /// central account's credentials, where the rule that fills it lives).
    pub state_change_queue: Option<StateChangeQueue>,
}

/// The endpoints a version is deployed to, from the portal's deployment requests (CloudWatch's dimensions).
struct DeployedEndpoints(Store);

#[async_trait]
impl Endpoints for DeployedEndpoints {
    async fn endpoints(&self, version: &VersionId) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let requests = self.0.ports().evidence.deployment_requests(version).await?;
        Ok(requests
            .into_iter()
            .map(|r| (r.endpoint_name, r.config.variants.into_iter().map(|v| v.name).collect()))
            .collect())
    }
}

impl AwsBackends {
    /// Builds the SDK clients (the standard credential chain, `AssumeRole` per account) and the adapters. The
    /// projects are the directory's at start-up; projects made later join with their first registration.
    pub async fn connect(settings: &AwsSettings, store: &Store, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let base = clients::base_config(settings).await;
        Self::with_config(settings, &base, store, clock).await
    }

    /// As [`AwsBackends::connect`], on a given SDK configuration (tests pass the emulator's credentials).
    pub async fn with_config(
        settings: &AwsSettings,
        base: &aws_config::SdkConfig,
        store: &Store,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let projects = store.ports().directory.projects().await?.into_iter().map(|p| p.id).collect();
        let sagemaker = SageMakerClients::new(base, settings).await;
        let central = clients::account_config(base, &settings.central, "portal-central").await;
        let journal = store.ports().journal.clone();
        let registry =
            Arc::new(SageMakerRegistry::new(settings.clone(), sagemaker, journal.clone(), clock.clone(), projects));
        let index = Arc::new(index::IndexedRegistry::new(registry.clone(), store.clone(), clock, settings));
        let monitoring = Arc::new(CloudWatchMonitoring::new(
            aws_sdk_cloudwatch::Client::new(&central),
            settings.metrics_namespace.clone(),
            settings.latency_stats.clone(),
            Arc::new(DeployedEndpoints(store.clone())),
            journal,
        ));
        let publisher =
            EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&central), settings.event_bus_name.clone())
                .with_source(settings.event_source.clone());
        let state_change_queue = settings
            .state_change_queue_url
            .clone()
            .map(|url| StateChangeQueue::new(aws_sdk_sqs::Client::new(&central), url));
        Ok(Self { registry, index, monitoring, publisher, state_change_queue })
    }
}

/// Finishes or fails decisions left pending by a crash: once at start-up, then on a timer.
pub struct Reconciler {
    pub registry: Arc<SageMakerRegistry>,
    /// The registry index, repaired each pass from a full listing.
    pub index: Arc<index::IndexedRegistry>,
    /// Sweeps the registries for states that differ from the portal's record (no event reported them).
    pub service: governance::service::Service,
    pub interval: Duration,
    pub grace: chrono::Duration,
    /// One replica's passes at a time.
    pub lease: crate::lease::Lease,
}

/// How long a reconciliation pass's lease lasts between renewals: two intervals, at least 10 s (renewals
/// every third of it), at most two minutes; a dead holder's passes are taken over within that.
fn reconcile_lease(interval: Duration) -> Duration {
    (interval * 2).clamp(Duration::from_secs(10), Duration::from_secs(120))
}

impl Reconciler {
    pub fn new(
        index: Arc<index::IndexedRegistry>,
        service: governance::service::Service,
        settings: &AwsSettings,
        store: &Store,
    ) -> Self {
        Self {
            lease: crate::lease::Lease::new(
                store.clone(),
                "reconciler",
                reconcile_lease(Duration::from_secs(settings.reconcile_interval_secs)),
            ),
            registry: index.live().clone(),
            index,
            service,
            interval: Duration::from_secs(settings.reconcile_interval_secs),
            grace: chrono::Duration::seconds(i64::try_from(settings.reconcile_grace_secs).unwrap_or(i64::MAX / 1000)),
        }
    }

    /// One pass, unless another replica is running one (then its pass serves this one's purpose); returns
    /// whether this replica ran it.
    pub async fn once(&self) -> bool {
        let pass = async {
            // Logged with this replica's name: operators (and the replica test) can see whose passes ran when.
            tracing::info!(replica = crate::replica::id(), "reconciliation pass started");
            self.pass().await;
            tracing::info!(replica = crate::replica::id(), "reconciliation pass ended");
        };
        let ran = self.lease.exclusively(pass).await.is_some();
        if !ran {
            tracing::debug!("another replica holds the reconciler's lease; no pass here");
        }
        ran
    }

    /// One pass; a failure is logged and the next pass tries again (AWS may be briefly unreachable).
    async fn pass(&self) {
        match self.registry.reconcile(self.grace).await {
            Ok(done) if done.completed.is_empty() && done.failed.is_empty() => {}
            Ok(done) => {
                tracing::info!(completed = ?done.completed, failed = ?done.failed, "reconciled pending decisions")
            }
            Err(e) => tracing::error!(error = %e, "could not reconcile pending decisions"),
        }
        // The index next: what a lost event left out of it is repaired before the sweep reads it.
        match self.index.reconcile().await {
            Ok(done) if done.changed.is_empty() && done.removed.is_empty() => {
                tracing::debug!(
                    listed = done.listed,
                    described = done.described,
                    calls = done.calls,
                    "registry index reconciled"
                )
            }
            Ok(done) => tracing::warn!(
                listed = done.listed,
                described = done.described,
                calls = done.calls,
                changed = ?done.changed,
                removed = ?done.removed,
                "registry index repaired from SageMaker"
            ),
            Err(e) => tracing::error!(error = %e, "could not reconcile the registry index"),
        }
        match self.service.sweep_outside_changes().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(recorded = n, "registry states that differ from the portal's record"),
            Err(e) => tracing::error!(error = %e, "could not sweep the registries for outside changes"),
        }
    }

    /// Runs a pass every `interval` until `shutdown` resolves (the start-up pass ran while the portal was built).
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => return,
            }
            self.once().await;
        }
    }
}
