//! Approve or reject a version at the stage it awaits.

use leptos::prelude::*;

use crate::error::AppError;

/// The decision form's post. Works as a plain HTML form (JavaScript off) and through the action (on).
#[server(prefix = "/fn", endpoint = "decide")]
pub async fn decide(
    version: String,
    stage: String,
    verdict: String,
    justification: String,
    evidence_digest: String,
    /// The latest test run on the page, so a stale refusal can say that new results arrived.
    #[server(default)]
    seen_test_run: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::decision::{DecisionRequest, Verdict};
    use governance::service::ServiceError;
    use governance::{DenialCode, FieldError, Stage, VersionId};

    let principal = require_principal().await?;
    let submitted: std::collections::BTreeMap<String, String> =
        [("justification".to_string(), justification.clone())].into_iter().collect();
    let invalid = |e: FieldError| reply(AppError::invalid(e, submitted.clone()));
    let stage: Stage = stage.parse().map_err(invalid)?;
    let verdict: Verdict = verdict.parse().map_err(invalid)?;
    let seen_test_run = seen_test_run.filter(|s| !s.trim().is_empty());
    let request =
        DecisionRequest { stage, verdict, justification: justification.clone(), evidence_digest, seen_test_run };
    portal()?.service.decide(&principal, &VersionId(version), request).await.map_err(|e| match e {
        // A missing justification is a form error: keep what was typed so nothing is lost.
        ServiceError::Denied(d) if d.code == DenialCode::JustificationRequired => reply(AppError::Invalid {
            field: "justification".into(),
            message: d.reason,
            submitted: [("justification".to_string(), justification.clone())].into_iter().collect(),
        }),
        other => reply(other),
    })?;
    Ok(())
}
