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
