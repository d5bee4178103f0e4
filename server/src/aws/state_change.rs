//! `POST /api/aws/sagemaker-events`: SageMaker's `SageMaker Model Package State Change` events, delivered by an
//! EventBridge API destination (its connection sends the configured key in `x-api-key`). A change the portal
//! did not make (the console, another tool) is recorded on the version's timeline and in the audit log; reads
//! of the version always go to SageMaker, so its page shows the new status at once. Idempotent on EventBridge's
//! event id, since AWS may deliver an event more than once.

use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use bytes::Bytes;
use governance::audit::AuditRecord;
use governance::events::EventEnvelope;
use governance::ports::{Effects, ModelRegistry};
use governance::{EventId, Subject};
use portal_aws::registry::state_change::StateChange;
use sha2::{Digest, Sha256};

use crate::api::{json_body, ApiError};
use crate::state::AppState;

/// The header an API destination's `API_KEY` connection sends.
pub const KEY_HEADER: &str = "x-api-key";

/// The `detail-type` of the event the portal emits for a change made outside it.
pub const CHANGED_OUTSIDE: &str = "ModelPackageChangedOutsidePortal";

/// Compares digests, so the time taken says nothing about how much of the key matched.
fn same_key(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

fn effects(state: &AppState, change: &StateChange, source_event: &serde_json::Value) -> Effects {
    let service = &state.service;
    let now = service.clock.now();
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
        source: state.settings.aws.as_ref().map(|a| a.event_source.clone()).unwrap_or_else(|| "ml.portal".into()),
        account: service.origin.account.clone(),
        time: now,
        region: service.origin.region.clone(),
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

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let closed = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route");
    let (Some(registry), Some(key)) =
        (state.sagemaker.as_ref(), state.settings.aws.as_ref().and_then(|a| a.state_change_api_key.as_ref()))
    else {
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
    let change = registry
        .state_change(&event)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event", e.to_string()))?;
    let Some(change) = change else {
        // A package of no project the portal knows: taken, so EventBridge does not retry it.
        return Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "recorded": false, "reason": "unknown package" }))));
    };
    let own = registry.is_own_change(&change).await?;
    let effects = if own { Effects::default() } else { effects(&state, &change, &event) };
    let new =
        state.store.record_state_change(&change.event_id, &change.version, state.service.clock.now(), effects).await?;
    if new && !own {
        // Read back from SageMaker: the answer says what the version is now.
        let version = registry.version(&change.version).await?;
        tracing::info!(version = %change.version, status = change.status.as_str(), "model package changed outside the portal");
        let now = version.map(|v| serde_json::json!({ "stage": v.stage.as_str(), "status": v.status.as_str() }));
        return Ok((
            StatusCode::OK,
            Json(serde_json::json!({ "recorded": true, "version": change.version, "now": now })),
        ));
    }
    let reason = if own { "the portal's own change" } else { "a duplicate delivery" };
    Ok((StatusCode::OK, Json(serde_json::json!({ "recorded": false, "reason": reason }))))
}
