//! The deployment config form for AI engineers: instance type, counts, autoscaling, A/B variants, capture.

use governance::deployment::SavedDeploymentConfig;
use governance::Environment;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::error_alert::{aria_describedby, aria_invalid, autofocus, ErrorAlert};
use crate::server_fns::SaveDeploymentConfig;

/// The saved configs, and the form when this person may edit one.
#[component]
pub fn DeploymentConfigSection(
    version_id: String,
    saved: Vec<SavedDeploymentConfig>,
    /// Environments this person may save now, or why not.
    editable: Result<Vec<Environment>, String>,
    action: ServerAction<SaveDeploymentConfig>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let last_error = action.value().get_untracked().and_then(|r| r.err());
    // What to show in a field: what was just typed (after a refusal), else the saved value, else a default.
    let value = |field: &str, saved: Option<String>, default: &str| {
        last_error.as_ref().and_then(|e| e.submitted(field)).or(saved).unwrap_or_else(|| default.to_string())
    };
    let field = |label: &'static str, name: &'static str, v: String| {
        view! {
            <label class="block">
                <span class="block text-sm font-medium">{label}</span>
                <input
                    name=name
                    value=v
                    aria-invalid=move || aria_invalid(&error.get(), name)
                    aria-describedby=move || aria_describedby(&error.get(), name)
                    autofocus=autofocus(&last_error, name)
                    class="mt-1 w-full rounded border border-slate-300 px-2 py-1"
                />
            </label>
        }
    };
    let table = if saved.is_empty() {
        view! { <p class="text-slate-600">"No deployment config saved yet."</p> }.into_any()
    } else {
        view! {
            <table class="text-sm">
                <thead>
                    <tr class="text-left">
                        <th class="pr-4">"Environment"</th>
                        <th class="pr-4">"Instance type"</th>
                        <th class="pr-4">"Count"</th>
                        <th class="pr-4">"Autoscaling"</th>
                        <th class="pr-4">"Variants"</th>
                        <th class="pr-4">"Data capture"</th>
                        <th class="pr-4">"Saved by"</th>
                        <th>"Committed"</th>
                    </tr>
                </thead>
                <tbody>
                    {saved
                        .iter()
                        .map(|s| {
                            let variants = s
                                .config
                                .variants
                                .iter()
                                .map(|v| format!("{}:{}", v.name, v.weight))
                                .collect::<Vec<_>>()
                                .join(", ");
                            view! {
                                <tr>
                                    <td class="pr-4">{s.environment.as_str()}</td>
                                    <td class="pr-4">{s.config.instance_type.clone()}</td>
                                    <td class="pr-4">{s.config.initial_instance_count}</td>
                                    <td class="pr-4">{format!("{}-{}", s.config.autoscaling_min, s.config.autoscaling_max)}</td>
                                    <td class="pr-4">{variants}</td>
                                    <td class="pr-4">{format!("{}%", s.config.data_capture_percent)}</td>
                                    <td class="pr-4">{s.saved_by.to_string()}</td>
                                    <td class="font-mono text-xs">
                                        {match &s.commit {
                                            Some(c) => format!("{} {} @ {}", c.repository, c.path, c.commit.get(..12).unwrap_or(&c.commit)),
                                            None => "no deploy repository".to_string(),
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let form = match editable {
        Err(reason) => view! { <p class="text-sm text-slate-600 mt-2">{reason}</p> }.into_any(),
        Ok(environments) => {
            // The environment the form is for: the one just refused (its typed values come back), else the one
            // saved last (so saving the Test config leaves the form on Test), else the first one open.
            let newest = saved.iter().filter(|s| environments.contains(&s.environment)).max_by_key(|s| s.saved_at);
            let fallback = newest.map(|s| s.environment).or(environments.first().copied()).unwrap_or(Environment::Test);
            let env_value = value("environment", None, fallback.as_str());
            // The fields show the saved config of that environment, not of whichever was saved first.
            let c = saved.iter().find(|s| s.environment.as_str() == env_value).map(|s| &s.config);
            let variants =
                c.map(|c| c.variants.iter().map(|v| format!("{}:{}", v.name, v.weight)).collect::<Vec<_>>().join(", "));
            // Computed before the form: its children are a 'static closure.
            let fields = vec![
                field(
                    "Instance type",
                    "instance_type",
                    value("instance_type", c.map(|c| c.instance_type.clone()), "ml.m5.large"),
                ),
                field(
                    "Initial instance count",
                    "initial_instance_count",
                    value("initial_instance_count", c.map(|c| c.initial_instance_count.to_string()), "1"),
                ),
                field(
                    "Autoscaling min",
                    "autoscaling_min",
                    value("autoscaling_min", c.map(|c| c.autoscaling_min.to_string()), "1"),
                ),
                field(
                    "Autoscaling max",
                    "autoscaling_max",
                    value("autoscaling_max", c.map(|c| c.autoscaling_max.to_string()), "2"),
                ),
                field("Variants", "variants", value("variants", variants, "champion:100")),
                field(
                    "Data capture %",
                    "data_capture_percent",
                    value("data_capture_percent", c.map(|c| c.data_capture_percent.to_string()), "10"),
                ),
            ];
            view! {
                <ActionForm action=action attr:class="mt-4 grid grid-cols-2 gap-3 max-w-2xl">
                    <input type="hidden" name="version" value=version_id />
                    <label class="block">
                        <span class="block text-sm font-medium">"Environment"</span>
                        <select name="environment" class="mt-1 w-full rounded border border-slate-300 px-2 py-1">
                            {environments
                                .into_iter()
                                .map(|e| {
                                    let selected = e.as_str() == env_value;
                                    view! { <option value=e.as_str() selected=selected>{e.as_str()}</option> }
                                })
                                .collect_view()}
                        </select>
                    </label>
                    {fields}
                    <div class="col-span-2">
                        <ErrorAlert error=error />
                        <button type="submit" class="rounded bg-blue-700 px-4 py-2 text-white hover:bg-blue-800">
                            "Save deployment config"
                        </button>
                    </div>
                </ActionForm>
            }
            .into_any()
        }
    };
    view! { {table} {form} }
}
