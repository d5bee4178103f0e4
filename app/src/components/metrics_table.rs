//! A version's metrics against the project's Prod thresholds: one row per metric, its value formatted once,
//! the threshold it must meet and whether it does, with the same value the Prod gate reads (the version's own
//! metric, else the latest test run's). A threshold on a metric nobody recorded is a row that fails.

use governance::gates::threshold_value;
use governance::model::ModelVersion;
use governance::project::MetricThreshold;
use governance::test_run::TestRun;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::sort::{sorted_link, Direction, Sort, SortHeader};
use crate::format::number;

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    metric: String,
    value: Option<f64>,
    /// Where the value comes from when it is not the version's own metric.
    source: Option<&'static str>,
    threshold: Option<MetricThreshold>,
}

impl Row {
    /// `Some(met)` where a threshold applies.
    fn met(&self) -> Option<bool> {
        self.threshold.as_ref().map(|t| self.value.is_some_and(|v| t.bound.holds(v)))
    }
}

fn rows(version: &ModelVersion, thresholds: &[MetricThreshold], latest_run: Option<&TestRun>) -> Vec<Row> {
    let mut rows: Vec<Row> = version
        .metrics
        .iter()
        .map(|(metric, value)| Row {
            metric: metric.clone(),
            value: Some(*value),
            source: None,
            threshold: thresholds.iter().find(|t| &t.metric == metric).cloned(),
        })
        .collect();
    for t in thresholds.iter().filter(|t| !version.metrics.contains_key(&t.metric)) {
        let value = threshold_value(t, version, latest_run);
        rows.push(Row {
            metric: t.metric.clone(),
            value,
            source: value.map(|_| "latest test run"),
            threshold: Some(t.clone()),
        });
    }
    rows
}

const KEY: &str = "metric_sort";
const COLUMNS: [&str; 3] = ["metric", "value", "result"];

#[component]
pub fn MetricsTable(
    version: ModelVersion,
    thresholds: Vec<MetricThreshold>,
    latest_run: Option<TestRun>,
) -> impl IntoView {
    let all = rows(&version, &thresholds, latest_run.as_ref());
    if all.is_empty() {
        return view! { <p class="text-slate-600">"No metrics recorded."</p> }.into_any();
    }
    let query = use_query_map();
    let all = StoredValue::new(all);
    let body = move || {
        let q = query.get();
        let sort = Sort::from_query(&q, KEY, &COLUMNS, Sort { column: "metric", direction: Direction::Ascending });
        let mut rows = all.get_value();
        rows.sort_by(|a, b| {
            let ordering = match sort.column {
                "value" => a.value.partial_cmp(&b.value).unwrap_or(std::cmp::Ordering::Equal),
                // Failing rows first when ascending: they are what a reviewer reads.
                "result" => a.met().cmp(&b.met()),
                _ => a.metric.cmp(&b.metric),
            };
            sort.direction.apply(ordering)
        });
        let href = sorted_link(&q, KEY, "#metrics");
        view! {
            <table class="w-full text-sm" data-testid="metrics-table">
                <caption class="sr-only">"Metrics against the Prod thresholds"</caption>
                <thead>
                    <tr class="border-b border-slate-200">
                        <SortHeader label="Metric" column="metric" sort=sort.clone() href key=KEY />
                        <SortHeader label="Value" column="value" sort=sort.clone() href key=KEY numeric=true />
                        <th scope="col" class="p-2 text-left">"Prod threshold"</th>
                        <SortHeader label="Result" column="result" sort=sort.clone() href key=KEY />
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let (result, class) = match r.met() {
                                None => ("no threshold", "text-slate-600"),
                                Some(true) => ("Pass", "font-medium text-green-900"),
                                Some(false) if r.value.is_none() => ("Fail: not recorded", "font-medium text-red-900"),
                                Some(false) => ("Fail", "font-medium text-red-900"),
                            };
                            view! {
                                <tr class="border-b border-slate-100">
                                    <th scope="row" class="p-2 text-left font-normal">{r.metric.clone()}</th>
                                    <td class="p-2 text-right tabular-nums">
                                        {r.value.map(number).unwrap_or_else(|| "—".to_string())}
                                        {r.source.map(|s| view! { <span class="block text-xs text-slate-600">{s}</span> })}
                                    </td>
                                    <td class="p-2">{r.threshold.as_ref().map(|t| t.to_string()).unwrap_or_default()}</td>
                                    <td class=format!("p-2 {class}")>{result}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    };
    body.into_any()
}
