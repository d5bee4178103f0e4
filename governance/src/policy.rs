//! The promotion policy: one pure function decides every transition (DESIGN.md §5).
//!
//! The UI calls [`check`] to show why a button is disabled; the server calls [`decide`], which adds the
//! justification and stale-evidence rules, whatever the UI showed.

use serde::{Deserialize, Serialize};

use crate::decision::{DecisionRequest, Justification, Verdict};
use crate::evidence::Evidence;
use crate::gates::gates;
use crate::model::ModelVersion;
use crate::project::ProjectPolicy;
use crate::{ApprovalStatus, Denial, DenialCode, Environment, Persona, Principal, Stage};

/// What a permitted decision does to the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transition {
    /// The version moves to this stage and status.
    Move { stage: Stage, status: ApprovalStatus },
    /// A Prod sign-off that does not yet complete the quorum: the version stays where it is.
    Signoff { signed: u8, required: u8 },
}

/// Whether `principal` may give `verdict` at `stage` on this evidence, and what it would do.
///
/// # Errors
/// A [`Denial`] with the first rule that refuses, in words a person can act on.
pub fn check(
    principal: &Principal,
    evidence: &Evidence,
    policy: &ProjectPolicy,
    stage: Stage,
    verdict: Verdict,
) -> Result<Transition, Denial> {
    let version = &evidence.version;
    let persona = Persona::deciding(stage);
    if !principal.has(&version.project, persona) {
        return Err(Denial::new(
            DenialCode::MissingPersona,
            format!("Only {} of project {} may decide the {stage} stage.", persona.with_article(), version.project),
        ));
    }
    if version.awaiting() != Some(stage) {
        let now = format!("{} / {}", version.stage, version.status.label());
        let reason = match version.awaiting() {
            Some(next) => format!("This version awaits its {next} decision, not {stage} (it is {now})."),
            None => format!("This version awaits no decision (it is {now} in the {}).", version.registry.label()),
        };
        return Err(Denial::new(DenialCode::NotAwaitingDecision, reason));
    }
    let to = |status| Transition::Move { stage, status };
    if matches!(verdict, Verdict::Rollback | Verdict::Retire | Verdict::Recertify) {
        return Err(Denial::new(
            DenialCode::Forbidden,
            "A rollback, a retirement or a re-certification is decided on a Prod version's Production panel, not \
             on the approval panel.",
        ));
    }
    if verdict == Verdict::Reject {
        // Rejecting needs no gate: anyone entitled to decide may stop a version.
        return Ok(to(ApprovalStatus::Rejected));
    }
    if let Some(unmet) = gates(stage, evidence, policy).into_iter().find(|g| !g.met) {
        return Err(Denial::new(DenialCode::GateUnmet, format!("Gate not met: {} ({}).", unmet.label, unmet.detail)));
    }
    if stage != Stage::Prod {
        return Ok(to(ApprovalStatus::Approved));
    }
    // Separation of duties: the Prod approver is neither who registered the model nor who approved it for Test.
    if principal.subject == version.registered_by {
        return Err(Denial::new(
            DenialCode::SeparationOfDuties,
            "Separation of duties: you registered this model, so someone else must sign off Prod.",
        ));
    }
    if evidence.test_approver() == Some(&principal.subject) {
        return Err(Denial::new(
            DenialCode::SeparationOfDuties,
            "Separation of duties: you approved this model for Test, so someone else must sign off Prod.",
        ));
    }
    if evidence.prod_signoffs().any(|d| d.decided_by == principal.subject) {
        return Err(Denial::new(
            DenialCode::AlreadySigned,
            "You have already signed off this version; the quorum needs other Governance Engineers.",
        ));
    }
    let required = policy.prod_quorum.max(1);
    let signed = u8::try_from(evidence.prod_signoffs().count()).unwrap_or(u8::MAX).saturating_add(1);
    if signed < required {
        Ok(Transition::Signoff { signed, required })
    } else {
        Ok(to(ApprovalStatus::Approved))
    }
}

/// Decides a request: [`check`], then a justification is required and the evidence must be the one the
/// person saw.
///
/// # Errors
/// A [`Denial`] naming the rule that refuses.
pub fn decide(
    principal: &Principal,
    evidence: &Evidence,
    policy: &ProjectPolicy,
    request: &DecisionRequest,
) -> Result<(Transition, Justification), Denial> {
    let transition = check(principal, evidence, policy, request.stage, request.verdict)?;
    let justification = Justification::parse(&request.justification)
        .map_err(|e| Denial::new(DenialCode::JustificationRequired, format!("Justification {}.", e.message)))?;
    if request.evidence_digest != evidence.digest() {
        let latest = evidence.latest_test_run.as_ref().map(|r| r.id.as_str());
        let reason = if latest.is_some() && latest != request.seen_test_run.as_deref() {
            "New test results arrived since you loaded this page: review them first, then decide."
        } else {
            "The evidence changed since you loaded this page: review it again before deciding."
        };
        return Err(Denial::new(DenialCode::StaleEvidence, reason));
    }
    Ok((transition, justification))
}

/// Whether a central version is approved for Prod (it is, or was, live there and nothing took it out).
fn in_prod(version: &ModelVersion) -> bool {
    version.registry.is_central() && version.stage == Stage::Prod && version.status == ApprovalStatus::Approved
}

fn governance_engineer(principal: &Principal, version: &ModelVersion, what: &str) -> Result<(), Denial> {
    if principal.has(&version.project, Persona::GovernanceEngineer) {
        Ok(())
    } else {
        Err(Denial::new(
            DenialCode::MissingPersona,
            format!("Only a Governance Engineer of project {} may {what}.", version.project),
        ))
    }
}

/// Why an earlier version of the group cannot go back to Prod, in words naming what it is now.
fn not_in_prod(version: &ModelVersion, decisions: &[crate::decision::Decision]) -> String {
    let label = format!("v{}", version.number);
    match decisions.iter().rev().find(|d| matches!(d.verdict, Verdict::Retire | Verdict::Rollback)) {
        Some(d) if d.verdict == Verdict::Retire && d.to.1 == ApprovalStatus::Rejected => format!(
            "{label} was retired from Prod on {} by {}: it can return to Prod only through a fresh Prod sign-off.",
            d.decided_at.format("%Y-%m-%d"),
            d.decided_by_name
        ),
        Some(d) if d.to.1 == ApprovalStatus::Rejected => format!(
            "{label} was rolled back on {} by {}: it can return to Prod only through a fresh Prod sign-off.",
            d.decided_at.format("%Y-%m-%d"),
            d.decided_by_name
        ),
        _ => format!("{label} is not approved for Prod (it is {} / {}).", version.stage, version.status.label()),
    }
}

/// Whether `principal` may roll the group's Prod back from `current` to the earlier Prod version `earlier`,
/// and what it would do: a decision on `current` under the rules of a Prod sign-off of `earlier` as it is now
/// (its Prod gates but the stage one, separation of duties, the quorum).
///
/// # Errors
/// A [`Denial`] with the first rule that refuses.
pub fn check_rollback(
    principal: &Principal,
    current: &Evidence,
    earlier: &Evidence,
    policy: &ProjectPolicy,
) -> Result<Transition, Denial> {
    let (now, back) = (&current.version, &earlier.version);
    governance_engineer(principal, now, "roll a Prod version back")?;
    if !in_prod(now) {
        return Err(Denial::new(
            DenialCode::NotAwaitingDecision,
            format!("Only a version in Prod can be rolled back; this one is {} / {}.", now.stage, now.status.label()),
        ));
    }
    if back.project != now.project || back.group != now.group || !back.registry.is_central() {
        return Err(Denial::new(
            DenialCode::Forbidden,
            format!("A rollback goes back to an earlier version of {} in the central registry.", now.group),
        ));
    }
    if back.number >= now.number {
        return Err(Denial::new(
            DenialCode::Forbidden,
            format!(
                "v{} is not earlier than v{}: a rollback goes back to an earlier Prod version.",
                back.number, now.number
            ),
        ));
    }
    if !in_prod(back) {
        return Err(Denial::new(DenialCode::Forbidden, not_in_prod(back, &earlier.decisions)));
    }
    if let Some(unmet) = crate::gates::gates(Stage::Prod, earlier, policy)
        .into_iter()
        .filter(|g| g.label != "Test-approved")
        .find(|g| !g.met)
    {
        return Err(Denial::new(
            DenialCode::GateUnmet,
            format!("Gate not met by v{}: {} ({}).", back.number, unmet.label, unmet.detail),
        ));
    }
    if principal.subject == back.registered_by {
        return Err(Denial::new(
            DenialCode::SeparationOfDuties,
            format!("Separation of duties: you registered v{}, so someone else must roll back to it.", back.number),
        ));
    }
    if earlier.test_approver() == Some(&principal.subject) {
        return Err(Denial::new(
            DenialCode::SeparationOfDuties,
            format!(
                "Separation of duties: you approved v{} for Test, so someone else must roll back to it.",
                back.number
            ),
        ));
    }
    let signoffs: Vec<_> = current.decisions.iter().filter(|d| d.is_rollback_to(&back.id)).collect();
    if signoffs.iter().any(|d| d.decided_by == principal.subject) {
        return Err(Denial::new(
            DenialCode::AlreadySigned,
            "You have already signed this rollback; the quorum needs other Governance Engineers.",
        ));
    }
    let required = policy.prod_quorum.max(1);
    let signed = u8::try_from(signoffs.len()).unwrap_or(u8::MAX).saturating_add(1);
    if signed < required {
        Ok(Transition::Signoff { signed, required })
    } else {
        // The rolled-back version is rejected in the registry, which leaves the earlier one the group's newest
        // approved Prod version: what SageMaker-driven pipelines deploy.
        Ok(Transition::Move { stage: Stage::Prod, status: ApprovalStatus::Rejected })
    }
}

/// Whether `principal` may re-certify this Prod version, under the re-certification review opened at
/// `since`: a Prod sign-off on current evidence (its Prod gates but the stage one, separation of duties, the
/// quorum counted over the re-certifications since the review opened). Always a [`Transition::Signoff`]: the
/// version stays where it is; `signed == required` completes the re-certification. A review of a breach still
/// open must be decided first: the monitoring of the period is part of the evidence.
///
/// # Errors
/// A [`Denial`] naming the rule that refuses.
pub fn check_recertify(
    principal: &Principal,
    evidence: &Evidence,
    policy: &ProjectPolicy,
    since: chrono::DateTime<chrono::Utc>,
    open_breach: Option<&str>,
) -> Result<Transition, Denial> {
    let version = &evidence.version;
    governance_engineer(principal, version, "re-certify a Prod version")?;
    if !in_prod(version) {
        return Err(Denial::new(DenialCode::NotAwaitingDecision, not_in_prod(version, &evidence.decisions)));
    }
    if let Some(breach) = open_breach {
        return Err(Denial::new(
            DenialCode::GateUnmet,
            format!("A review of a breach is open ({breach}): decide it first, then re-certify on that evidence."),
        ));
    }
    if let Some(unmet) = crate::gates::gates(Stage::Prod, evidence, policy)
        .into_iter()
        .filter(|g| g.label != "Test-approved")
        .find(|g| !g.met)
    {
        return Err(Denial::new(
            DenialCode::GateUnmet,
            format!("Gate not met on current evidence: {} ({}).", unmet.label, unmet.detail),
        ));
    }
    if principal.subject == version.registered_by {
        return Err(Denial::new(
            DenialCode::SeparationOfDuties,
            "Separation of duties: you registered this version, so someone else must re-certify it.",
        ));
    }
    if evidence.test_approver() == Some(&principal.subject) {
        return Err(Denial::new(
            DenialCode::SeparationOfDuties,
            "Separation of duties: you approved this version for Test, so someone else must re-certify it.",
        ));
    }
    let signoffs: Vec<_> =
        evidence.decisions.iter().filter(|d| d.verdict == Verdict::Recertify && d.decided_at >= since).collect();
    if signoffs.iter().any(|d| d.decided_by == principal.subject) {
        return Err(Denial::new(
            DenialCode::AlreadySigned,
            "You have already re-certified this version; the quorum needs other Governance Engineers.",
        ));
    }
    let required = policy.prod_quorum.max(1);
    let signed = u8::try_from(signoffs.len()).unwrap_or(u8::MAX).saturating_add(1);
    Ok(Transition::Signoff { signed: signed.min(required), required })
}

/// Whether `principal` may retire this Prod version: taking a model out needs no gate and no quorum (anyone
/// entitled to sign off Prod may stop a version, as with a rejection).
///
/// # Errors
/// A [`Denial`] naming who may retire, or why the version is not in Prod.
pub fn check_retire(principal: &Principal, evidence: &Evidence) -> Result<Transition, Denial> {
    let version = &evidence.version;
    governance_engineer(principal, version, "retire a Prod version")?;
    if !in_prod(version) {
        return Err(Denial::new(DenialCode::NotAwaitingDecision, not_in_prod(version, &evidence.decisions)));
    }
    Ok(Transition::Move { stage: Stage::Prod, status: ApprovalStatus::Rejected })
}

/// A justification and the evidence the person saw, checked for a rollback or a retirement as for any decision.
///
/// # Errors
/// A [`Denial`] for a missing justification or stale evidence.
pub fn justified(evidence: &Evidence, justification: &str, digest: &str) -> Result<Justification, Denial> {
    let justification = Justification::parse(justification)
        .map_err(|e| Denial::new(DenialCode::JustificationRequired, format!("Justification {}.", e.message)))?;
    if digest != evidence.digest() {
        return Err(Denial::new(
            DenialCode::StaleEvidence,
            "The evidence changed since you loaded this page: review it again before deciding.",
        ));
    }
    Ok(justification)
}

/// Whether `principal` may save the deployment config of `environment` for this version.
///
/// A config belongs to a central copy and may change until its environment's decision is taken; after
/// that it is evidence of record.
///
/// # Errors
/// A [`Denial`] saying who may edit, or why the config is frozen.
pub fn check_config_edit(
    principal: &Principal,
    version: &ModelVersion,
    environment: Environment,
) -> Result<(), Denial> {
    if !principal.has(&version.project, Persona::AiEngineer) {
        return Err(Denial::new(
            DenialCode::MissingPersona,
            format!("Only an AI Engineer of project {} may define deployment configs.", version.project),
        ));
    }
    if !version.registry.is_central() {
        return Err(Denial::new(
            DenialCode::Forbidden,
            "Deployment configs are defined on the central copy, made when the Dev version is approved.",
        ));
    }
    let open = version.status != ApprovalStatus::Rejected
        && match environment {
            Environment::Test => version.stage == Stage::Dev,
            Environment::Prod => version.stage != Stage::Prod,
        };
    if open {
        Ok(())
    } else {
        Err(Denial::new(
            DenialCode::Forbidden,
            format!(
                "The {environment} deployment config can no longer change: the version is {} / {}.",
                version.stage,
                version.status.label()
            ),
        ))
    }
}

/// Whether `principal` may edit the model card of this version.
///
/// The data scientists of the project keep the card current until the version reaches Test: on the Dev
/// version while it awaits its Dev approval, then on its central copy until the Test decision. After that
/// the card is evidence of record and read-only.
///
/// # Errors
/// A [`Denial`] saying who may edit, or why the card is read-only.
pub fn check_card_edit(principal: &Principal, version: &ModelVersion) -> Result<(), Denial> {
    if !principal.has(&version.project, Persona::DataScientist) {
        return Err(Denial::new(
            DenialCode::MissingPersona,
            format!("Only a Data Scientist of project {} may edit the model card.", version.project),
        ));
    }
    let open = match &version.registry {
        crate::Registry::Dev(_) => {
            version.stage == Stage::Dev && version.status == ApprovalStatus::PendingManualApproval
        }
        crate::Registry::Central => version.stage == Stage::Dev && version.status == ApprovalStatus::Approved,
    };
    if open {
        Ok(())
    } else if version.central_copy.is_some() {
        Err(Denial::new(DenialCode::Forbidden, "The model card is edited on the central copy now."))
    } else {
        Err(Denial::new(
            DenialCode::Forbidden,
            format!(
                "The model card is read-only: the version is {} / {}, past the point where its card may change.",
                version.stage,
                version.status.label()
            ),
        ))
    }
}
