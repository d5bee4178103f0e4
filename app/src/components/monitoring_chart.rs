//! A monitoring series as a static SVG line chart with its threshold and breaches marked: readable with
//! JavaScript off, and described in text for screen readers.

use governance::monitoring::MonitoringSeries;
use leptos::prelude::*;

use crate::format::number;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 160.0;
const PAD: f64 = 28.0;

/// The chart geometry: points scaled into the plot area.
pub struct Plot {
    pub line: String,
    pub threshold_y: Option<f64>,
    pub breaches: Vec<(f64, f64)>,
    pub max: f64,
    pub min: f64,
}

/// Scales a series into the chart's pixels (y grows downwards).
pub fn plot(series: &MonitoringSeries) -> Plot {
    let values = series.points.iter().map(|p| p.value).chain(series.threshold);
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (min, max) = if min.is_finite() { (min.min(0.0), if max > min { max } else { min + 1.0 }) } else { (0.0, 1.0) };
    let first = series.points.first().map(|p| p.at.timestamp()).unwrap_or(0) as f64;
    let last = series.points.last().map(|p| p.at.timestamp()).unwrap_or(1) as f64;
    let span = if last > first { last - first } else { 1.0 };
    let x = |t: f64| PAD + (t - first) / span * (WIDTH - 2.0 * PAD);
    let y = |v: f64| HEIGHT - PAD - (v - min) / (max - min) * (HEIGHT - 2.0 * PAD);
    let line = series
        .points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.at.timestamp() as f64), y(p.value)))
        .collect::<Vec<_>>()
        .join(" ");
    let breaches = series.breaches().map(|p| (x(p.at.timestamp() as f64), y(p.value))).collect();
    Plot { line, threshold_y: series.threshold.map(y), breaches, max, min }
}

#[component]
pub fn MonitoringChart(series: MonitoringSeries) -> impl IntoView {
    let plot = plot(&series);
    let at = |p: Option<&governance::monitoring::Point>| {
        p.map(|p| p.at.format("%d %b %H:%M").to_string()).unwrap_or_default()
    };
    let (start, end) = (at(series.points.first()), at(series.points.last()));
    let breaches = series.breaches().count();
    let title = format!("{} — {} / {}", series.metric, series.endpoint, series.variant);
    let summary = format!(
        "{} points; latest {}; threshold {}; {} above threshold",
        series.points.len(),
        series.points.last().map(|p| number(p.value)).unwrap_or_else(|| "—".into()),
        series.threshold.map(number).unwrap_or_else(|| "none".into()),
        breaches
    );
    view! {
        <figure class="rounded border border-slate-200 bg-white p-2">
            <figcaption class="text-sm font-medium">
                {title.clone()}
                {(breaches > 0).then(|| view! { <span class="ml-2 rounded bg-red-100 px-1 text-red-900">"Threshold breached"</span> })}
            </figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=format!("{title}: {summary}") class="w-full max-w-xl">
                <line x1=PAD y1=HEIGHT - PAD x2=WIDTH - PAD y2=HEIGHT - PAD stroke="#94a3b8" />
                <text x="2" y=PAD font-size="10" fill="#475569">{number(plot.max)}</text>
                <text x="2" y=HEIGHT - PAD font-size="10" fill="#475569">{number(plot.min)}</text>
                <text x=PAD y=HEIGHT - 8.0 font-size="10" fill="#475569">{start}</text>
                <text x=WIDTH - PAD y=HEIGHT - 8.0 font-size="10" fill="#475569" text-anchor="end">{end}</text>
                {plot.threshold_y.map(|ty| view! {
                    <line x1=PAD y1=ty x2=WIDTH - PAD y2=ty stroke="#dc2626" stroke-dasharray="4 3" />
                })}
                <polyline points=plot.line fill="none" stroke="#1d4ed8" stroke-width="2" />
                {plot.breaches.into_iter().map(|(x, y)| view! { <circle cx=x cy=y r="3.5" fill="#dc2626" /> }).collect_view()}
            </svg>
            <p class="text-xs text-slate-600">{summary}</p>
        </figure>
    }
}
