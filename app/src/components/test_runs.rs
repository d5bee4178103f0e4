//! Integration test runs: verdict, counts, duration, performance, and the cases of each run.

use governance::test_run::{CaseStatus, TestRun};
use leptos::prelude::*;

use crate::format::{number, time};

#[component]
pub fn TestRuns(runs: Vec<TestRun>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="text-slate-600">"No integration test run reported yet."</p> }.into_any();
    }
    runs.into_iter()
        .enumerate()
        .map(|(i, run)| {
            let verdict = if run.passed { ("Passed", "bg-green-100 text-green-900") } else { ("Failed", "bg-red-100 text-red-900") };
            let heading = format!(
                "Run {} — {} cases: {} passed, {} failed, {} errored, {} skipped; {} ms; reported by {} at {}",
                run.id,
                run.cases.len(),
                run.count(CaseStatus::Passed),
                run.count(CaseStatus::Failed),
                run.count(CaseStatus::Errored),
                run.count(CaseStatus::Skipped),
                run.duration_ms(),
                run.reported_by,
                time(&run.recorded_at)
            );
            let performance = run
                .performance
                .iter()
                .map(|(k, v)| format!("{k} = {}", number(*v)))
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <details class="mb-3 rounded border border-slate-200 bg-white p-2" open=i == 0>
                    <summary class="cursor-pointer">
                        <span class=format!("mr-2 rounded px-2 py-0.5 text-sm font-medium {}", verdict.1)>{verdict.0}</span>
                        {heading}
                    </summary>
                    <p class="text-sm mt-1">{format!("Performance: {}", if performance.is_empty() { "none reported".into() } else { performance })}</p>
                    <table class="mt-2 w-full text-sm">
                        <thead>
                            <tr class="text-left">
                                <th>"Suite"</th>
                                <th>"Case"</th>
                                <th>"Status"</th>
                                <th>"Duration"</th>
                                <th>"Message"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {run
                                .cases
                                .into_iter()
                                .map(|c| view! {
                                    <tr class=if c.status.is_failure() { "bg-red-50" } else { "" }>
                                        <td>{c.suite}</td>
                                        <td>{c.name}</td>
                                        <td>{c.status.as_str()}</td>
                                        <td>{format!("{} ms", c.duration_ms)}</td>
                                        <td class="whitespace-pre-wrap">{c.message}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </details>
            }
        })
        .collect_view()
        .into_any()
}
