//! Where a version came from: data, code, run, artifact, image, and its Dev source or central copy.

use governance::model::ModelVersion;
use leptos::prelude::*;

#[component]
pub fn Lineage(version: ModelVersion, related: Option<ModelVersion>) -> impl IntoView {
    let l = version.lineage.clone();
    let row = |label: &'static str, value: String| {
        view! {
            <div class="flex gap-2">
                <dt class="w-44 shrink-0 text-slate-600">{label}</dt>
                <dd class="break-all">{value}</dd>
            </div>
        }
    };
    let link = related.map(|r| {
        let text = if version.registry.is_central() { "Open Dev source" } else { "Open central copy" };
        view! {
            <div class="flex gap-2">
                <dt class="w-44 shrink-0 text-slate-600">{if version.registry.is_central() { "Dev source" } else { "Central copy" }}</dt>
                <dd>
                    <a class="text-blue-700 underline" href=format!("/versions/{}", r.id)>{text}</a>
                    {format!(" ({}, {})", r.label(), r.registry.label())}
                </dd>
            </div>
        }
    });
    let none = || "—".to_string();
    view! {
        <dl class="space-y-1 text-sm">
            {row("Registry", version.registry.label())}
            {row(
                "Training data",
                if l.training_data.is_empty() { none() } else { l.training_data.join(", ") },
            )}
            {row("MLflow run", l.mlflow_run_id.unwrap_or_else(none))}
            {row("Code commit", l.code_commit.unwrap_or_else(none))}
            {row("Artifact", l.artifact_uri)}
            {row("Container image", l.container_image)}
            {link}
        </dl>
    }
}
