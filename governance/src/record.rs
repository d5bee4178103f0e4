//! The portal's decision record as the source of truth (DESIGN.md §5, Trust).
//!
//! A version's stage and status are what the portal's recorded decisions put it in; the registry's live state
//! (SageMaker's `ModelApprovalStatus` and life cycle, any metadata) is evidence of state, never of a decision.
//! Where the two disagree the version was changed outside the portal: it is shown as such, with what
//! differs, and nothing outside counts towards a gate.

use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Verdict};
use crate::model::ModelVersion;
use crate::{ApprovalStatus, Registry, Stage};

/// Where a version starts before any decision: a Dev registry version awaits its Dev approval; a central copy
/// (made by the portal on a recorded Dev approval) starts Dev-approved.
pub fn initial_state(registry: &Registry) -> (Stage, ApprovalStatus) {
    match registry {
        Registry::Dev(_) => (Stage::Dev, ApprovalStatus::PendingManualApproval),
        Registry::Central => (Stage::Dev, ApprovalStatus::Approved),
    }
}

/// The stage and status the portal's record puts the version in: the last recorded decision's outcome, or
/// where a version starts.
pub fn recorded_state(registry: &Registry, decisions: &[Decision]) -> (Stage, ApprovalStatus) {
    decisions.iter().max_by_key(|d| d.decided_at).map(|d| d.to).unwrap_or_else(|| initial_state(registry))
}

/// How the registry's live state differs from the portal's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideChange {
    /// What the registry says now.
    pub registry: (Stage, ApprovalStatus),
    /// What the portal recorded.
    pub recorded: (Stage, ApprovalStatus),
}

impl OutsideChange {
    /// In words, for the version page and the gates.
    pub fn describe(&self, registry: &Registry) -> String {
        format!(
            "changed outside the portal: the {} says {} / {}, the portal's record says {} / {}",
            registry.label(),
            self.registry.0,
            self.registry.1.label(),
            self.recorded.0,
            self.recorded.1.label()
        )
    }
}

/// The version as the portal's record has it: stage and status from its decisions, and the registry's
/// differing live state in `outside`.
pub fn as_recorded(mut version: ModelVersion, decisions: &[Decision]) -> ModelVersion {
    let recorded = recorded_state(&version.registry, decisions);
    let live = (version.stage, version.status);
    version.outside = (live != recorded).then_some(OutsideChange { registry: live, recorded });
    (version.stage, version.status) = recorded;
    version
}

/// Whether a Dev version's approval is one the portal recorded, and still stands: its last decision is a Dev
/// approval and its registry state agrees.
pub fn dev_approval_recorded(source: &ModelVersion, decisions: &[Decision]) -> bool {
    let last = decisions.iter().max_by_key(|d| d.decided_at);
    matches!(source.registry, Registry::Dev(_))
        && source.outside.is_none()
        && last.is_some_and(|d| {
            d.stage == Stage::Dev && d.verdict == Verdict::Approve && d.to == (Stage::Dev, ApprovalStatus::Approved)
        })
}
