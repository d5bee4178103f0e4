//! The audit log for people: whether its hash chain verifies, a filter (project, person, action, time) that is
//! a plain GET form, so every view is a link, the entries as rows (when, who, persona, action, what it was
//! done to, why) with the sealed detail folded away, and the filtered entries exported as CSV or JSON.

use governance::audit_row::{AuditRow, AuditTarget, ACTION_CHOICES};
use governance::ledger_filters::AuditQuery;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::filter_select::FilterSelect;
use crate::components::pager::Pager;
use crate::format::{path_segment, time};
use crate::pages::load_error;
use crate::server_fns::audit;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.get();
        let get = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        AuditQuery {
            project: get("project"),
            person: get("person"),
            action: get("action"),
            from: get("from"),
            to: get("to"),
        }
    };
    let offset = move || query.get().get("offset").and_then(|o| o.parse().ok()).unwrap_or(0u64);
    let page = Resource::new(move || (filter(), offset()), |(f, o)| audit(f, o));
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Audit log"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter();
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
                let actions = ACTION_CHOICES.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect();
                let chosen = f.query_string();
                let problem = page.problem.clone().map(|(field, message)| view! {
                    <p role="alert" class="mb-4 rounded bg-red-100 px-3 py-2 text-red-900" data-testid="filter-problem">
                        {format!("The filter's {field} {message}. Nothing is listed until it is corrected.")}
                    </p>
                });
                let listed = page.rows.map(|rows| {
                    let base = chosen.clone();
                    let href = move |o: u64| if base.is_empty() { format!("/audit?offset={o}") } else { format!("/audit?{base}&offset={o}") };
                    let export = |format: &str| if chosen.is_empty() { format!("/audit/export?format={format}") } else { format!("/audit/export?format={format}&{chosen}") };
                    let empty = rows.items.is_empty().then(|| view! { <p class="mt-2 text-slate-600">"No entry matches this filter."</p> });
                    view! {
                        <p class="mb-2 flex flex-wrap gap-x-4 text-sm" data-testid="audit-export">
                            <span>{format!("{} entries match.", crate::format::count(rows.total))}</span>
                            <a class="text-blue-700 underline" href=export("csv") download>"Export as CSV"</a>
                            <a class="text-blue-700 underline" href=export("json") download>"Export as JSON"</a>
                        </p>
                        <div class="overflow-x-auto">
                            <table class="w-full text-sm bg-white" data-testid="audit-entries">
                                <caption class="sr-only">"Audit entries, newest first"</caption>
                                <thead>
                                    <tr class="text-left border-b border-slate-200">
                                        <th scope="col" class="p-2">"When"</th>
                                        <th scope="col" class="p-2">"Who"</th>
                                        <th scope="col" class="p-2">"Persona"</th>
                                        <th scope="col" class="p-2">"Action"</th>
                                        <th scope="col" class="p-2">"Target"</th>
                                        <th scope="col" class="p-2">"Justification"</th>
                                        <th scope="col" class="p-2">"Entry"</th>
                                    </tr>
                                </thead>
                                <tbody>{rows.items.iter().map(row).collect_view()}</tbody>
                            </table>
                        </div>
                        {empty}
                        <Pager offset=rows.offset limit=rows.limit total=rows.total href=href exact=true />
                    }
                });
                view! {
                    {verdict}
                    {unmanaged}
                    <form method="get" action="/audit" class="mb-4 flex flex-wrap items-end gap-3" data-testid="audit-filter">
                        <FilterSelect label="Project" name="project" current=f.project.clone().unwrap_or_default() options=page.projects />
                        <FilterSelect label="Person" name="person" current=f.person.clone().unwrap_or_default() options=page.people />
                        <FilterSelect label="Action" name="action" current=f.action.clone().unwrap_or_default() options=actions />
                        <label class="block">
                            <span class="block text-sm font-medium">"From"</span>
                            <input type="date" name="from" value=f.from.clone().unwrap_or_default() class="mt-1 rounded border border-slate-300 px-2 py-1" />
                        </label>
                        <label class="block">
                            <span class="block text-sm font-medium">"To"</span>
                            <input type="date" name="to" value=f.to.clone().unwrap_or_default() class="mt-1 rounded border border-slate-300 px-2 py-1" />
                        </label>
                        <button type="submit" class="rounded bg-slate-800 px-4 py-1.5 text-white">"Filter"</button>
                        <a class="text-blue-700 underline py-1.5" href="/audit">"Clear"</a>
                    </form>
                    {problem}
                    {listed}
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// Where a target is shown, if it has a page.
fn target_href(target: &AuditTarget) -> Option<String> {
    match target {
        AuditTarget::Version(id) => Some(format!("/versions/{}", path_segment(id))),
        AuditTarget::Project(id) => Some(format!("/projects/{}", path_segment(id))),
        AuditTarget::Template { id, .. } => Some(format!("/templates/{}", path_segment(id))),
        AuditTarget::Dataset(_) | AuditTarget::Subscription(_) => Some("/datasets".to_string()),
        AuditTarget::DeploymentRequest(_) | AuditTarget::Other(_) => None,
    }
}

fn row(r: &AuditRow) -> impl IntoView {
    let e = &r.entry;
    let (kind, id) = match &r.target {
        AuditTarget::Template { id, version } => (r.target.kind(), format!("{id} v{version}")),
        AuditTarget::Version(id)
        | AuditTarget::Project(id)
        | AuditTarget::Dataset(id)
        | AuditTarget::Subscription(id)
        | AuditTarget::DeploymentRequest(id)
        | AuditTarget::Other(id) => (r.target.kind(), id.clone()),
    };
    // A version by its name, its id beside it; anything else by its id.
    let (text, id_beside) = match r.target_label.clone() {
        Some(label) => (label, Some(id)),
        None => (id, None),
    };
    let target = match target_href(&r.target) {
        Some(href) => view! { <a class="text-blue-700 underline break-all" href=href>{text}</a> }.into_any(),
        None => view! { <span class="break-all">{text}</span> }.into_any(),
    };
    let id_beside =
        id_beside.map(|id| view! { <span class="block text-xs font-mono text-slate-600 break-all">{id}</span> });
    let who = if r.who == e.record.actor.0 { None } else { Some(e.record.actor.0.clone()) };
    // The sealed detail as written, pretty-printed; serializing a JSON value cannot fail.
    let detail = serde_json::to_string_pretty(&e.record.detail).unwrap_or_default();
    view! {
        <tr class="border-b border-slate-200 align-top" data-testid="audit-row">
            <td class="p-2 whitespace-nowrap">{time(&e.record.at)}</td>
            <td class="p-2">
                {r.who.clone()}
                {who.map(|s| view! { <span class="block text-xs text-slate-600 font-mono">{s}</span> })}
            </td>
            <td class="p-2">{r.persona.clone().unwrap_or_else(|| "—".to_string())}</td>
            <td class="p-2 font-mono text-xs">{e.record.action.clone()}</td>
            <td class="p-2"><span class="block text-xs text-slate-600">{kind}</span>{target}{id_beside}</td>
            <td class="p-2">{r.justification.clone().map(|j| view! { <q>{j}</q> })}</td>
            <td class="p-2">
                <details>
                    <summary class="cursor-pointer text-blue-700">{format!("#{}", e.seq)}</summary>
                    <pre class="mt-1 max-w-md overflow-x-auto whitespace-pre-wrap break-all text-xs">{detail}</pre>
                    <p class="text-xs font-mono break-all">{format!("hash {}", e.hash)}</p>
                    <p class="text-xs font-mono break-all">{format!("after {}", e.prev_hash)}</p>
                </details>
            </td>
        </tr>
    }
}
