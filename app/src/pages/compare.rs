//! Champion vs challenger: metrics, test results, deployment config, lineage and model card side by side,
//! differences highlighted.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::chart::{ChartLine, ChartSpec, LineChart, XAxis};
use crate::format::number;
use crate::pages::load_error;

/// One chart per metric: its value in every trained version of the group.
fn trend_charts(trend: &[(u32, std::collections::BTreeMap<String, f64>)]) -> Vec<ChartSpec> {
    let names: std::collections::BTreeSet<&String> = trend.iter().flat_map(|(_, m)| m.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let points: Vec<(f64, f64)> =
                trend.iter().filter_map(|(n, m)| m.get(name).map(|v| (*n as f64, *v))).collect();
            let summary = points.iter().map(|(n, v)| format!("v{n} {}", number(*v))).collect::<Vec<_>>().join(", ");
            ChartSpec {
                title: format!("{name} across versions"),
                x: XAxis::Count("v"),
                lines: vec![ChartLine { name: name.clone(), points }],
                threshold: None,
                summary,
            }
        })
        .collect()
}
use crate::server_fns::compare_versions;

#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let ids = move || {
        let q = query.get();
        (q.get("a").unwrap_or_default(), q.get("b").unwrap_or_default())
    };
    let data = Resource::new(ids, |(a, b)| compare_versions(a, b));
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Compare versions"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let c = match data.await {
                    Ok(c) => c,
                    Err(e) => return load_error(e),
                };
                let (a_id, a_label) = c.a.clone();
                let (b_id, b_label) = c.b.clone();
                let differences = c.rows.iter().filter(|r| r.differs).count();
                let trend = trend_charts(&c.trend);
                view! {
                    <form method="get" action="/compare" class="mb-4 flex items-end gap-3">
                        <input type="hidden" name="a" value=a_id.clone() />
                        <label class="block">
                            <span class="block text-sm font-medium">"Compare with"</span>
                            <select name="b" class="mt-1 rounded border border-slate-300 px-2 py-1">
                                {c.others
                                    .iter()
                                    .map(|(id, label)| {
                                        let selected = *id == b_id;
                                        view! { <option value=id.clone() selected=selected>{label.clone()}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="rounded bg-blue-700 px-3 py-1 text-white">"Compare"</button>
                    </form>
                    <p class="mb-2 text-sm">{format!("{differences} of {} values differ.", c.rows.len())}</p>
                    <table class="w-full text-sm bg-white">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"Section"</th>
                                <th class="p-2">"Value"</th>
                                <th class="p-2"><a class="text-blue-700 underline" href=format!("/versions/{a_id}")>{a_label}</a></th>
                                <th class="p-2"><a class="text-blue-700 underline" href=format!("/versions/{b_id}")>{b_label}</a></th>
                            </tr>
                        </thead>
                        <tbody>
                            {c.rows
                                .into_iter()
                                .map(|r| {
                                    let class = if r.differs { "border-b border-slate-200 bg-amber-50" } else { "border-b border-slate-200" };
                                    view! {
                                        <tr class=class>
                                            <td class="p-2 text-slate-600">{r.section}</td>
                                            <th class="p-2 text-left font-normal">
                                                {r.name}
                                                {r.differs.then(|| view! { <span class="ml-2 rounded bg-amber-200 px-1 text-xs">"differs"</span> })}
                                            </th>
                                            <td class="p-2 whitespace-pre-wrap">{r.a}</td>
                                            <td class="p-2 whitespace-pre-wrap">{r.b}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <section aria-labelledby="trend-h" class="mt-6">
                        <h2 id="trend-h" class="text-lg font-semibold mb-2">"Metrics across the group's versions"</h2>
                        <div class="grid gap-3 md:grid-cols-2">
                            {trend.into_iter().map(|spec| view! { <LineChart spec=spec /> }).collect_view()}
                        </div>
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
