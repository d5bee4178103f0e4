//! Monitoring of a deployed version: one chart per metric and endpoint, a line per production variant,
//! the alarm threshold drawn and breaches marked, over a time range the reader picks.

use std::collections::BTreeMap;

use governance::monitoring::TimeRange;
use leptos::prelude::*;

use crate::components::chart::{ChartLine, ChartSpec, LineChart, XAxis};
use crate::format::number;
use governance::monitoring::SeriesOverview;

/// Joins the series of one metric on one endpoint into one chart.
pub fn charts(series: &[SeriesOverview]) -> Vec<ChartSpec> {
    let mut by_metric: BTreeMap<(&str, &str), Vec<&SeriesOverview>> = BTreeMap::new();
    for s in series {
        by_metric.entry((s.series.metric.as_str(), s.series.endpoint.as_str())).or_default().push(s);
    }
    by_metric
        .into_iter()
        .map(|((metric, endpoint), variants)| {
            let threshold = variants.iter().filter_map(|v| v.series.threshold).reduce(f64::min);
            let points: u64 = variants.iter().map(|v| v.points).sum();
            let breaches: u64 = variants.iter().map(|v| v.breaches).sum();
            let latest = variants
                .iter()
                .filter_map(|v| v.series.points.last().map(|p| format!("{} {}", v.series.variant, number(p.value))))
                .collect::<Vec<_>>()
                .join(", ");
            ChartSpec {
                title: format!("{metric} — {endpoint}"),
                x: XAxis::Time,
                lines: variants
                    .iter()
                    .map(|v| ChartLine {
                        name: v.series.variant.clone(),
                        points: v.series.points.iter().map(|p| (p.at.timestamp() as f64, p.value)).collect(),
                    })
                    .collect(),
                threshold,
                summary: format!(
                    "{points} points; latest: {}; threshold {}; {breaches} above threshold",
                    if latest.is_empty() { "—".to_string() } else { latest },
                    threshold.map(number).unwrap_or_else(|| "none".into()),
                ),
            }
        })
        .collect()
}

#[component]
pub fn Monitoring(version_id: String, series: Vec<SeriesOverview>, range: TimeRange) -> impl IntoView {
    let charts = charts(&series);
    view! {
        <form method="get" action=format!("/versions/{version_id}") class="mb-3 flex items-end gap-2">
            <label class="block text-sm">
                <span class="block font-medium">"Time range"</span>
                <select name="range" class="mt-1 rounded border border-slate-300 px-2 py-1">
                    {TimeRange::ALL
                        .into_iter()
                        .map(|r| view! { <option value=r.as_str() selected=r == range>{r.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class="rounded border border-slate-300 px-3 py-1 text-sm">"Show"</button>
        </form>
        {if charts.is_empty() {
            view! { <p class="text-slate-600">{format!("No monitoring data for this version in the {}.", range.label().to_lowercase())}</p> }.into_any()
        } else {
            view! {
                <div class="grid gap-3 md:grid-cols-2">
                    {charts.into_iter().map(|spec| view! { <LineChart spec=spec /> }).collect_view()}
                </div>
            }
            .into_any()
        }}
    }
}
