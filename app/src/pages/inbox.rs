//! The inbox: what awaits my decision, per persona, oldest first.

use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::chart::LineChart;
use crate::components::dataset_requests::DatasetRequests;
use crate::components::live::Follow;
use crate::components::stage_status::RecordedStageStatus;
use crate::pages::load_error;
use crate::server_fns::{dataset_requests, inbox, DecideSubscription, ReviewRow};

#[component]
pub fn InboxPage() -> impl IntoView {
    let rows = Resource::new(|| (), |_| inbox());
    // What arrives for this person's decision shows up without a reload; the rows hold nothing to type in.
    let changed = Callback::new(move |()| rows.refetch());
    let decide = ServerAction::<DecideSubscription>::new();
    let requests = Resource::new(move || decide.version().get(), |_| dataset_requests());
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Inbox"</h1>
        // Dataset requests to this person's datasets, beside the model approvals.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                requests.await.map(|r| view! { <DatasetRequests requests=r action=decide /> }).ok()
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let inbox = match rows.await {
                    Ok(inbox) => inbox,
                    Err(e) => return load_error(e),
                };
                let follow = view! { <Follow url=format!("/live/inbox?since={}", inbox.revision) on_change=changed /> };
                let rows = inbox.rows;
                let reviews = (!inbox.reviews.is_empty()).then(|| view! { <Reviews rows=inbox.reviews.clone() overdue=inbox.overdue /> });
                if rows.is_empty() {
                    let nothing = inbox.reviews.is_empty().then(|| view! { <p>"Nothing awaits your decision."</p> });
                    return view! { {follow} {reviews} {nothing} }.into_any();
                }
                view! {
                    {follow}
                    {reviews}
                    <h2 class="text-lg font-semibold mb-2">"Approvals"</h2>
                    <table class="w-full text-sm bg-white">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"Model version"</th>
                                <th class="p-2">"Project"</th>
                                <th class="p-2">"Awaits"</th>
                                <th class="p-2">"Now"</th>
                                <th class="p-2">"Waiting for"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| {
                                    let v = r.version;
                                    view! {
                                        <tr class="border-b border-slate-200">
                                            <td class="p-2">
                                                <a class="text-blue-700 underline" href=format!("/versions/{}", v.id)>{v.label()}</a>
                                            </td>
                                            <td class="p-2">{v.project.to_string()}</td>
                                            <td class="p-2">{r.stage.as_str()}</td>
                                            <td class="p-2">
                                            <RecordedStageStatus version=v.clone() />
                                        </td>
                                            <td class="p-2">{r.waiting}</td>
                                        </tr>
                                    }
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

/// Reviews of Prod versions, opened by sustained breaches (what breaches, since when, how badly, whether it
/// has cleared by itself since) and by re-certifications due (overdue ones counted and marked).
#[component]
fn Reviews(rows: Vec<ReviewRow>, overdue: usize) -> impl IntoView {
    let overdue = (overdue > 0).then(|| {
        view! {
            <p class="text-sm text-red-800 mb-2" data-testid="overdue">
                {format!("{overdue} re-certification{} overdue: the Prod sign-off ran out.", if overdue == 1 { "" } else { "s" })}
            </p>
        }
    });
    view! {
        <section aria-labelledby="reviews-h" class="mb-6" data-testid="reviews">
            <h2 id="reviews-h" class="text-lg font-semibold mb-2">"Reviews of Prod versions"</h2>
            {overdue}
            <table class="w-full text-sm bg-white">
                <thead>
                    <tr class="text-left border-b border-slate-200">
                        <th class="p-2">"Model version"</th>
                        <th class="p-2">"Project"</th>
                        <th class="p-2">"Review"</th>
                        <th class="p-2">"Worst / threshold"</th>
                        <th class="p-2">"Age"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let v = r.version;
                            let state = match r.review.breach().map(|b| b.cleared_at) {
                                Some(Some(at)) => format!(" · cleared by itself at {}", crate::format::time(&at)),
                                Some(None) if r.review.reopened > 0 => " · re-opened: the acknowledgement ran out".to_string(),
                                _ => String::new(),
                            };
                            let bounds = r
                                .review
                                .breach()
                                .map(|b| format!("{} / {}", crate::format::number(b.worst), crate::format::number(b.threshold)))
                                .unwrap_or_default();
                            let age_class = if r.overdue { "p-2 text-red-800 font-semibold" } else { "p-2" };
                            let chart = r.series.as_ref().and_then(|s| crate::components::monitoring::charts(std::slice::from_ref(s)).into_iter().next());
                            view! {
                                <tr class="border-b border-slate-200">
                                    <td class="p-2">
                                        <a class="text-blue-700 underline" href=format!("/versions/{}#production", v.id)>{v.label()}</a>
                                    </td>
                                    <td class="p-2">{v.project.to_string()}</td>
                                    <td class="p-2">{format!("{}{state}", r.review.label())}</td>
                                    <td class="p-2 text-right">{bounds}</td>
                                    <td class=age_class>{r.age}</td>
                                </tr>
                                {chart.map(|spec| view! {
                                    <tr class="border-b border-slate-200" data-testid="review-chart">
                                        <td class="p-2" colspan="5"><LineChart spec=spec /></td>
                                    </tr>
                                })}
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
