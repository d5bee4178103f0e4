//! The server's rendering of a chart: plain SVG, no script.

use leptos::prelude::*;

use super::{ChartSpec, XAxis, PALETTE, THRESHOLD_COLOUR};
use crate::format::number;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 44.0;
const PAD: f64 = 24.0;

fn rgb((r, g, b): (u8, u8, u8)) -> String {
    format!("rgb({r},{g},{b})")
}

/// The value range the chart shows: every point and the threshold, from zero when all values are positive.
fn y_range(spec: &ChartSpec) -> (f64, f64) {
    let values = spec.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).chain(spec.threshold);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let lo = lo.min(0.0);
    (lo, if hi > lo { hi } else { lo + 1.0 })
}

fn x_range(spec: &ChartSpec) -> (f64, f64) {
    let xs = spec.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    (lo, if hi > lo { hi } else { lo + 1.0 })
}

fn x_label(axis: XAxis, x: f64) -> String {
    match axis {
        XAxis::Time => chrono::DateTime::from_timestamp(x as i64, 0)
            .map(|t| t.format("%d %b %H:%M").to_string())
            .unwrap_or_default(),
        XAxis::Count(name) => format!("{name} {}", x as i64),
    }
}

#[component]
pub fn StaticChart(spec: ChartSpec) -> impl IntoView {
    let (y_lo, y_hi) = y_range(&spec);
    let (x_lo, x_hi) = x_range(&spec);
    let x = move |v: f64| LEFT + (v - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - PAD);
    let y = move |v: f64| HEIGHT - PAD - (v - y_lo) / (y_hi - y_lo) * (HEIGHT - 2.0 * PAD);
    let lines = spec
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let points =
                line.points.iter().map(|(px, py)| format!("{:.1},{:.1}", x(*px), y(*py))).collect::<Vec<_>>().join(" ");
            view! { <polyline points=points fill="none" stroke=rgb(PALETTE[i % PALETTE.len()]) stroke-width="2" /> }
        })
        .collect_view();
    let breaches = spec
        .breaches()
        .into_iter()
        .map(|(bx, by)| view! { <circle cx=format!("{:.1}", x(bx)) cy=format!("{:.1}", y(by)) r="3.5" fill=rgb(THRESHOLD_COLOUR) /> })
        .collect_view();
    let legend = (spec.lines.len() > 1).then(|| {
        spec.lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                view! {
                    <span class="mr-3 inline-flex items-center gap-1">
                        <span class="inline-block h-2 w-4" style=format!("background:{}", rgb(PALETTE[i % PALETTE.len()]))></span>
                        {line.name.clone()}
                    </span>
                }
            })
            .collect_view()
    });
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="w-full max-w-xl" aria-hidden="true">
            <line x1=LEFT y1=HEIGHT - PAD x2=WIDTH - PAD y2=HEIGHT - PAD stroke="#94a3b8" />
            <line x1=LEFT y1=PAD x2=LEFT y2=HEIGHT - PAD stroke="#94a3b8" />
            <text x=LEFT - 4.0 y=PAD + 4.0 font-size="10" fill="#475569" text-anchor="end">{number(y_hi)}</text>
            <text x=LEFT - 4.0 y=HEIGHT - PAD font-size="10" fill="#475569" text-anchor="end">{number(y_lo)}</text>
            <text x=LEFT y=HEIGHT - 6.0 font-size="10" fill="#475569">{x_label(spec.x, x_lo)}</text>
            <text x=WIDTH - PAD y=HEIGHT - 6.0 font-size="10" fill="#475569" text-anchor="end">{x_label(spec.x, x_hi)}</text>
            {spec.threshold.map(|t| view! {
                <line x1=LEFT y1=y(t) x2=WIDTH - PAD y2=y(t) stroke=rgb(THRESHOLD_COLOUR) stroke-dasharray="4 3" />
            })}
            {lines}
            {breaches}
        </svg>
        {legend.map(|l| view! { <p class="text-xs">{l}</p> })}
    }
}
