//! Events: every promotion event, newest first, with its delivery state per target.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::pager::Pager;
use crate::format::time;
use crate::pages::load_error;
use crate::server_fns::events;

#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let offset = move || query.get().get("offset").and_then(|o| o.parse().ok()).unwrap_or(0u64);
    let page = Resource::new(offset, events);
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Events"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let page = match page.await {
                    Ok(p) => p,
                    Err(e) => return load_error(e),
                };
                view! {
                    <table class="w-full text-sm bg-white">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"Event"</th>
                                <th class="p-2">"Type"</th>
                                <th class="p-2">"Model"</th>
                                <th class="p-2">"Time"</th>
                                <th class="p-2">"Delivery"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page
                                .items
                                .iter()
                                .map(|r| {
                                    let e = &r.envelope;
                                    let model = e
                                        .detail
                                        .get("model")
                                        .map(|m| format!(
                                            "{} v{}",
                                            m.get("modelGroup").and_then(|g| g.as_str()).unwrap_or("?"),
                                            m.get("versionNumber").and_then(|n| n.as_u64()).unwrap_or(0)
                                        ))
                                        .unwrap_or_default();
                                    view! {
                                        <tr class="border-b border-slate-200">
                                            <td class="p-2">
                                                <a class="text-blue-700 underline font-mono" href=format!("/events/{}", e.id)>{e.id.to_string()}</a>
                                            </td>
                                            <td class="p-2">{e.detail_type.clone()}</td>
                                            <td class="p-2">{model}</td>
                                            <td class="p-2">{time(&e.time)}</td>
                                            <td class="p-2">
                                                {r.deliveries
                                                    .iter()
                                                    .map(|d| view! { <div>{format!("{}: {}", d.target, d.state.as_str())}</div> })
                                                    .collect_view()}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <Pager offset=page.offset limit=page.limit total=page.total href=|o| format!("/events?offset={o}") />
                }
                .into_any()
            })}
        </Suspense>
    }
}
