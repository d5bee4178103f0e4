//! The browser's rendering of a chart: leptos-chartistry, with tooltips, a legend and guide lines.

use leptos::prelude::*;
use leptos_chartistry::{
    AspectRatio, AxisMarker, Chart, Colour, Interpolation, IntoInner, Legend, Line, Marker, MarkerShape, Series, Tick,
    TickLabels, Tooltip, XGuideLine, YGridLine, YGuideLine,
};

use super::{ChartSpec, XAxis, PALETTE, THRESHOLD_COLOUR};

/// One x value with every line's value there (NaN where a line has no point: chartistry leaves a gap). Lines
/// are drawn linearly: chartistry's default smoothing turns a gap next to a lone point into an invalid path.
#[derive(Debug, Clone)]
struct Row<X> {
    x: X,
    ys: Vec<f64>,
}

/// The lines of the spec, plus the threshold and its breaches as two more lines, joined on x.
fn rows(spec: &ChartSpec) -> Vec<(f64, Vec<f64>)> {
    let mut xs: Vec<f64> = spec.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut rows: Vec<(f64, Vec<f64>)> = xs.iter().map(|x| (*x, vec![f64::NAN; spec.lines.len() + 2])).collect();
    for (i, line) in spec.lines.iter().enumerate() {
        for (px, py) in &line.points {
            if let Ok(at) = xs.binary_search_by(|x| x.total_cmp(px)) {
                rows[at].1[i] = *py;
                if spec.threshold.is_some_and(|t| *py > t) {
                    rows[at].1[spec.lines.len() + 1] = *py;
                }
            }
        }
    }
    if let Some(t) = spec.threshold {
        for row in &mut rows {
            row.1[spec.lines.len()] = t;
        }
    }
    rows
}

fn colour((r, g, b): (u8, u8, u8)) -> Colour {
    Colour::from_rgb(r, g, b)
}

fn chart<X: Tick>(spec: &ChartSpec, to_x: fn(f64) -> X, ticks: TickLabels<X>) -> AnyView {
    let n = spec.lines.len();
    let data: Vec<Row<X>> = rows(spec).into_iter().map(|(x, ys)| Row { x: to_x(x), ys }).collect();
    let mut series = Series::new(|r: &Row<X>| r.x.clone());
    for (i, line) in spec.lines.iter().enumerate() {
        series = series.line(
            Line::new(move |r: &Row<X>| r.ys[i])
                .with_name(line.name.clone())
                .with_interpolation(Interpolation::Linear)
                .with_colour(colour(PALETTE[i % PALETTE.len()])),
        );
    }
    if spec.threshold.is_some() {
        series = series
            .line(
                Line::new(move |r: &Row<X>| r.ys[n])
                    .with_name("threshold")
                    .with_interpolation(Interpolation::Linear)
                    .with_colour(colour(THRESHOLD_COLOUR)),
            )
            .line(
                Line::new(move |r: &Row<X>| r.ys[n + 1])
                    .with_name("breach")
                    .with_interpolation(Interpolation::Linear)
                    .with_colour(colour(THRESHOLD_COLOUR))
                    .with_marker(Marker::from_shape(MarkerShape::Circle)),
            );
    }
    view! {
        <Chart
            aspect_ratio=AspectRatio::from_env_width(200.0)
            left=TickLabels::aligned_floats()
            bottom=ticks
            right=Legend::end()
            inner=[
                AxisMarker::left_edge().into_inner(),
                AxisMarker::bottom_edge().into_inner(),
                YGridLine::default().into_inner(),
                XGuideLine::over_data().into_inner(),
                YGuideLine::over_mouse().into_inner(),
            ]
            tooltip=Tooltip::left_cursor().skip_missing(true)
            series=series
            data=Signal::derive(move || data.clone())
        />
    }
    .into_any()
}

#[component]
pub fn InteractiveChart(spec: ChartSpec) -> impl IntoView {
    match spec.x {
        XAxis::Time => chart(
            &spec,
            |x| chrono::DateTime::from_timestamp(x as i64, 0).unwrap_or_default(),
            TickLabels::timestamps(),
        ),
        XAxis::Count(_) => chart(&spec, |x| x, TickLabels::aligned_floats()),
    }
}
