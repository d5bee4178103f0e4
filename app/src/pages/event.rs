//! One event: its JSON as sent, and its delivery to each target.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_params_map;

use crate::components::error_alert::ErrorAlert;

use crate::format::time;
use crate::pages::load_error;
use crate::server_fns::{event, Redeliver};

#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let redeliver = ServerAction::<Redeliver>::new();
    let error = Signal::derive(move || redeliver.value().get().and_then(|r| r.err()));
    let record = Resource::new(move || (id(), redeliver.version().get()), |(id, _)| event(id));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let record = match record.await {
                    Ok(r) => r,
                    Err(e) => return load_error(e),
                };
                let json = serde_json::to_string_pretty(&record.envelope).unwrap_or_default();
                view! {
                    <h1 class="text-2xl font-semibold mb-2">{format!("Event {}", record.envelope.id)}</h1>
                    <p class="mb-4">{record.envelope.detail_type.clone()}</p>
                    {record.envelope.detail.pointer("/model/versionId").and_then(|v| v.as_str()).map(|version| view! {
                        <p class="mb-4">
                            "Model version: "
                            <a class="text-blue-700 underline" href=format!("/versions/{}", crate::format::path_segment(version))>{version.to_string()}</a>
                        </p>
                    })}
                    <h2 class="text-lg font-semibold">"Deliveries"</h2>
                    <ErrorAlert error=error />
                    <table class="text-sm bg-white mb-4">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"Target"</th>
                                <th class="p-2">"State"</th>
                                <th class="p-2">"Attempts"</th>
                                <th class="p-2">"Delivered"</th>
                                <th class="p-2">"Next attempt"</th>
                                <th class="p-2">"Last error"</th>
                                <th class="p-2"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {record
                                .deliveries
                                .into_iter()
                                .map(|d| {
                                    let (event_id, target) = (d.event_id.to_string(), d.target.clone());
                                    let label = format!("Redeliver to {}", d.target);
                                    view! {
                                    <tr class="border-b border-slate-200">
                                        <td class="p-2">{d.target.clone()}</td>
                                        <td class="p-2">{d.state.as_str()}</td>
                                        <td class="p-2">{d.attempts}</td>
                                        <td class="p-2">{d.delivered_at.map(|t| time(&t)).unwrap_or_default()}</td>
                                        <td class="p-2" data-testid="next-attempt">
                                            {(d.state == governance::ports::DeliveryState::Pending).then(|| time(&d.next_attempt_at))}
                                        </td>
                                        <td class="p-2">{d.last_error.unwrap_or_default()}</td>
                                        <td class="p-2">
                                            <ActionForm action=redeliver>
                                                <input type="hidden" name="event" value=event_id />
                                                <input type="hidden" name="target" value=target />
                                                <button type="submit" class="rounded border border-slate-400 px-2 py-0.5 text-sm">
                                                    {label}
                                                </button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <h2 class="text-lg font-semibold">"JSON"</h2>
                    <pre tabindex="0" aria-label="Event JSON" class="bg-slate-900 text-slate-100 p-3 rounded text-xs overflow-x-auto">{json}</pre>
                }
                .into_any()
            })}
        </Suspense>
    }
}
