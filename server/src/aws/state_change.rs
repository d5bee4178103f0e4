//! SageMaker's `SageMaker Model Package State Change` events taken in, from either way they arrive: the webhook
//! `POST /api/aws/sagemaker-events` (an EventBridge API destination whose connection sends the configured key in
//! `x-api-key`) or the queue consumer (`super::queue`). An event only says "look at this package": the service
//! reads the package's state now against the portal's decision record, and a difference (a change made in the
//! console or by another tool, in either direction) is recorded once on the version's timeline and in the audit
//! log, however many events report it. What SageMaker says never counts as a decision. Idempotent on
//! EventBridge's event id, since AWS may deliver an event more than once (and both ways may carry the same
//! event).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use governance::ports::{Clock, Effects, ModelRegistry, StoreError};
use governance::service::{Service, ServiceError};
use governance::VersionId;
use portal_aws::registry::state_change::StateChangeError;
use portal_aws::SageMakerRegistry;
use sha2::{Digest, Sha256};

use crate::api::{read_json, ApiError};
use crate::state::AppState;
use crate::store::Store;

/// The header an API destination's `API_KEY` connection sends.
pub const KEY_HEADER: &str = "x-api-key";

/// The `detail-type` of the event the portal emits for a change made outside it.
pub use governance::service::CHANGED_OUTSIDE;

/// Compares digests, so the time taken says nothing about how much of the key matched.
fn same_key(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// What taking in one state-change event needs: the webhook and the queue consumer share it.
#[derive(Clone)]
pub struct StateChangeIntake {
    pub registry: Arc<SageMakerRegistry>,
    /// Where the package's state is read against the record, and a difference recorded.
    pub service: Service,
    /// Remembers EventBridge's event ids (duplicates).
    pub store: Store,
    pub clock: Arc<dyn Clock>,
}

/// What became of an event that was taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A change made outside the portal, recorded now on the version's timeline and in the audit log.
    Recorded(VersionId),
    /// SageMaker agrees with the portal's record (the portal's own change, or an old event of one), or this
    /// difference was recorded before: remembered, nothing recorded.
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
            Outcome::OwnChange => {
                Some("the registry agrees with the portal's record, or the change was recorded before")
            }
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
    /// The package or the record could not be read, or the difference not recorded: worth trying again.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl StateChangeIntake {
    /// The intake of a portal on SageMaker; `None` without the `[aws]` backends.
    pub fn from_state(state: &AppState) -> Option<Self> {
        Some(Self {
            registry: state.sagemaker.clone()?,
            service: state.service.clone(),
            store: state.store.clone(),
            clock: state.identity.clock.clone(),
        })
    }

    /// Takes one event in: the package it names is read against the portal's record and a difference
    /// recorded (once per difference); the event id is remembered, so a duplicate is known as one.
    ///
    /// # Errors
    /// `Invalid` for an event that is no SageMaker state change (or lacks what one carries); `Store` or
    /// `Service` when the portal database or SageMaker failed, which is worth trying again.
    #[tracing::instrument(skip(self, event), fields(event_id = event.get("id").and_then(|v| v.as_str()).unwrap_or_default()))]
    pub async fn take_in(&self, event: &serde_json::Value) -> Result<Outcome, IntakeError> {
        let Some(change) = self.registry.state_change(event)? else { return Ok(Outcome::UnknownPackage) };
        // Recorded first: a crash between the two steps leaves the event unremembered, so its redelivery
        // looks again (and finds the difference recorded), never the other way round.
        let recorded = self.service.record_outside_change(&change.version).await?;
        let new = self
            .store
            .record_state_change(&change.event_id, &change.version, self.clock.now(), Effects::default())
            .await?;
        Ok(match (recorded, new) {
            (true, _) => Outcome::Recorded(change.version),
            (false, false) => Outcome::Duplicate,
            (false, true) => Outcome::OwnChange,
        })
    }
}

/// `POST /api/aws/sagemaker-events`: 200 with whether the event was recorded (a duplicate or the portal's own
/// change is not), 202 for an unknown package, 422 for an event that is no state change (EventBridge does not
/// retry a 4xx), 503 when the portal database failed (EventBridge retries a 5xx).
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
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
    let event: serde_json::Value = read_json(body).await?;
    let outcome = intake.take_in(&event).await.map_err(|e| match e {
        IntakeError::Invalid(e) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event", e.to_string()),
        IntakeError::Store(e) => ApiError::from(e),
        IntakeError::Service(e) => ApiError::from(e),
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
