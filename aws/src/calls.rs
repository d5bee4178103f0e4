//! The requests the portal sends to SageMaker, counted by operation as they go out (retries included): what a
//! page or a reconciliation costs, measured rather than guessed. Tests assert it per page; the total is in the
//! reconciler's log line. Each attempt is also timed and handed to an observer (the portal's metrics).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::config::interceptors::{BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef};
use aws_sdk_sagemaker::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// Told of every attempt: the operation, how long it took, and whether SageMaker answered with success.
pub type CallObserver = Arc<dyn Fn(&str, Duration, bool) + Send + Sync>;

/// Shared by every SageMaker client of one portal.
#[derive(Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    observer: Arc<OnceLock<CallObserver>>,
}

impl std::fmt::Debug for CallCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallCounter").field("counts", &self.by_operation()).finish_non_exhaustive()
    }
}

impl CallCounter {
    /// Requests sent so far, by operation (`ListModelPackages`, `DescribeModelPackage`, ...).
    pub fn by_operation(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|m| m.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Requests sent so far, all operations.
    pub fn total(&self) -> u64 {
        self.by_operation().values().sum()
    }

    /// Hands every later attempt to `observer` (once per portal; a second observer is ignored).
    pub fn observe(&self, observer: impl Fn(&str, Duration, bool) + Send + Sync + 'static) {
        let _ = self.observer.set(Arc::new(observer));
    }
}

/// When the attempt under way was sent.
#[derive(Debug, Clone, Copy)]
struct SentAt(Instant);

impl Storable for SentAt {
    type Storer = StoreReplace<Self>;
}

fn operation(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>().map(|m| m.name().to_string()).unwrap_or_else(|| "unknown".into())
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "PortalCallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry(operation(cfg)).or_default() += 1;
        cfg.interceptor_state().store_put(SentAt(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // An attempt that never reached the wire (a signing failure) was not sent: nothing to time.
        let (Some(observer), Some(SentAt(at))) = (self.observer.get(), cfg.load::<SentAt>().copied()) else {
            return Ok(());
        };
        let ok = context.response().is_some_and(|r| r.status().is_success());
        observer(&operation(cfg), at.elapsed(), ok);
        Ok(())
    }
}
