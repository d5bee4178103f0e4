//! The registry: model versions of every registry, filtered by project, stage and status, searched and
//! paginated. The filter is a plain GET form, so it works with JavaScript off and URLs can be shared.

use governance::{ApprovalStatus, Stage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::filter_select::FilterSelect;
use crate::components::pager::Pager;
use crate::components::stage_status::{RecordedStageStatus, StageStatus};
use crate::format::{path_segment as urlencode, time};
use crate::pages::load_error;
use crate::server_fns::{registry, RegistryFilter};

#[component]
pub fn RegistryPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.get();
        let get = |k: &str| q.get(k).unwrap_or_default();
        RegistryFilter {
            project: get("project"),
            stage: get("stage"),
            status: get("status"),
            search: get("search"),
            group: get("group"),
            offset: get("offset").parse().unwrap_or(0),
        }
    };
    let page = Resource::new(filter, registry);
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Model registry"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter();
                let data = match page.await {
                    Ok(data) => data,
                    Err(e) => return load_error(e),
                };
                let stages = Stage::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string())).collect();
                let statuses = ApprovalStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
                let base = f.clone();
                let href = move |offset: u64| {
                    format!(
                        "/?project={}&stage={}&status={}&search={}&group={}&offset={offset}",
                        urlencode(&base.project),
                        urlencode(&base.stage),
                        urlencode(&base.status),
                        urlencode(&base.search),
                        urlencode(&base.group)
                    )
                };
                let versions = data.versions;
                let overdue = data.overdue;
                let groups = data.groups;
                view! {
                    <form method="get" action="/" class="mb-4 flex flex-wrap items-end gap-3">
                        <FilterSelect label="Project" name="project" current=f.project.clone() options=data.projects />
                        <FilterSelect label="Stage" name="stage" current=f.stage.clone() options=stages />
                        <FilterSelect label="Status" name="status" current=f.status.clone() options=statuses />
                        <label class="block">
                            <span class="block text-sm font-medium">"Search"</span>
                            <input type="search" name="search" value=f.search.clone() class="mt-1 rounded border border-slate-300 px-2 py-1" />
                        </label>
                        {(!f.group.is_empty()).then(|| view! {
                            <label class="block">
                                <span class="block text-sm font-medium">"Model group"</span>
                                <select name="group" class="mt-1 rounded border border-slate-300 px-2 py-1">
                                    <option value=f.group.clone() selected=true>{f.group.clone()}</option>
                                    <option value="">"Any"</option>
                                </select>
                            </label>
                        })}
                        <button type="submit" class="rounded bg-blue-700 px-3 py-1 text-white">"Filter"</button>
                    </form>
                    <table class="w-full text-sm bg-white">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"Model version"</th>
                                <th class="p-2">"Project"</th>
                                <th class="p-2">"Registry"</th>
                                <th class="p-2">"Stage / status"</th>
                                <th class="p-2">"Registered"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {versions
                                .items
                                .iter()
                                .map(|v| view! {
                                    <tr class="border-b border-slate-200">
                                        <td class="p-2">
                                            <a class="text-blue-700 underline" href=format!("/versions/{}", v.id)>{v.label()}</a>
                                        </td>
                                        <td class="p-2">{v.project.to_string()}</td>
                                        <td class="p-2">{v.registry.label()}</td>
                                        <td class="p-2">
                                            <RecordedStageStatus version=v.clone() />
                                            {overdue.contains(&v.id).then(|| view! {
                                                <span class="ml-1 rounded bg-red-100 px-1 text-red-900" data-testid="overdue">"re-certification overdue"</span>
                                            })}
                                        </td>
                                        <td class="p-2">{time(&v.registered_at)}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    {versions.items.is_empty().then(|| view! { <p class="mt-2">"No model version matches these filters."</p> })}
                    <Pager offset=versions.offset limit=versions.limit total=versions.total href=href />
                    <h2 class="text-lg font-semibold mt-8 mb-2">"Model groups"</h2>
                    <table class="w-full text-sm bg-white">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"Model group"</th>
                                <th class="p-2">"Project"</th>
                                <th class="p-2">"Dev versions"</th>
                                <th class="p-2">"Newest"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {groups
                                .items
                                .into_iter()
                                .map(|g| view! {
                                    <tr class="border-b border-slate-200">
                                        <td class="p-2">
                                            <a class="text-blue-700 underline" href=format!("/?project={}&group={}", g.project, g.name)>{g.name.to_string()}</a>
                                        </td>
                                        <td class="p-2">{g.project.to_string()}</td>
                                        <td class="p-2">{g.version_count}</td>
                                        <td class="p-2">
                                            {g.latest.map(|(n, stage, status)| view! { {format!("v{n} ")} <StageStatus stage=stage status=status /> })}
                                        </td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            })}
        </Suspense>
    }
}
