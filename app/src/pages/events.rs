//! Events: every promotion event, newest first, with its delivery state per target, filtered by type,
//! version and delivery state (a plain GET form, so every view is a link), each linked to its version.

use governance::ledger_filters::{event_types, EventQuery};
use governance::ports::DeliveryState;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::filter_select::FilterSelect;
use crate::components::pager::Pager;
use crate::format::{path_segment, time};
use crate::pages::load_error;
use crate::server_fns::events;

#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.get();
        let get = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        EventQuery { detail_type: get("type"), version: get("version"), delivery: get("delivery") }
    };
    let offset = move || query.get().get("offset").and_then(|o| o.parse().ok()).unwrap_or(0u64);
    let page = Resource::new(move || (filter(), offset()), |(f, o)| events(f, o));
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Events"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter();
                let page = match page.await {
                    Ok(p) => p,
                    Err(e) => return load_error(e),
                };
                let types = event_types().map(|t| (t.to_string(), t.to_string())).collect();
                let states = DeliveryState::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string())).collect();
                let form = view! {
                    <form method="get" action="/events" class="mb-4 flex flex-wrap items-end gap-3" data-testid="events-filter">
                        <FilterSelect label="Type" name="type" current=f.detail_type.clone().unwrap_or_default() options=types />
                        <label class="block">
                            <span class="block text-sm font-medium">"Version id"</span>
                            <input type="text" name="version" value=f.version.clone().unwrap_or_default() class="mt-1 rounded border border-slate-300 px-2 py-1 font-mono" />
                        </label>
                        <FilterSelect label="Delivery" name="delivery" current=f.delivery.clone().unwrap_or_default() options=states />
                        <button type="submit" class="rounded bg-slate-800 px-4 py-1.5 text-white">"Filter"</button>
                        <a class="text-blue-700 underline py-1.5" href="/events">"Clear"</a>
                    </form>
                };
                let Some(page) = page.events else {
                    let (field, message) = page.problem.unwrap_or_default();
                    return view! {
                        {form}
                        <p role="alert" class="mb-4 rounded bg-red-100 px-3 py-2 text-red-900" data-testid="filter-problem">
                            {format!("The filter's {field} {message}. Nothing is listed until it is corrected.")}
                        </p>
                    }
                    .into_any();
                };
                let chosen = f.query_string();
                let href = move |o: u64| if chosen.is_empty() { format!("/events?offset={o}") } else { format!("/events?{chosen}&offset={o}") };
                let empty = page.items.is_empty().then(|| view! { <p class="mt-2 text-slate-600">"No event matches this filter."</p> });
                view! {
                    {form}
                    <table class="w-full text-sm bg-white" data-testid="events">
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
                                    let model = e.detail.get("model").map(|m| {
                                        let label = format!(
                                            "{} v{}",
                                            m.get("modelGroup").and_then(|g| g.as_str()).unwrap_or("?"),
                                            m.get("versionNumber").and_then(|n| n.as_u64()).unwrap_or(0)
                                        );
                                        match m.get("versionId").and_then(|v| v.as_str()) {
                                            Some(id) => view! {
                                                <a class="text-blue-700 underline" href=format!("/versions/{}", path_segment(id))>{label}</a>
                                            }
                                            .into_any(),
                                            None => view! { <span>{label}</span> }.into_any(),
                                        }
                                    });
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
                    {empty}
                    <Pager offset=page.offset limit=page.limit total=page.total href=href exact=true />
                }
                .into_any()
            })}
        </Suspense>
    }
}
