//! Dataset subscription requests awaiting the producer's decision, each with Approve / Reject and a reason.

use governance::catalog::Subscription;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::error_alert::ErrorAlert;
use crate::server_fns::DecideSubscription;

/// The requests; nothing when there are none.
#[component]
pub fn DatasetRequests(
    /// Requests to datasets this person produces.
    requests: Vec<Subscription>,
    action: ServerAction<DecideSubscription>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    (!requests.is_empty()).then(|| view! {
        <section aria-labelledby="dataset-requests-h" class="mb-6 rounded border border-slate-200 bg-white p-4">
            <h2 id="dataset-requests-h" class="text-lg font-semibold mb-2">"Dataset requests awaiting your decision"</h2>
            <ErrorAlert error=error />
            <ul>
                {requests.into_iter().map(|r| {
                    let id = r.id.clone();
                    view! {
                        <li class="mb-3 border-b border-slate-200 pb-2">
                            <p>{format!("{} asks for {} for project {}: {}", r.requested_by, r.dataset, r.project, r.justification)}</p>
                            <ActionForm action=action attr:class="flex gap-2 mt-1">
                                <input type="hidden" name="id" value=id.clone() />
                                <input name="reason" aria-label=format!("Reason for {} on {}", r.project, r.dataset) placeholder="Reason" class="rounded border border-slate-300 px-2 py-1" />
                                <button type="submit" name="decision" value="Approved" class="rounded bg-green-700 px-3 py-1 text-white">"Approve"</button>
                                <button type="submit" name="decision" value="Rejected" class="rounded bg-red-700 px-3 py-1 text-white">"Reject"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    })
}
