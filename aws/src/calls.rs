//! The requests the portal sends to SageMaker, counted by operation as they go out (retries included): what a
//! page or a reconciliation costs, measured rather than guessed. Tests assert it per page; the total is in the
//! reconciler's log line.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_sagemaker::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sagemaker::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Shared by every SageMaker client of one portal.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    /// Requests sent so far, by operation (`ListModelPackages`, `DescribeModelPackage`, ...).
    pub fn by_operation(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Requests sent so far, all operations.
    pub fn total(&self) -> u64 {
        self.by_operation().values().sum()
    }
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
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_string()).unwrap_or_else(|| "unknown".into());
        let mut counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry(operation).or_default() += 1;
        Ok(())
    }
}
