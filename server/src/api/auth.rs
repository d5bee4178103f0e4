//! Who calls the API: a CI pipeline with its project's bearer token, a signed-in person (for reads), or
//! nobody. Authorization is decided by the domain's one function, `governance::authz::authorize`.

use axum::http::{HeaderMap, StatusCode};
use governance::persona::Machine;
use governance::{Actor, ProjectId, Subject};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::state::AppState;

/// The actor behind a request.
///
/// # Errors
/// 401 when a bearer token is sent but matches no project.
pub async fn actor(state: &AppState, headers: &HeaderMap) -> Result<Actor, ApiError> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "Authorization must be 'Bearer <token>'")
        })?;
        // Compare digests, so the comparison takes the same time whatever the token's prefix.
        let presented = Sha256::digest(token.trim().as_bytes());
        let project = state
            .settings
            .project_tokens
            .iter()
            .find(|(_, secret)| Sha256::digest(secret.0.as_bytes()) == presented)
            .map(|(project, _)| project.clone())
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "the bearer token is not valid"))?;
        return Ok(Actor::Machine(Machine {
            subject: Subject(format!("token:{project}")),
            project: ProjectId(project),
        }));
    }
    Ok(match state.identity.principal_from_headers(headers).await {
        Some(p) => Actor::Person(p),
        None => Actor::Anonymous,
    })
}
