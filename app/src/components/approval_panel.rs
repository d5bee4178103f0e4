//! The approval panel: the awaited stage's gates, a required justification, Approve and Reject. A button
//! the person may not press is disabled with the policy's reason beside it; the server decides anyway.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::error_alert::{aria_describedby, aria_invalid, autofocus, ErrorAlert};
use crate::components::gates::Gates;
use crate::components::text_area::textarea_text;
use crate::server_fns::{ApprovalPanel as Panel, Decide};

#[component]
pub fn ApprovalPanel(
    /// The version decided on.
    version_id: String,
    /// The panel computed by the server for this person.
    panel: Panel,
    /// The decide action, shared with the page so it reloads after a decision.
    action: ServerAction<Decide>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let last = action.value().get_untracked().and_then(|r| r.err());
    let typed = last.as_ref().and_then(|e| e.submitted("justification"));
    let stage = panel.stage;
    let button = move |verdict: &'static str, allowed: Result<String, String>, style: &'static str| {
        let reason_id = format!("{}-reason", verdict.to_ascii_lowercase());
        let (disabled, note) = match allowed {
            Ok(effect) => (false, format!("{verdict} {effect}.")),
            Err(reason) => (true, reason),
        };
        view! {
            <div class="flex items-start gap-3">
                <button
                    type="submit"
                    name="verdict"
                    value=verdict
                    disabled=disabled
                    aria-describedby=reason_id.clone()
                    class=format!("rounded px-4 py-2 text-white disabled:bg-slate-400 disabled:cursor-not-allowed {style}")
                >
                    {format!("{verdict} for {stage}")}
                </button>
                <p id=reason_id.clone() data-testid=reason_id class="text-sm text-slate-700 pt-2">{note}</p>
            </div>
        }
    };
    view! {
        <p class="font-medium">{format!("Awaiting {stage} decision")}</p>
        {(stage == governance::Stage::Prod && panel.quorum > 1)
            .then(|| {
                let signed = panel.signed_by.len();
                let more = usize::from(panel.quorum).saturating_sub(signed);
                let who = if signed == 0 { "none yet".to_string() } else { panel.signed_by.join(", ") };
                view! {
                    <p class="text-sm mt-1" data-testid="quorum">
                        {format!(
                            "Quorum: {signed} of {} Governance Engineers have signed ({who}); {more} more needed.",
                            panel.quorum,
                        )}
                    </p>
                }
            })}
        <Gates gates=panel.gates />
        <ActionForm action=action attr:class="space-y-3">
            <input type="hidden" name="version" value=version_id />
            <input type="hidden" name="stage" value=stage.as_str() />
            <input type="hidden" name="evidence_digest" value=panel.evidence_digest />
            <input type="hidden" name="seen_test_run" value=panel.latest_test_run.unwrap_or_default() />
            <label class="block">
                <span class="block font-medium">"Justification"</span>
                <textarea
                    name="justification"
                    aria-invalid=move || aria_invalid(&error.get(), "justification")
                    aria-describedby=move || aria_describedby(&error.get(), "justification")
                    autofocus=autofocus(&last, "justification")
                    rows="3"
                    maxlength="2000"
                    class="mt-1 w-full rounded border border-slate-300 p-2"
                    placeholder="Why you approve or reject, on which evidence"
                >
                    {typed.map(textarea_text)}
                </textarea>
            </label>
            <ErrorAlert error=error />
            {button("Approve", panel.approve, "bg-green-700 hover:bg-green-800")}
            {button("Reject", panel.reject, "bg-red-700 hover:bg-red-800")}
        </ActionForm>
    }
}
