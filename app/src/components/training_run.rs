//! The training run behind a version, from the experiment tracker (MLflow): status, params, metrics with
//! their history per step, tags, artifacts, and the registered model versions made from it. When the
//! tracker cannot answer, the section says so and the rest of the page carries on.

use governance::service::TrainingRun;
use leptos::prelude::*;

use crate::components::chart::{ChartLine, ChartSpec, LineChart, XAxis};
use crate::format::{number, time};

fn pairs(rows: Vec<(String, String)>, empty: &'static str) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="text-sm text-slate-600">{empty}</p> }.into_any();
    }
    view! {
        <table class="text-sm">
            <tbody>
                {rows
                    .into_iter()
                    .map(|(k, v)| view! {
                        <tr>
                            <th class="pr-4 text-left font-normal text-slate-600 align-top">{k}</th>
                            <td class="break-all">{v}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// One chart per metric, its value per step.
pub fn history_charts(run: &TrainingRun) -> Vec<ChartSpec> {
    run.history
        .iter()
        .filter(|(_, steps)| steps.len() > 1)
        .map(|(key, steps)| {
            let (first, last) = (steps.first().map(|s| s.value), steps.last().map(|s| s.value));
            ChartSpec {
                title: format!("{key} per step"),
                x: XAxis::Count("step"),
                lines: vec![ChartLine {
                    name: key.clone(),
                    points: steps.iter().map(|s| (s.step as f64, s.value)).collect(),
                }],
                threshold: None,
                summary: format!(
                    "{} values from step {} to {}; first {}, last {}",
                    steps.len(),
                    steps.first().map(|s| s.step).unwrap_or_default(),
                    steps.last().map(|s| s.step).unwrap_or_default(),
                    first.map(number).unwrap_or_default(),
                    last.map(number).unwrap_or_default(),
                ),
            }
        })
        .collect()
}

#[component]
pub fn TrainingRunSection(
    run_id: Option<String>,
    run: Option<Result<TrainingRun, governance::experiment::ExperimentError>>,
) -> impl IntoView {
    let run = match (run_id, run) {
        (None, _) | (_, None) => {
            return view! { <p class="text-slate-600">"The build pipeline registered this version without an MLflow run."</p> }
                .into_any()
        }
        // The tracker answered: it has no such run. Not a passing outage, so not "right now".
        (Some(id), Some(Err(governance::experiment::ExperimentError::RunNotFound(_)))) => {
            return view! {
                <div role="status" class="rounded border border-amber-300 bg-amber-50 p-3 text-sm" data-testid="run-unavailable">
                    <p class="font-medium">{format!("The experiment tracker has no run {id}.")}</p>
                    <p>"The lineage names a run that was deleted or never logged there: this version's training cannot be traced to it."</p>
                </div>
            }
            .into_any()
        }
        (Some(id), Some(Err(reason))) => {
            let reason = reason.to_string();
            return view! {
                <div role="status" class="rounded border border-amber-300 bg-amber-50 p-3 text-sm" data-testid="run-unavailable">
                    <p class="font-medium">{format!("Run {id} cannot be shown right now.")}</p>
                    <p>{reason}</p>
                    <p class="text-slate-600">"The rest of this page does not depend on it."</p>
                </div>
            }
            .into_any()
        }
        (Some(_), Some(Ok(run))) => run,
    };
    let r = &run.run;
    let duration = match (r.start_time, r.end_time) {
        (Some(s), Some(e)) => format!("{} min", (e - s).num_minutes()),
        _ => "—".to_string(),
    };
    let overview = vec![
        ("Run".to_string(), format!("{} ({})", r.run_name, r.run_id)),
        ("Status".to_string(), r.status.as_str().to_string()),
        ("User".to_string(), r.user.clone()),
        ("Started".to_string(), r.start_time.as_ref().map(time).unwrap_or_else(|| "—".into())),
        ("Ended".to_string(), r.end_time.as_ref().map(time).unwrap_or_else(|| "—".into())),
        ("Duration".to_string(), duration),
        ("Artifacts".to_string(), r.artifact_uri.clone()),
        ("Experiment".to_string(), r.experiment_id.clone()),
    ];
    let params = r.params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let metrics = r.metrics.iter().map(|(k, v)| (k.clone(), number(*v))).collect();
    let tags = r.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let registered = run
        .registered
        .iter()
        .map(|m| (format!("{} v{}", m.name, m.version), format!("{} · {}", m.status, m.source)))
        .collect();
    let charts = history_charts(&run);
    view! {
        <p class="text-sm text-slate-600 mb-2">
            {format!("From {}", run.source)}
            {run.url.clone().map(|url| view! {
                " · " <a class="text-blue-700 underline" href=url>"Open the run in MLflow"</a>
            })}
        </p>
        <div class="grid gap-4 md:grid-cols-2">
            <div>{pairs(overview, "")}</div>
            <div>
                <h3 class="font-medium">"Metrics (last value)"</h3>
                {pairs(metrics, "No metrics logged.")}
            </div>
            <div>
                <h3 class="font-medium">"Parameters"</h3>
                {pairs(params, "No parameters logged.")}
            </div>
            <div>
                <h3 class="font-medium">"Tags"</h3>
                {pairs(tags, "No tags.")}
            </div>
            <div>
                <h3 class="font-medium">"Registered from this run"</h3>
                {pairs(registered, "No registered model version points at this run.")}
            </div>
        </div>
        {(!charts.is_empty()).then(|| view! {
            <h3 class="font-medium mt-3">"Metric history"</h3>
            <div class="grid gap-3 md:grid-cols-2">
                {charts.into_iter().map(|spec| view! { <LineChart spec=spec /> }).collect_view()}
            </div>
        })}
    }
    .into_any()
}
