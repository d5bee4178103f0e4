//! The review sweep: opens the re-certification reviews that came due. Runs in every process; the store's
//! unique index keeps one active review per version, so replicas sweeping at once open each review once.

use std::time::Duration;

use governance::service::Service;

/// Sweeps at start (after a short delay, so a start is not slowed) and then every `interval`, until `stopped`.
pub async fn run(service: Service, interval: Duration, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let mut wait = Duration::from_secs(5);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
        match service.sweep_recertifications().await {
            Ok(report) if report.opened > 0 => {
                tracing::info!(checked = report.checked, opened = report.opened, "re-certification reviews opened")
            }
            Ok(_) => {}
            // Tried again at the next interval: nothing was half done (each review opens in one transaction).
            Err(e) => tracing::warn!(error = %e, "the re-certification sweep failed"),
        }
        wait = interval;
    }
}
