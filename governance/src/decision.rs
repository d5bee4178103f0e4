//! Decisions: the record of who approved or rejected what, on which evidence.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::text_field;
use crate::{ApprovalStatus, DecisionId, EventId, FieldError, Persona, Stage, Subject, VersionId};

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    Approve,
    Reject,
    /// A Prod version rolled back: the group's Prod goes back to an earlier Prod version (`Decision::rollback_to`).
    Rollback,
    /// A Prod version taken out of Prod for good.
    Retire,
    /// A Prod version signed off again on current evidence, when its sign-off is due for re-certification.
    Recertify,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "Approve",
            Verdict::Reject => "Reject",
            Verdict::Rollback => "Rollback",
            Verdict::Retire => "Retire",
            Verdict::Recertify => "Recertify",
        }
    }
    /// Any verdict by its name (as stored). The approval panel's form takes Approve and Reject only
    /// ([`Verdict::parse_approval`]); a rollback and a retirement have their own requests and rules.
    pub fn parse(value: &str) -> Option<Verdict> {
        match value.trim().to_ascii_lowercase().as_str() {
            "approve" => Some(Verdict::Approve),
            "reject" => Some(Verdict::Reject),
            "rollback" => Some(Verdict::Rollback),
            "retire" => Some(Verdict::Retire),
            "recertify" => Some(Verdict::Recertify),
            _ => None,
        }
    }
    /// Approve or Reject, what the approval panel decides.
    pub fn parse_approval(value: &str) -> Option<Verdict> {
        Self::parse(value).filter(|v| matches!(v, Verdict::Approve | Verdict::Reject))
    }
    /// The past tense, for timelines ("Approved", "Rolled back").
    pub fn past(self) -> &'static str {
        match self {
            Verdict::Approve => "Approved",
            Verdict::Reject => "Rejected",
            Verdict::Rollback => "Rolled back",
            Verdict::Retire => "Retired",
            Verdict::Recertify => "Re-certified",
        }
    }
}

/// Why the decider decided as they did. Required on every decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Justification(String);

impl Justification {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let text = text_field("justification", value, true, Self::MAX_CHARS)?;
        if text.chars().count() < 5 {
            return Err(FieldError::new("justification", "must say why, in at least 5 characters"));
        }
        Ok(Self(text))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person asks for on the approval panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRequest {
    pub stage: Stage,
    pub verdict: Verdict,
    pub justification: String,
    /// The digest of the evidence the person saw when they decided.
    pub evidence_digest: String,
    /// The latest test run the person saw, if any: lets a stale refusal say that new results arrived.
    #[serde(default)]
    pub seen_test_run: Option<String>,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub id: DecisionId,
    pub version: VersionId,
    pub stage: Stage,
    pub verdict: Verdict,
    pub from: (Stage, ApprovalStatus),
    pub to: (Stage, ApprovalStatus),
    /// For a Prod sign-off under a quorum: signatures so far (this one included) and how many are needed.
    pub quorum: Option<(u8, u8)>,
    pub decided_by: Subject,
    pub decided_by_name: String,
    pub persona: Persona,
    pub justification: String,
    pub evidence_digest: String,
    pub event_id: EventId,
    pub decided_at: DateTime<Utc>,
    /// For a rollback: the earlier Prod version the group goes back to.
    #[serde(default)]
    pub rollback_to: Option<VersionId>,
}

impl Decision {
    /// A Prod approval that counts towards the quorum.
    pub fn is_prod_signoff(&self) -> bool {
        self.stage == Stage::Prod && self.verdict == Verdict::Approve
    }

    /// A rollback (or a sign-off towards one) to `to`.
    pub fn is_rollback_to(&self, to: &VersionId) -> bool {
        self.verdict == Verdict::Rollback && self.rollback_to.as_ref() == Some(to)
    }
}

/// What a Governance Engineer sends to re-certify a Prod version whose sign-off is due.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecertifyRequest {
    pub justification: String,
    /// The digest of the version's current evidence as the person saw it.
    pub evidence_digest: String,
}

/// What a Governance Engineer sends to roll a Prod version back to an earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackRequest {
    /// The earlier Prod version of the same group that goes back to Prod.
    pub to: VersionId,
    pub justification: String,
    /// The digest of the earlier version's evidence as the person saw it.
    pub evidence_digest: String,
    /// The review the rollback decides, if it came from one.
    #[serde(default)]
    pub review: Option<crate::ReviewId>,
}

/// What a Governance Engineer sends to retire a Prod version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetireRequest {
    pub justification: String,
    /// The digest of the version's evidence as the person saw it.
    pub evidence_digest: String,
    #[serde(default)]
    pub review: Option<crate::ReviewId>,
}
