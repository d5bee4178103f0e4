//! SageMaker's `SageMaker Model Package State Change` events taken in, from either way they arrive: the webhook
//! `POST /api/aws/sagemaker-events` (an EventBridge API destination whose connection sends the configured key in
//! `x-api-key`) or the queue consumer (`super::queue`). A change the portal did not make (the console, another
//! tool) is recorded on the version's timeline and in the audit log; reads of the version always go to SageMaker,
//! so its page shows the new status at once. Idempotent on EventBridge's event id, since AWS may deliver an event
//! more than once (and both ways may carry the same event).

use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use bytes::Bytes;
use governance::audit::AuditRecord;
use governance::events::{EventEnvelope, EventOrigin};
use governance::ports::{Clock, Effects, ModelRegistry, StoreError};
use governance::{EventId, Subject, VersionId};
use portal_aws::registry::state_change::{StateChange, StateChangeError};
use portal_aws::SageMakerRegistry;
use sha2::{Digest, Sha256};

use crate::api::{json_body, ApiError};
use crate::sqlite::SqliteStore;
use crate::state::AppState;

/// The header an API destination's `API_KEY` connection sends.
pub const KEY_HEADER: &str = "x-api-key";

/// The `detail-type` of the event the portal emits for a change made outside it.
pub const CHANGED_OUTSIDE: &str = "ModelPackageChangedOutsidePortal";

/// Compares digests, so the time taken says nothing about how much of the key matched.
fn same_key(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// What taking in one state-change event needs: the webhook and the queue consumer share it.
#[derive(Clone)]
pub struct StateChangeIntake {
    pub registry: Arc<SageMakerRegistry>,
    pub store: SqliteStore,
    pub clock: Arc<dyn Clock>,
    pub origin: EventOrigin,
    /// The `source` of the portal's own events (the settings' `event_source`).
    pub source: String,
}

/// What became of an event that was taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A change made outside the portal, recorded now on the version's timeline and in the audit log.
    Recorded(VersionId),
    /// The portal's own change (a decision, a registration, a central copy): remembered, nothing recorded.
    OwnChange,
    /// The event was taken in before.
    Duplicate,
    /// A package of no project the portal knows.
    UnknownPackage,
}

impl Outcome {
    /// Why nothing was recorded, as the webhook's answer and the queue consumer's log say it.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Outcome::Recorded(_) => None,
            Outcome::OwnChange => Some("the portal's own change"),
            Outcome::Duplicate => Some("a duplicate delivery"),
            Outcome::UnknownPackage => Some("unknown package"),
        }
    }
}

/// Why an event was not taken in.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The event is not a state change the portal can read, and never will be: sending it again is useless.
    #[error(transparent)]
    Invalid(#[from] StateChangeError),
    /// The portal database could not be read or written: the same event may succeed later.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl StateChangeIntake {
    /// The intake of a portal on SageMaker; `None` without the `[aws]` backends.
    pub fn from_state(state: &AppState) -> Option<Self> {
        let registry = state.sagemaker.clone()?;
        let source = state.settings.aws.as_ref().map(|a| a.event_source.clone()).unwrap_or_else(|| "ml.portal".into());
        Some(Self {
            registry,
            store: state.store.clone(),
            clock: state.service.clock.clone(),
            origin: state.service.origin.clone(),
            source,
        })
    }

    /// Takes one event in: an outside change is recorded (with the event id, in one transaction), the portal's
    /// own change and a duplicate only remembered.
    ///
    /// # Errors
    /// `Invalid` for an event that is no SageMaker state change (or lacks what one carries); `Store` when the
    /// portal database failed, which is worth trying again.
    #[tracing::instrument(skip(self, event), fields(event_id = event.get("id").and_then(|v| v.as_str()).unwrap_or_default()))]
    pub async fn take_in(&self, event: &serde_json::Value) -> Result<Outcome, IntakeError> {
        let Some(change) = self.registry.state_change(event)? else { return Ok(Outcome::UnknownPackage) };
        let own = self.registry.is_own_change(&change).await?;
        let effects = if own { Effects::default() } else { self.effects(&change, event) };
        let new = self.store.record_state_change(&change.event_id, &change.version, self.clock.now(), effects).await?;
        Ok(match (new, own) {
            (false, _) => Outcome::Duplicate,
            (true, true) => Outcome::OwnChange,
            (true, false) => {
                tracing::info!(version = %change.version, status = change.status.as_str(), "model package changed outside the portal");
                Outcome::Recorded(change.version)
            }
        })
    }

    fn effects(&self, change: &StateChange, source_event: &serde_json::Value) -> Effects {
        let now = self.clock.now();
        let detail = serde_json::json!({
            "model": { "versionId": change.version.as_str() },
            "stage": change.stage.map(|s| s.as_str()),
            "status": change.status.as_str(),
            "sagemakerEventId": change.event_id,
            "modelPackageArn": source_event.pointer("/detail/ModelPackageArn"),
        });
        let event = EventEnvelope {
            version: "0".into(),
            // Derived from EventBridge's id: the same SageMaker event can never make two portal events.
            id: EventId(format!("evt-sm-{}", change.event_id)),
            detail_type: CHANGED_OUTSIDE.into(),
            source: self.source.clone(),
            account: self.origin.account.clone(),
            time: now,
            region: self.origin.region.clone(),
            resources: vec![],
            detail: detail.clone(),
        };
        let audit = AuditRecord {
            at: now,
            actor: Subject("aws.sagemaker".into()),
            action: "version.changed_outside_portal".into(),
            target: change.version.to_string(),
            detail,
        };
        Effects { events: vec![event], audit: vec![audit] }
    }
}

/// `POST /api/aws/sagemaker-events`: 200 with whether the event was recorded (a duplicate or the portal's own
/// change is not), 202 for an unknown package, 422 for an event that is no state change (EventBridge does not
/// retry a 4xx), 503 when the portal database failed (EventBridge retries a 5xx).
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let closed = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route");
    let (Some(intake), Some(key)) = (
        StateChangeIntake::from_state(&state),
        state.settings.aws.as_ref().and_then(|a| a.state_change_api_key.as_ref()),
    ) else {
        return Err(closed());
    };
    let given = headers.get(KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !same_key(given, &key.0) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("a valid {KEY_HEADER} is required"),
        ));
    }
    let event: serde_json::Value = json_body(body)?;
    let outcome = intake.take_in(&event).await.map_err(|e| match e {
        IntakeError::Invalid(e) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event", e.to_string()),
        IntakeError::Store(e) => ApiError::from(e),
    })?;
    match outcome {
        Outcome::Recorded(version) => {
            // Read back from SageMaker: the answer says what the version is now.
            let now = intake
                .registry
                .version(&version)
                .await?
                .map(|v| serde_json::json!({ "stage": v.stage.as_str(), "status": v.status.as_str() }));
            Ok((StatusCode::OK, Json(serde_json::json!({ "recorded": true, "version": version, "now": now }))))
        }
        // Taken, so EventBridge does not retry it.
        Outcome::UnknownPackage => Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "recorded": false, "reason": Outcome::UnknownPackage.reason() })),
        )),
        other => Ok((StatusCode::OK, Json(serde_json::json!({ "recorded": false, "reason": other.reason() })))),
    }
}
