//! Server functions whose arguments cannot even be read (not UTF-8, not a form, the wrong types, too large)
//! fail before their body runs, and Leptos answers those with 500. This layer gives them the status of what
//! they are: bad input (422) or a request that could not be read (400), as the API does; an internal error
//! stays 500.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest error body looked at (a server function's error is a few hundred bytes of JSON).
const MAX_ERROR_BYTES: usize = 64 * 1024;

pub async fn statuses_of_unread_arguments(request: Request<Body>, next: Next) -> Response {
    let server_fn = request.uri().path().starts_with(app::server_fns::PREFIX);
    let response = next.run(request).await;
    if !server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match serde_json::from_slice::<app::error::AppError>(&bytes) {
        Ok(app::error::AppError::Invalid { .. }) => parts.status = StatusCode::UNPROCESSABLE_ENTITY,
        Ok(app::error::AppError::Transport(_)) => parts.status = StatusCode::BAD_REQUEST,
        _ => {}
    }
    Response::from_parts(parts, Body::from(bytes))
}
