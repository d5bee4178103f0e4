//! Line charts, drawn as SVG by the portal itself: the same markup on the server and after hydration, so a
//! chart reads the same with JavaScript off, and with no inline styles, so the CSP can refuse them. Each
//! point's value is its tooltip; the chart in words is shown under it and given to screen readers.

mod axis;
mod svg;

use leptos::prelude::*;

/// What the horizontal axis counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XAxis {
    /// Seconds since the Unix epoch.
    Time,
    /// Training steps, version numbers: integers named by the label.
    Count(&'static str),
}

/// One line of a chart: points (x, y) in x order.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartLine {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A chart: its lines, and the threshold above which a value is a breach.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub title: String,
    pub x: XAxis,
    pub lines: Vec<ChartLine>,
    pub threshold: Option<f64>,
    /// The chart in words: shown under it and given to screen readers.
    pub summary: String,
}

impl ChartSpec {
    /// Points above the threshold, on any line.
    pub fn breaches(&self) -> Vec<(f64, f64)> {
        let Some(threshold) = self.threshold else { return Vec::new() };
        self.lines.iter().flat_map(|l| l.points.iter().copied()).filter(|(_, y)| *y > threshold).collect()
    }
}

/// Line colours, distinguishable for the common colour-vision deficiencies (Okabe-Ito).
pub const PALETTE: [(u8, u8, u8); 5] = [(0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233)];
pub const THRESHOLD_COLOUR: (u8, u8, u8) = (220, 38, 38);

/// A legend entry's colour swatch: a tiny SVG, since a style attribute would need an inline-style CSP.
fn swatch(colour: String, dashed: bool) -> impl IntoView {
    view! {
        <svg viewBox="0 0 16 8" class="inline-block h-2 w-4" aria-hidden="true">
            <line x1="0" y1="4" x2="16" y2="4" stroke=colour stroke-width="3" stroke-dasharray=dashed.then_some("4 2") />
        </svg>
    }
}

#[component]
pub fn LineChart(spec: ChartSpec) -> impl IntoView {
    let breaches = spec.breaches().len();
    let label = format!("{}: {}", spec.title, spec.summary);
    let legend = (spec.lines.len() > 1 || spec.threshold.is_some()).then(|| {
        let lines = spec
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                view! {
                    <span class="inline-flex items-center gap-1">
                        {swatch(svg::rgb(PALETTE[i % PALETTE.len()]), false)}
                        {line.name.clone()}
                    </span>
                }
            })
            .collect_view();
        let threshold = spec.threshold.map(|t| {
            view! {
                <span class="inline-flex items-center gap-1">
                    {swatch(svg::rgb(THRESHOLD_COLOUR), true)}
                    {format!("threshold {}", crate::format::number(t))}
                </span>
            }
        });
        view! { <p class="flex flex-wrap gap-x-3 text-xs text-slate-700">{lines}{threshold}</p> }
    });
    view! {
        <figure class="rounded border border-slate-200 bg-white p-2" data-testid="chart">
            <figcaption class="text-sm font-medium">
                {spec.title.clone()}
                {(breaches > 0).then(|| view! { <span class="ml-2 rounded bg-red-100 px-1 text-red-900">"Threshold breached"</span> })}
            </figcaption>
            {legend}
            <div role="img" aria-label=label>
                <svg::ChartSvg spec=spec.clone() />
            </div>
            <p class="text-xs text-slate-600">{spec.summary.clone()}</p>
        </figure>
    }
}
