//! The model card: read-only for most, a form for the project's data scientists until the version reaches
//! Test.

use governance::model::ModelCard;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::error_alert::{aria_describedby, aria_invalid, autofocus, ErrorAlert};
use crate::components::text_area::textarea_text;
use crate::server_fns::SaveModelCard;

/// The card's sections: form field name and label.
const SECTIONS: [(&str, &str); 6] = [
    ("intended_use", "Intended use"),
    ("limitations", "Limitations"),
    ("risk_rating", "Risk rating"),
    ("training_data", "Training data"),
    ("evaluation", "Evaluation"),
    ("owner", "Owner"),
];

fn section(card: &ModelCard, name: &str) -> String {
    match name {
        "intended_use" => card.intended_use.clone(),
        "limitations" => card.limitations.clone(),
        "risk_rating" => card.risk_rating.clone(),
        "training_data" => card.training_data.clone(),
        "evaluation" => card.evaluation.clone(),
        _ => card.owner.clone(),
    }
}

#[component]
pub fn ModelCardSection(
    version_id: String,
    card: ModelCard,
    /// Whether this person may edit the card now, or why not.
    editable: Result<(), String>,
    action: ServerAction<SaveModelCard>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let last_error = action.value().get_untracked().and_then(|r| r.err());
    if let Err(reason) = editable {
        let rows = SECTIONS
            .iter()
            .map(|(name, label)| {
                let value = section(&card, name);
                view! {
                    <div class="flex gap-2">
                        <dt class="w-44 shrink-0 text-slate-600">{*label}</dt>
                        <dd class="whitespace-pre-wrap">{if value.is_empty() { "— missing".to_string() } else { value }}</dd>
                    </div>
                }
            })
            .collect_view();
        return view! {
            <dl class="text-sm space-y-1">{rows}</dl>
            <p class="text-sm text-slate-600 mt-2">{reason}</p>
        }
        .into_any();
    }
    // What was just typed (after a refusal) wins over the saved card.
    let fields = SECTIONS
        .iter()
        .map(|(name, label)| {
            let value = last_error.as_ref().and_then(|e| e.submitted(name)).unwrap_or_else(|| section(&card, name));
            let input = if *name == "risk_rating" {
                view! {
                    <select name=*name aria-invalid=move || aria_invalid(&error.get(), name) aria-describedby=move || aria_describedby(&error.get(), name) autofocus=autofocus(&last_error, name) class="mt-1 rounded border border-slate-300 px-2 py-1">
                        <option value="" selected=value.is_empty()>"Not rated"</option>
                        {ModelCard::RISK_RATINGS
                            .iter()
                            .map(|r| view! { <option value=*r selected=value == *r>{*r}</option> })
                            .collect_view()}
                    </select>
                }
                .into_any()
            } else {
                view! { <textarea name=*name aria-invalid=move || aria_invalid(&error.get(), name) aria-describedby=move || aria_describedby(&error.get(), name) autofocus=autofocus(&last_error, name) rows="2" class="mt-1 w-full rounded border border-slate-300 p-2">{textarea_text(value)}</textarea> }
                    .into_any()
            };
            view! {
                <label class="block">
                    <span class="block text-sm font-medium">{*label}</span>
                    {input}
                </label>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=action attr:class="space-y-2">
            <input type="hidden" name="version" value=version_id />
            {fields}
            <ErrorAlert error=error />
            <button type="submit" class="rounded bg-blue-700 px-4 py-2 text-white hover:bg-blue-800">"Save model card"</button>
        </ActionForm>
    }
    .into_any()
}
