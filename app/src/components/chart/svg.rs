//! A chart drawn as plain SVG, the same on the server and in the browser: with JavaScript off it is the
//! whole chart, and hydrating changes nothing. Every point carries a `<title>` (the browser's tooltip on
//! hover, a screen reader's text on focus), colours are presentation attributes, and nothing is styled
//! inline, so the page's CSP can refuse inline styles.

use leptos::prelude::*;

use super::axis::{count_ticks, time_ticks, value_ticks, Tick};
use super::{ChartSpec, XAxis, PALETTE, THRESHOLD_COLOUR};
use crate::format::number;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;
/// Above this many points a line's markers are drawn transparent (still there to hover); below, as dots.
const VISIBLE_MARKERS: usize = 60;

pub fn rgb((r, g, b): (u8, u8, u8)) -> String {
    format!("rgb({r},{g},{b})")
}

/// The value range the chart shows: every point and the threshold, from zero when all values are positive
/// (the metrics drawn are rates, latencies and counts, where a cut-off axis exaggerates a change).
fn y_range(spec: &ChartSpec) -> (f64, f64) {
    let values = spec.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).chain(spec.threshold);
    let (lo, hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let lo = lo.min(0.0);
    (lo, if hi > lo { hi } else { lo + 1.0 })
}

fn x_range(spec: &ChartSpec) -> (f64, f64) {
    let xs = spec.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).filter(|v| v.is_finite());
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    match (hi > lo, spec.x) {
        (true, _) => (lo, hi),
        // One x value: centre it.
        (false, XAxis::Time) => (lo - 1800.0, lo + 1800.0),
        (false, XAxis::Count(_)) => (lo - 1.0, lo + 1.0),
    }
}

/// How an x value reads in a tooltip.
pub fn x_text(axis: XAxis, x: f64) -> String {
    match axis {
        XAxis::Time => chrono::DateTime::from_timestamp(x as i64, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        XAxis::Count(name) => format!("{name} {}", x as i64),
    }
}

#[component]
pub fn ChartSvg(spec: ChartSpec) -> impl IntoView {
    let (y_lo, y_hi, y_ticks) = {
        let (lo, hi) = y_range(&spec);
        value_ticks(lo, hi)
    };
    let (x_lo, x_hi) = x_range(&spec);
    let x_ticks: Vec<Tick> = match spec.x {
        XAxis::Time => time_ticks(x_lo, x_hi),
        XAxis::Count(name) => count_ticks(x_lo, x_hi, name),
    };
    let x = move |v: f64| LEFT + (v - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - RIGHT);
    let y = move |v: f64| HEIGHT - BOTTOM - (v - y_lo) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM);
    let grid = y_ticks
        .into_iter()
        .map(|t| {
            view! {
                <line x1=LEFT y1=y(t.at) x2=WIDTH - RIGHT y2=y(t.at) stroke="#e2e8f0" />
                <text x=LEFT - 4.0 y=y(t.at) + 3.5 font-size="10" fill="#475569" text-anchor="end">{t.label}</text>
            }
        })
        .collect_view();
    let x_axis = x_ticks
        .into_iter()
        .map(|t| {
            view! {
                <line x1=x(t.at) y1=HEIGHT - BOTTOM x2=x(t.at) y2=HEIGHT - BOTTOM + 4.0 stroke="#94a3b8" />
                <text x=x(t.at) y=HEIGHT - BOTTOM + 15.0 font-size="10" fill="#475569" text-anchor="middle">{t.label}</text>
            }
        })
        .collect_view();
    let threshold = spec.threshold;
    let lines = spec
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let colour = rgb(PALETTE[i % PALETTE.len()]);
            let path =
                line.points.iter().map(|(px, py)| format!("{:.1},{:.1}", x(*px), y(*py))).collect::<Vec<_>>().join(" ");
            let opacity = if line.points.len() <= VISIBLE_MARKERS { "1" } else { "0" };
            let markers = line
                .points
                .iter()
                .map(|(px, py)| {
                    let breach = threshold.is_some_and(|t| *py > t);
                    let tip = format!(
                        "{}: {} at {}{}",
                        line.name,
                        number(*py),
                        x_text(spec.x, *px),
                        if breach { " (above the threshold)" } else { "" }
                    );
                    let (fill, r, opacity) =
                        if breach { (rgb(THRESHOLD_COLOUR), "3.5", "1") } else { (colour.clone(), "2.5", opacity) };
                    view! {
                        <circle class="chart-point" cx=format!("{:.1}", x(*px)) cy=format!("{:.1}", y(*py)) r=r fill=fill fill-opacity=opacity>
                            <title>{tip}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <polyline points=path fill="none" stroke=colour stroke-width="2"><title>{line.name.clone()}</title></polyline>
                {markers}
            }
        })
        .collect_view();
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="w-full max-w-xl" aria-hidden="true">
            {grid}
            <line x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH - RIGHT y2=HEIGHT - BOTTOM stroke="#94a3b8" />
            <line x1=LEFT y1=TOP x2=LEFT y2=HEIGHT - BOTTOM stroke="#94a3b8" />
            {x_axis}
            {threshold.map(|t| view! {
                <line x1=LEFT y1=y(t) x2=WIDTH - RIGHT y2=y(t) stroke=rgb(THRESHOLD_COLOUR) stroke-dasharray="4 3">
                    <title>{format!("threshold {}", number(t))}</title>
                </line>
            })}
            {lines}
        </svg>
    }
}
