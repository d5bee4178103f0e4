//! Changes made outside the portal: a version's registry state read against the portal's record
//! ([`crate::record`]), and a difference recorded once, as an audit entry and a
//! `ModelPackageChangedOutsidePortal` event, whichever path noticed it first (SageMaker's state-change
//! events, the periodic sweep).

use sha2::{Digest, Sha256};

use crate::audit::AuditRecord;
use crate::decision::Decision;
use crate::events::PromotionEvent;
use crate::model::ModelVersion;
use crate::ports::{Effects, VersionQuery, Window};
use crate::{EventId, Subject, VersionId};

use super::{Service, ServiceError};

/// The `detail-type` of the event the portal emits for a registry state that differs from its record.
pub const CHANGED_OUTSIDE: &str = "ModelPackageChangedOutsidePortal";

/// Who the audit log names for what the portal noticed in a registry.
const WATCHER: &str = "portal:registry-watch";

impl Service {
    /// A version read from the registry, with its stage and status from the portal's recorded decisions and
    /// the registry's differing state in `outside`. A decision being applied right now (SageMaker shows its
    /// outcome before the portal commits it) is no outside change.
    pub(crate) async fn as_recorded(&self, version: ModelVersion) -> Result<ModelVersion, ServiceError> {
        let decisions = self.ports.registry.decisions(&version.id).await?;
        self.as_recorded_with(version, &decisions).await
    }

    /// As [`Self::as_recorded`], with the version's decisions already read.
    async fn as_recorded_with(
        &self,
        version: ModelVersion,
        decisions: &[Decision],
    ) -> Result<ModelVersion, ServiceError> {
        let mut version = crate::record::as_recorded(version, decisions);
        if let Some(outside) = version.outside {
            if self.ports.registry.pending_states(&version.id).await?.contains(&outside.registry) {
                version.outside = None;
            }
        }
        Ok(version)
    }

    /// Versions of a list, each as the portal's record has it: their decisions read in one go.
    pub(crate) async fn all_as_recorded(&self, versions: Vec<ModelVersion>) -> Result<Vec<ModelVersion>, ServiceError> {
        let mut decisions = self.ports.registry.decisions_of(&versions).await?;
        let mut out = Vec::with_capacity(versions.len());
        for v in versions {
            let of_this = decisions.remove(&v.id).unwrap_or_default();
            out.push(self.as_recorded_with(v, &of_this).await?);
        }
        Ok(out)
    }

    /// Reads the version's registry state now and records how it differs from the portal's record, once per
    /// difference: the same outside state reported by several events, by both the queue and the webhook, or
    /// by the sweep, is one audit entry and one event. `Ok(false)` when the registry agrees with the record
    /// (the portal's own change, or an old event of one) or the difference was recorded before.
    #[tracing::instrument(skip(self))]
    pub async fn record_outside_change(&self, id: &VersionId) -> Result<bool, ServiceError> {
        let Some(live) = self.ports.registry.version(id).await? else { return Ok(false) };
        let decisions = self.ports.registry.decisions(id).await?;
        let version = self.as_recorded_with(live, &decisions).await?;
        let Some(outside) = version.outside else { return Ok(false) };
        let last = decisions.iter().max_by_key(|d| d.decided_at).map(|d| d.id.as_str()).unwrap_or("registration");
        // One key per difference from one record: a later decision and a new outside change make a new one.
        let key = format!("outside:{id}:{}:{}:{last}", outside.registry.0.as_str(), outside.registry.1.as_str());
        let now = self.ports.clock.now();
        let summary = outside.describe(&version.registry);
        let event = PromotionEvent::ModelPackageChangedOutsidePortal {
            model: Self::version_ref(&version),
            registry_state: outside.registry.into(),
            recorded_state: outside.recorded.into(),
            recorded_decision: decisions.iter().max_by_key(|d| d.decided_at).map(|d| d.id.clone()),
            summary: summary.clone(),
        };
        // Its id comes from the key, so the same difference can never make two events.
        let event_id = EventId(format!("evt-outside-{}", &hex::encode(Sha256::digest(key.as_bytes()))[..24]));
        let envelope = event.envelope(event_id, now, &self.origin);
        let audit = AuditRecord {
            at: now,
            actor: Subject(WATCHER.into()),
            action: "version.changed_outside_portal".into(),
            target: id.to_string(),
            detail: envelope.detail.clone(),
        };
        let effects = Effects { events: vec![envelope], audit: vec![audit] };
        let new = self.ports.ledger.record_once(&key, id, now, effects).await?;
        if new {
            tracing::warn!(version = %id, %summary, "model version changed outside the portal");
        }
        Ok(new)
    }

    /// Reads every version of every registry and records each difference from the portal's record that no
    /// event reported (an EventBridge rule missing or a message lost). Returns how many were recorded.
    pub async fn sweep_outside_changes(&self) -> Result<usize, ServiceError> {
        let mut recorded = 0;
        let mut offset = 0;
        loop {
            let query = VersionQuery { window: Window::new(offset, Window::MAX_LIMIT), ..VersionQuery::default() };
            let page = self.ports.registry.list_versions(&query).await?;
            let seen = page.items.len() as u64;
            for version in page.items {
                let decisions = self.ports.registry.decisions(&version.id).await?;
                if crate::record::as_recorded(version.clone(), &decisions).outside.is_some()
                    && self.record_outside_change(&version.id).await?
                {
                    recorded += 1;
                }
            }
            offset += seen;
            if seen == 0 || offset >= page.total {
                return Ok(recorded);
            }
        }
    }
}
