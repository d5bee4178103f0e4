//! Where a version stands: `Test / Approved`.

use governance::{ApprovalStatus, Stage};
use leptos::prelude::*;

#[component]
pub fn StageStatus(stage: Stage, status: ApprovalStatus) -> impl IntoView {
    let color = match status {
        ApprovalStatus::Approved => "bg-green-100 text-green-900",
        ApprovalStatus::Rejected => "bg-red-100 text-red-900",
        ApprovalStatus::PendingManualApproval => "bg-amber-100 text-amber-900",
    };
    view! {
        <span class=format!("inline-block rounded px-2 py-0.5 text-sm font-medium {color}")>
            {format!("{stage} / {}", status.label())}
        </span>
    }
}

/// A version's stage and status as the portal's record has them, and a mark when its registry says otherwise.
#[component]
pub fn RecordedStageStatus(
    /// The version shown.
    version: governance::model::ModelVersion,
) -> impl IntoView {
    view! {
        <StageStatus stage=version.stage status=version.status />
        {version.outside.map(|o| view! {
            <span
                class="ml-1 rounded bg-amber-100 px-1 text-xs text-amber-900"
                title=format!("The registry says {} / {}", o.registry.0, o.registry.1.label())
            >
                "changed outside the portal"
            </span>
        })}
    }
}
