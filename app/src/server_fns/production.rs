//! Decisions on a Prod version after its sign-off: acknowledge a review, roll back to an earlier Prod
//! version, retire, re-certify. Each works as a plain HTML form (JavaScript off) and through its action (on).

use leptos::prelude::*;

use crate::error::AppError;

/// What a refused form sends back so nothing typed is lost.
#[cfg(feature = "ssr")]
fn kept(justification: &str) -> std::collections::BTreeMap<String, String> {
    [("justification".to_string(), justification.to_string())].into_iter().collect()
}

/// A refusal as the form shows it: a missing justification (or another bad field) beside its field.
#[cfg(feature = "ssr")]
fn refusal(e: governance::service::ServiceError, justification: &str) -> AppError {
    use governance::service::ServiceError;
    use governance::DenialCode;
    match e {
        ServiceError::Denied(d) if d.code == DenialCode::JustificationRequired => {
            AppError::Invalid { field: "justification".into(), message: d.reason, submitted: kept(justification) }
        }
        ServiceError::Invalid(f) => AppError::invalid(f, kept(justification)),
        other => other.into(),
    }
}

#[cfg(feature = "ssr")]
fn review_id(review: Option<String>) -> Option<governance::ReviewId> {
    review.filter(|r| !r.trim().is_empty()).map(governance::ReviewId)
}

/// Accepts a review's breach for a number of days; it re-opens then if the breach goes on.
#[server(prefix = "/fn", endpoint = "acknowledge_review")]
pub async fn acknowledge_review(review: String, justification: String, days: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::review::AcknowledgeRequest;

    let principal = require_principal().await?;
    let request = AcknowledgeRequest { justification: justification.clone(), days };
    portal()?
        .service
        .acknowledge_review(&principal, &governance::ReviewId(review), request)
        .await
        .map_err(|e| reply(refusal(e, &justification)))?;
    Ok(())
}

/// Rolls the group's Prod back from `version` to the earlier Prod version `to`.
#[server(prefix = "/fn", endpoint = "roll_back")]
pub async fn roll_back(
    version: String,
    to: String,
    justification: String,
    evidence_digest: String,
    #[server(default)] review: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::decision::RollbackRequest;

    let principal = require_principal().await?;
    let request = RollbackRequest {
        to: governance::VersionId(to),
        justification: justification.clone(),
        evidence_digest,
        review: review_id(review),
    };
    portal()?
        .service
        .roll_back(&principal, &governance::VersionId(version), request)
        .await
        .map_err(|e| reply(refusal(e, &justification)))?;
    Ok(())
}

/// Retires `version` from Prod.
#[server(prefix = "/fn", endpoint = "retire")]
pub async fn retire(
    version: String,
    justification: String,
    evidence_digest: String,
    #[server(default)] review: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::decision::RetireRequest;

    let principal = require_principal().await?;
    let request = RetireRequest { justification: justification.clone(), evidence_digest, review: review_id(review) };
    portal()?
        .service
        .retire(&principal, &governance::VersionId(version), request)
        .await
        .map_err(|e| reply(refusal(e, &justification)))?;
    Ok(())
}

/// Re-certifies `version` for Prod on its current evidence, under its open re-certification review.
#[server(prefix = "/fn", endpoint = "recertify")]
pub async fn recertify(version: String, justification: String, evidence_digest: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::decision::RecertifyRequest;

    let principal = require_principal().await?;
    let request = RecertifyRequest { justification: justification.clone(), evidence_digest };
    portal()?
        .service
        .recertify(&principal, &governance::VersionId(version), request)
        .await
        .map_err(|e| reply(refusal(e, &justification)))?;
    Ok(())
}
