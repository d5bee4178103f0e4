//! Integration test runs: every run with its verdict, duration and reporter; for the selected run (the
//! latest by default) its performance against the Prod thresholds, what changed since the run before it,
//! and its cases, filtered by status. Filters and selection are links, so they work with JavaScript off.

use governance::project::MetricThreshold;
use governance::test_run::{CaseStatus, TestRun};
use governance::test_run_diff::{diff, CaseChange, RunDiff};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::pager::Pager;
use crate::components::sort::{sorted_link, Direction, Sort, SortHeader};
use crate::format::{number, time};

/// Cases shown per page of the case table.
const CASES_PER_PAGE: u64 = 100;

const FILTERS: [(&str, Option<CaseStatus>); 5] = [
    ("all", None),
    ("failed", Some(CaseStatus::Failed)),
    ("errored", Some(CaseStatus::Errored)),
    ("passed", Some(CaseStatus::Passed)),
    ("skipped", Some(CaseStatus::Skipped)),
];

fn verdict(passed: bool) -> impl IntoView {
    let (text, class) =
        if passed { ("Passed", "bg-green-100 text-green-900") } else { ("Failed", "bg-red-100 text-red-900") };
    view! { <span class=format!("rounded px-2 py-0.5 text-sm font-medium {class}")>{text}</span> }
}

fn status(s: Option<CaseStatus>) -> &'static str {
    s.map(CaseStatus::as_str).unwrap_or("absent")
}

fn changes(title: &'static str, list: Vec<CaseChange>) -> impl IntoView {
    (!list.is_empty()).then(|| {
        view! {
            <p class="mt-1 text-sm font-medium">{format!("{title} ({})", list.len())}</p>
            <ul class="ml-4 list-disc text-sm">
                {list
                    .into_iter()
                    .map(|c| view! { <li>{format!("{} / {}: {} → {}", c.suite, c.name, status(c.before), status(c.after))}</li> })
                    .collect_view()}
            </ul>
        }
    })
}

fn diff_view(previous: &TestRun, d: RunDiff) -> AnyView {
    if d.is_empty() {
        return view! { <p class="text-sm">{format!("Same results as the previous run {}.", previous.id)}</p> }
            .into_any();
    }
    let performance = d
        .performance
        .iter()
        .filter(|p| p.before != p.after)
        .map(|p| {
            let show = |v: Option<f64>| v.map(number).unwrap_or_else(|| "—".into());
            format!("{}: {} → {}", p.metric, show(p.before), show(p.after))
        })
        .collect::<Vec<_>>();
    view! {
        <p class="text-sm">{format!("Compared with the previous run {} ({}):", previous.id, time(&previous.recorded_at))}</p>
        {changes("New failures", d.new_failures)}
        {changes("Fixed", d.fixed)}
        {changes("Other changes", d.other)}
        {(!performance.is_empty()).then(|| view! { <p class="mt-1 text-sm">{format!("Performance: {}", performance.join("; "))}</p> })}
    }
    .into_any()
}

fn performance_view(run: &TestRun, thresholds: &[MetricThreshold]) -> AnyView {
    if run.performance.is_empty() {
        return view! { <p class="text-sm">"No performance metrics reported."</p> }.into_any();
    }
    view! {
        <table class="text-sm">
            <thead><tr class="text-left"><th class="pr-4">"Metric"</th><th class="pr-4">"Value"</th><th>"Prod threshold"</th></tr></thead>
            <tbody>
                {run.performance
                    .iter()
                    .map(|(metric, value)| {
                        let threshold = thresholds.iter().find(|t| &t.metric == metric);
                        let (text, class) = match threshold {
                            None => ("none".to_string(), ""),
                            Some(t) if t.bound.holds(*value) => (format!("{t}: met"), "text-green-900"),
                            Some(t) => (format!("{t}: not met"), "font-medium text-red-900"),
                        };
                        view! { <tr><td class="pr-4">{metric.clone()}</td><td class="pr-4">{number(*value)}</td><td class=class>{text}</td></tr> }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The cases table's sort in the query, and the columns it sorts by.
const CASE_SORT: &str = "case_sort";
const CASE_COLUMNS: [&str; 4] = ["suite", "case", "status", "duration"];

#[component]
pub fn TestRuns(runs: Vec<TestRun>, thresholds: Vec<MetricThreshold>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="text-slate-600">"No integration test run reported yet."</p> }.into_any();
    }
    let query = use_query_map();
    let runs = StoredValue::new(runs);
    let thresholds = StoredValue::new(thresholds);
    let body = move || {
        let q = query.get();
        let runs = runs.get_value();
        let thresholds = thresholds.get_value();
        // Runs come newest first; the selected one defaults to the latest.
        let at = q.get("run").and_then(|id| runs.iter().position(|r| r.id.as_str() == id)).unwrap_or(0);
        let filter = q.get("cases").unwrap_or_else(|| "all".into());
        let selected = &runs[at];
        let link = |run: &str, cases: &str| format!("?run={run}&cases={cases}#test-runs");
        let list = runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let current = (i == at).then_some("true");
                view! {
                    <tr class="border-b border-slate-200">
                        <td class="py-1 pr-3">{verdict(r.passed)}</td>
                        <td class="pr-3">
                            <a class="text-blue-700 underline" href=link(r.id.as_str(), "all") aria-current=current>{r.id.to_string()}</a>
                        </td>
                        <td class="pr-3">{format!("{} cases, {} failed", r.cases.len(), r.cases.iter().filter(|c| c.status.is_failure()).count())}</td>
                        <td class="pr-3">{format!("{} ms", r.duration_ms())}</td>
                        <td class="pr-3">{r.reported_by.to_string()}</td>
                        <td>{time(&r.recorded_at)}</td>
                    </tr>
                }
            })
            .collect_view();
        let wanted = FILTERS.iter().find(|(name, _)| *name == filter).and_then(|(_, s)| *s);
        let filters = FILTERS
            .iter()
            .map(|(name, s)| {
                let n = s.map(|s| selected.count(s)).unwrap_or(selected.cases.len());
                let current = (*name == filter).then_some("page");
                let class = if current.is_some() { "rounded bg-slate-800 px-2 py-0.5 text-white" } else { "rounded px-2 py-0.5 text-blue-700 underline" };
                view! { <a class=class href=link(selected.id.as_str(), name) aria-current=current>{format!("{name} ({n})")}</a> }
            })
            .collect_view();
        // Failures first by default: they are what a reviewer reads. The headers sort otherwise (stable, so
        // equal cases keep the report's order).
        let sort =
            Sort::from_query(&q, CASE_SORT, &CASE_COLUMNS, Sort { column: "status", direction: Direction::Ascending });
        let mut cases: Vec<_> = selected.cases.iter().filter(|c| wanted.is_none_or(|w| c.status == w)).collect();
        cases.sort_by(|a, b| {
            sort.direction.apply(match sort.column {
                "suite" => a.suite.cmp(&b.suite).then_with(|| a.name.cmp(&b.name)),
                "case" => a.name.cmp(&b.name),
                "duration" => a.duration_ms.cmp(&b.duration_ms),
                _ => (!a.status.is_failure())
                    .cmp(&!b.status.is_failure())
                    .then_with(|| a.status.as_str().cmp(b.status.as_str())),
            })
        });
        let href = sorted_link(&q, CASE_SORT, "#test-runs");
        let sort_query = format!("&{CASE_SORT}={}&{CASE_SORT}_dir={}", sort.column, sort.direction.as_str());
        // A page of the table at a time: a thousand rows are not read, and would make the page slow to send.
        let total = cases.len() as u64;
        let offset = q.get("case_offset").and_then(|o| o.parse::<u64>().ok()).filter(|o| *o < total).unwrap_or(0);
        let page: Vec<_> = cases.into_iter().skip(offset as usize).take(CASES_PER_PAGE as usize).collect();
        let (run_id, filter_name) = (selected.id.to_string(), filter.clone());
        let page_link =
            move |o: u64| format!("?run={run_id}&cases={filter_name}{sort_query}&case_offset={o}#test-runs");
        let previous = runs.get(at + 1);
        view! {
            <table class="mb-3 w-full text-sm" aria-label="Test runs, newest first">
                <thead><tr class="text-left"><th>"Verdict"</th><th>"Run"</th><th>"Cases"</th><th>"Duration"</th><th>"Reported by"</th><th>"At"</th></tr></thead>
                <tbody>{list}</tbody>
            </table>
            <div class="rounded border border-slate-200 p-2" data-testid="selected-run">
                <h3 class="font-medium">{verdict(selected.passed)}" "{format!("Run {}", selected.id)}</h3>
                <p class="text-sm text-slate-600">
                    {format!(
                        "{} cases: {} passed, {} failed, {} errored, {} skipped; {} ms; reported by {} at {}",
                        selected.cases.len(),
                        selected.count(CaseStatus::Passed),
                        selected.count(CaseStatus::Failed),
                        selected.count(CaseStatus::Errored),
                        selected.count(CaseStatus::Skipped),
                        selected.duration_ms(),
                        selected.reported_by,
                        time(&selected.recorded_at),
                    )}
                    {ci_run(&selected.ci_run)}
                </p>
                <h4 class="mt-2 text-sm font-medium">"Performance"</h4>
                {performance_view(selected, &thresholds)}
                <h4 class="mt-2 text-sm font-medium">"Since the previous run"</h4>
                {match previous {
                    Some(p) => diff_view(p, diff(p, selected)),
                    None => view! { <p class="text-sm">"This is the first run."</p> }.into_any(),
                }}
                <nav class="mt-2 flex flex-wrap gap-2 text-sm" aria-label="Filter cases by status">{filters}</nav>
                <table class="mt-2 w-full text-sm" aria-label="Cases of the selected run" data-testid="test-cases">
                    <thead>
                        <tr class="text-left">
                            <SortHeader label="Suite" column="suite" sort=sort.clone() href key=CASE_SORT />
                            <SortHeader label="Case" column="case" sort=sort.clone() href key=CASE_SORT />
                            <SortHeader label="Status" column="status" sort=sort.clone() href key=CASE_SORT />
                            <SortHeader label="Duration" column="duration" sort=sort.clone() href key=CASE_SORT numeric=true />
                            <th scope="col" class="p-2 text-left">"Message"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {page
                            .into_iter()
                            .map(|c| view! {
                                <tr class=if c.status.is_failure() { "bg-red-50" } else { "" }>
                                    <td>{c.suite.clone()}</td>
                                    <td>{c.name.clone()}</td>
                                    <td>{c.status.as_str()}</td>
                                    <td class="text-right tabular-nums pr-2">{format!("{} ms", c.duration_ms)}</td>
                                    <td class="whitespace-pre-wrap">{c.message.clone()}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
                {(total > CASES_PER_PAGE).then(|| view! { <Pager offset limit=CASES_PER_PAGE total href=page_link label="Pages of cases" /> })}
            </div>
        }
    };
    body.into_any()
}

/// The CI run a report names: a link when it is a web address (http or https only: never `javascript:` or
/// another scheme), else its text.
fn ci_run(run: &str) -> Option<AnyView> {
    let run = run.trim();
    if run.is_empty() {
        return None;
    }
    let web = run.starts_with("https://") || run.starts_with("http://");
    Some(if web {
        view! { " · " <a class="text-blue-700 underline" href=run.to_string() rel="noopener noreferrer nofollow">"CI run"</a> }
            .into_any()
    } else {
        view! { {format!(" · CI run {run}")} }.into_any()
    })
}
