//! The JSON API for machines under `/api/v1` (DESIGN.md §7), described by `/api/v1/openapi.json`.

pub(crate) mod auth;
pub(crate) mod error;
mod handlers;
pub mod junit;
pub mod openapi;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

pub use error::ApiError;

use crate::state::AppState;

/// The largest request body: a JUnit report of thousands of cases fits; anything bigger is refused.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/projects/{project}/versions", post(handlers::register_version))
        .route("/api/v1/model-groups", get(handlers::model_groups))
        .route("/api/v1/versions", get(handlers::versions))
        .route("/api/v1/versions/{id}", get(handlers::version))
        .route("/api/v1/versions/{id}/decisions", get(handlers::version_decisions))
        .route("/api/v1/versions/{id}/test-runs", get(handlers::test_runs).post(handlers::record_test_run))
        .route("/api/v1/versions/{id}/deployments", get(handlers::deployments))
        .route("/api/v1/versions/{id}/monitoring", post(handlers::push_monitoring))
        .route("/api/v1/deployments/{id}/status", post(handlers::report_deployment_status))
        .route("/api/v1/decisions", get(handlers::decisions))
        .route("/api/v1/events", get(handlers::events))
        .route("/api/aws/sagemaker-events", post(crate::aws::state_change::receive))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// How long a client may take to send a request's body once its headers arrived.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Reads a JSON body, naming what was wrong: too large, too slow, not JSON, or a field of the wrong shape.
/// Handlers call it after they authenticated the caller, so nobody makes the portal buffer a body it refuses.
pub async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|e| {
        let source = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.to_string());
        if source.contains("length limit") {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes (the limit)"),
            )
        } else {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_not_read",
                format!("the body did not arrive within {} s or was cut off: {source}", BODY_TIMEOUT.as_secs()),
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json", format!("the body is not valid: {e}"))
    })
}
