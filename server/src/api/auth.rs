//! Who calls the API: a CI pipeline with a short-lived OIDC token (or, in development only, a static
//! project token), a signed-in person (for reads), or nobody. Authorization is decided by the domain's one
//! function, `governance::authz::authorize`; a CI token's project and actions come from the trust policies.

use axum::http::{HeaderMap, StatusCode};
use governance::persona::Machine;
use governance::trust_policy::{machine_for, MachineAction};
use governance::{Actor, ProjectId, Subject};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::state::AppState;

/// Whether a bearer credential is a JWT (three base64url parts) rather than a static project token.
fn is_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.matches('.').count() == 2
}

/// The actor behind a request.
///
/// # Errors
/// 401 when a bearer credential is sent but does not verify; 403 when a verified CI token meets no trust
/// policy.
pub async fn actor(state: &AppState, headers: &HeaderMap) -> Result<Actor, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(match state.identity.principal_from_headers(headers).await {
            Some(p) => Actor::Person(p),
            None => Actor::Anonymous,
        });
    };
    let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "Authorization must be 'Bearer <token>'")
    })?;
    if token.len() > crate::ci_tokens::MAX_TOKEN_BYTES || is_jwt(token) {
        let claims = state.ci_tokens.verify(token).await.map_err(|e| {
            tracing::warn!(reason = %e, "CI token refused");
            ApiError::from(e)
        })?;
        let machine = machine_for(&state.settings.trust_policies, &claims).map_err(|d| {
            tracing::warn!(subject = ?claims.claims.get("sub"), reason = %d.reason, "CI token outside every trust policy");
            ApiError::from(d)
        })?;
        return Ok(Actor::Machine(machine));
    }
    // Static project tokens: a development opt-in (the settings refuse them in production).
    let presented = Sha256::digest(token.as_bytes());
    let project = state
        .settings
        .project_tokens
        .iter()
        .filter(|_| state.settings.development())
        // Compare digests, so the comparison takes the same time whatever the token's prefix.
        .find(|(_, secret)| Sha256::digest(secret.0.as_bytes()) == presented)
        .map(|(project, _)| project.clone())
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "the bearer token is not valid"))?;
    Ok(Actor::Machine(Machine {
        subject: Subject(format!("token:{project}")),
        project: ProjectId(project),
        may: MachineAction::ALL.into(),
    }))
}
