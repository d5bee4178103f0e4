//! Line charts. The server renders a static SVG (readable with JavaScript off, and what a screen reader is
//! told in words); once the page is hydrated the browser swaps it for an interactive leptos-chartistry
//! chart with tooltips. Chartistry draws nothing on the server (it measures its container first), which is
//! why the static rendering is ours.

mod interactive;
mod static_svg;

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

#[component]
pub fn LineChart(spec: ChartSpec) -> impl IntoView {
    // Effects run only in the browser, after hydration: the server and the hydrating client both render the
    // static SVG, so their markup matches.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let breaches = spec.breaches().len();
    let label = format!("{}: {}", spec.title, spec.summary);
    let (for_static, for_interactive) = (spec.clone(), spec.clone());
    view! {
        <figure class="rounded border border-slate-200 bg-white p-2" data-testid="chart">
            <figcaption class="text-sm font-medium">
                {spec.title.clone()}
                {(breaches > 0).then(|| view! { <span class="ml-2 rounded bg-red-100 px-1 text-red-900">"Threshold breached"</span> })}
            </figcaption>
            <div role="img" aria-label=label>
                <Show
                    when=move || hydrated.get()
                    fallback=move || view! { <static_svg::StaticChart spec=for_static.clone() /> }
                >
                    <interactive::InteractiveChart spec=for_interactive.clone() />
                </Show>
            </div>
            <p class="text-xs text-slate-600">{spec.summary.clone()}</p>
        </figure>
    }
}
