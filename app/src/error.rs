//! The one error type of the server functions: what a person sees when something did not happen.

use std::collections::BTreeMap;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a server function did not do what was asked. Nothing changed in any case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Sign in first.")]
    NotSignedIn,
    /// Refused by a rule, with its reason.
    #[error("{reason}")]
    Denied { reason: String },
    /// A field was malformed, oversized or out of range. `submitted` carries what the person typed, so the
    /// form can show it again even after a plain (no JavaScript) form post.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String, submitted: BTreeMap<String, String> },
    #[error("{what} was not found.")]
    NotFound { what: String },
    #[error("{message}")]
    Conflict { message: String },
    /// Internals are logged on the server, never shown.
    #[error("Something went wrong on our side; nothing was changed. Try again in a moment.")]
    Internal,
    /// A system the portal depends on (SageMaker, CloudWatch, MLflow) did not answer.
    #[error("{backend} cannot be reached right now; nothing was changed. Try again in a moment.")]
    Unavailable { backend: String },
    #[error("The request could not be sent or read: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not deserialize are bad input, not a transport failure.
            ServerFnErrorErr::Args(message) => AppError::Invalid {
                field: "form".into(),
                message: format!("could not be read: {message}"),
                submitted: BTreeMap::new(),
            },
            other => AppError::Transport(other.to_string()),
        }
    }
}

impl AppError {
    /// What the person typed into `field`, when a refused form comes back.
    pub fn submitted(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid { submitted, .. } => submitted.get(field).cloned(),
            _ => None,
        }
    }

    /// The HTTP status this error answers with.
    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
            AppError::Denied { .. } => StatusCode::FORBIDDEN,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Transport(_) => StatusCode::BAD_REQUEST,
        }
    }

    pub fn invalid(e: governance::FieldError, submitted: BTreeMap<String, String>) -> Self {
        AppError::Invalid { field: e.field, message: e.message, submitted }
    }
}

#[cfg(feature = "ssr")]
mod from_service {
    use super::AppError;
    use governance::service::ServiceError;

    impl From<ServiceError> for AppError {
        fn from(e: ServiceError) -> Self {
            match e {
                ServiceError::NotFound(what) => AppError::NotFound { what },
                ServiceError::Denied(d) if d.code == governance::DenialCode::NotSignedIn => AppError::NotSignedIn,
                ServiceError::Denied(d)
                    if matches!(
                        d.code,
                        governance::DenialCode::StaleEvidence | governance::DenialCode::NotAwaitingDecision
                    ) =>
                {
                    AppError::Conflict { message: d.reason }
                }
                ServiceError::Denied(d) => AppError::Denied { reason: d.reason },
                ServiceError::Invalid(f) => {
                    AppError::Invalid { field: f.field, message: f.message, submitted: Default::default() }
                }
                ServiceError::Conflict(message) => AppError::Conflict { message },
                ServiceError::Unavailable(detail) => {
                    tracing::error!(%detail, "store unavailable");
                    AppError::Internal
                }
                ServiceError::BackendUnavailable { backend, detail } => {
                    tracing::error!(%backend, %detail, "backend unavailable");
                    AppError::Unavailable { backend }
                }
            }
        }
    }
}

/// The query parameter naming a kept form error (see [`FormFlash`]).
pub const FLASH_PARAM: &str = "__flash";

/// A refused plain form post's error (JavaScript off), kept on the server for the page the post returns to,
/// so what was typed never travels in a URL: the address carries only `?__flash=<id>`, which only the session
/// that posted can read. `path` is the server function's, `error` the error as Leptos encodes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormFlash {
    pub id: String,
    pub path: String,
    pub error: String,
}
