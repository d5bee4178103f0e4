//! The audit log, newest first, and whether its hash chain verifies.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::pager::Pager;
use crate::format::time;
use crate::pages::load_error;
use crate::server_fns::audit;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let offset = move || query.get().get("offset").and_then(|o| o.parse().ok()).unwrap_or(0u64);
    let page = Resource::new(offset, audit);
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Audit log"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let page = match page.await {
                    Ok(p) => p,
                    Err(e) => return load_error(e),
                };
                let verdict = match &page.verification.broken {
                    None => view! {
                        <p class="mb-4 rounded bg-green-100 px-3 py-2 text-green-900" data-testid="chain">
                            {format!("Hash chain verified: {} entries.", page.verification.entries)}
                        </p>
                    }
                    .into_any(),
                    Some(b) => view! {
                        <p role="alert" class="mb-4 rounded bg-red-100 px-3 py-2 text-red-900" data-testid="chain">
                            {format!("Hash chain broken at entry {}: {}.", b.seq, b.reason)}
                        </p>
                    }
                    .into_any(),
                };
                let entries = page.entries;
                let unmanaged = (!page.unmanaged.is_empty()).then(|| view! {
                    <section aria-labelledby="unmanaged" class="mb-4 rounded border border-amber-300 bg-amber-50 p-3">
                        <h2 id="unmanaged" class="font-semibold">"Model groups not managed by the portal"</h2>
                        <p class="text-sm">
                            "These SageMaker model package groups belong to no project of the portal: nothing in them is governed here. Adopt them into a project or remove them."
                        </p>
                        <ul class="mt-2 text-sm" data-testid="unmanaged-groups">
                            {page.unmanaged.iter().map(|g| view! {
                                <li><span class="font-mono">{g.name.clone()}</span>{format!(" (account {})", g.account)}</li>
                            }).collect_view()}
                        </ul>
                    </section>
                });
                view! {
                    {verdict}
                    {unmanaged}
                    <table class="w-full text-sm bg-white">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"#"</th>
                                <th class="p-2">"Time"</th>
                                <th class="p-2">"Actor"</th>
                                <th class="p-2">"Action"</th>
                                <th class="p-2">"Target"</th>
                                <th class="p-2">"Detail"</th>
                                <th class="p-2">"Hash"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {entries
                                .items
                                .iter()
                                .map(|e| view! {
                                    <tr class="border-b border-slate-200 align-top">
                                        <td class="p-2">{e.seq}</td>
                                        <td class="p-2">{time(&e.record.at)}</td>
                                        <td class="p-2">{e.record.actor.to_string()}</td>
                                        <td class="p-2">{e.record.action.clone()}</td>
                                        <td class="p-2 font-mono">{e.record.target.clone()}</td>
                                        <td class="p-2 font-mono text-xs break-all">{e.record.detail.to_string()}</td>
                                        <td class="p-2 font-mono text-xs">{e.hash.get(..12).unwrap_or(&e.hash).to_string()}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <Pager offset=entries.offset limit=entries.limit total=entries.total href=|o| format!("/audit?offset={o}") />
                }
                .into_any()
            })}
        </Suspense>
    }
}
