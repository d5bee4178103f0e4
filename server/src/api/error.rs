//! API errors: a JSON body with a code and a message, and the matching status. Internals are logged.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use governance::service::ServiceError;
use governance::{Denial, FieldError};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_string(), message: message.into(), field: None }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid".into(),
            message: format!("{}: {}", e.field, e.message),
            field: Some(e.field),
        }
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        let status = StatusCode::from_u16(d.code.http_status()).unwrap_or(StatusCode::FORBIDDEN);
        let code = serde_json::to_value(d.code).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        Self { status, code, message: d.reason, field: None }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} was not found"))
            }
            ServiceError::Denied(d) => d.into(),
            ServiceError::Invalid(f) => f.into(),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Unavailable(detail) => {
                tracing::error!(%detail, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the portal's store is unavailable; try again",
                )
            }
            ServiceError::BackendUnavailable { backend, detail } => {
                tracing::error!(%backend, %detail, "backend unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "backend_unavailable",
                    format!("{backend} is unavailable; nothing was changed; try again"),
                )
            }
        }
    }
}

impl From<governance::ports::StoreError> for ApiError {
    fn from(e: governance::ports::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<crate::ci_tokens::CiTokenError> for ApiError {
    fn from(e: crate::ci_tokens::CiTokenError) -> Self {
        let status = match e {
            crate::ci_tokens::CiTokenError::JwksUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        };
        ApiError::new(status, e.code(), format!("CI token refused: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}
