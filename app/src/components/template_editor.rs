//! The admin's template editor: identity, policy, parameter rows and file rows, posted as one form.

use governance::template::{FieldKind, Template};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::error_alert::ErrorAlert;
use crate::components::live_check::{check_on_change, CheckStatus};
use crate::components::text_area::textarea_text;
use crate::server_fns::{thresholds_text, CheckTemplate, SaveTemplate};

const INPUT: &str = "mt-1 w-full rounded border border-slate-300 px-2 py-1";
/// Empty parameter and file rows offered below the filled ones (a new template needs a build/ and a deploy/
/// file). More appear after saving.
const EMPTY_ROWS: usize = 2;
/// How far back a refused submission's rows are looked for.
const MAX_ROWS: usize = 250;

/// The editor, filled from `template` (None: a new one), or from what was just typed when it was refused.
#[component]
pub fn TemplateEditor(
    /// The version being edited; None for a new template.
    template: Option<Template>,
    action: ServerAction<SaveTemplate>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let form = NodeRef::<leptos::html::Form>::new();
    let check = ServerAction::<CheckTemplate>::new();
    let last = action.value().get_untracked().and_then(|r| r.err());
    // Rows a refused submission had filled in, so none is lost when the form comes back with its error.
    let filled = |prefix: &str, key: &str| -> usize {
        (0..MAX_ROWS)
            .rev()
            .find(|i| {
                last.as_ref()
                    .and_then(|e| e.submitted(&format!("{prefix}{i}_{key}")))
                    .is_some_and(|v| !v.trim().is_empty())
            })
            .map_or(0, |i| i + 1)
    };
    let (filled_params, filled_files) = (filled("p", "name"), filled("f", "path"));
    let value = move |field: &str, saved: String| {
        last.as_ref()
            .and_then(|e| e.submitted(&format!("form[{field}]")).or_else(|| e.submitted(field)))
            .unwrap_or(saved)
    };
    let d = template.as_ref().map(|t| t.definition.clone());
    let creating = template.is_none();
    let id = value("id", template.as_ref().map(|t| t.id.to_string()).unwrap_or_default());
    let text = |label: &'static str, name: &'static str, v: String| {
        view! {
            <label class="block">
                <span class="block text-sm font-medium">{label}</span>
                <input name=format!("form[{name}]") value=v class=INPUT />
            </label>
        }
    };
    let head = vec![
        text("Name", "name", value("name", d.as_ref().map(|d| d.name.clone()).unwrap_or_default())),
        text("Kind", "kind", value("kind", d.as_ref().map(|d| d.kind.clone()).unwrap_or_default())),
        text("Owner", "owner", value("owner", d.as_ref().map(|d| d.owner.clone()).unwrap_or_default())),
        text(
            "Description",
            "description",
            value("description", d.as_ref().map(|d| d.description.clone()).unwrap_or_default()),
        ),
        text(
            "Prod quorum",
            "prod_quorum",
            value("prod_quorum", d.as_ref().map(|d| d.policy.prod_quorum.to_string()).unwrap_or("1".into())),
        ),
        text(
            "Re-certify Prod sign-offs after (days; 0 = never)",
            "recertify_after_days",
            value(
                "recertify_after_days",
                d.as_ref().map(|d| d.policy.recertify_after_days.to_string()).unwrap_or("0".into()),
            ),
        ),
        text(
            "Open the re-certification review this many days before",
            "recertify_notice_days",
            value(
                "recertify_notice_days",
                d.as_ref().map(|d| d.policy.recertify_notice_days.to_string()).unwrap_or("14".into()),
            ),
        ),
        text(
            "Required test suites (comma separated)",
            "required_test_suites",
            value(
                "required_test_suites",
                d.as_ref().map(|d| d.policy.required_test_suites.join(", ")).unwrap_or_default(),
            ),
        ),
        text(
            "Lineage required for (Test, Prod: training data and training run)",
            "lineage_required",
            value(
                "lineage_required",
                d.as_ref()
                    .map(|d| d.policy.lineage_required.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
            ),
        ),
    ];
    let thresholds = value("thresholds", d.as_ref().map(|d| thresholds_text(&d.policy)).unwrap_or_default());
    let fields = d.as_ref().map(|d| d.fields.clone()).unwrap_or_default();
    // The saved (or submitted) rows, plus empty rows to add more (rows without a name are left out).
    let param_rows = (0..fields.len().max(filled_params) + EMPTY_ROWS)
        .map(|i| {
            let f = fields.get(i);
            let v = |attr: &str, saved: String| value(&format!("p{i}_{attr}"), saved);
            let kind = v("kind", f.map(|f| f.kind.as_str().to_string()).unwrap_or("Text".into()));
            let required = v("required", f.map(|f| if f.required { "on" } else { "" }.to_string()).unwrap_or_default()) == "on";
            let cell = |attr: &'static str, label: &'static str, val: String| {
                view! { <td class="p-1"><input aria-label=format!("Parameter {} {label}", i + 1) name=format!("form[p{i}_{attr}]") value=val class=INPUT /></td> }
            };
            view! {
                <tr>
                    {cell("name", "name", v("name", f.map(|f| f.name.clone()).unwrap_or_default()))}
                    {cell("label", "label", v("label", f.map(|f| f.label.clone()).unwrap_or_default()))}
                    <td class="p-1">
                        <select aria-label=format!("Parameter {} type", i + 1) name=format!("form[p{i}_kind]") class=INPUT>
                            {FieldKind::ALL.into_iter().map(|k| view! { <option value=k.as_str() selected=k.as_str() == kind>{k.label()}</option> }).collect_view()}
                        </select>
                    </td>
                    <td class="p-1 text-center"><input type="checkbox" aria-label=format!("Parameter {} required", i + 1) name=format!("form[p{i}_required]") checked=required /></td>
                    {cell("default", "default", v("default", f.map(|f| f.default.clone()).unwrap_or_default()))}
                    {cell("pattern", "pattern", v("pattern", f.map(|f| f.pattern.clone()).unwrap_or_default()))}
                    {cell("min", "minimum", v("min", f.and_then(|f| f.min).map(|m| m.to_string()).unwrap_or_default()))}
                    {cell("max", "maximum", v("max", f.and_then(|f| f.max).map(|m| m.to_string()).unwrap_or_default()))}
                    {cell("choices", "choices", v("choices", f.map(|f| f.choices.join(", ")).unwrap_or_default()))}
                    {cell("help", "help", v("help", f.map(|f| f.help.clone()).unwrap_or_default()))}
                </tr>
            }
        })
        .collect_view();
    let files = d.as_ref().map(|d| d.files.clone()).unwrap_or_default();
    let file_rows = (0..files.len().max(filled_files) + EMPTY_ROWS)
        .map(|i| {
            let f = files.get(i);
            let path = value(&format!("f{i}_path"), f.map(|f| f.path.clone()).unwrap_or_default());
            let content = value(&format!("f{i}_content"), f.map(|f| f.content.clone()).unwrap_or_default());
            view! {
                <div class="mb-3">
                    <input aria-label=format!("File {} path", i + 1) name=format!("form[f{i}_path]") value=path placeholder="build/… or deploy/…" class=INPUT />
                    <textarea aria-label=format!("File {} content", i + 1) name=format!("form[f{i}_content]") rows="6" class=format!("{INPUT} font-mono text-xs")>{textarea_text(content)}</textarea>
                </div>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=action node_ref=form on:change=check_on_change(form, check) attr:class="rounded border border-slate-200 bg-white p-4">
            <input type="hidden" name="creating" value=creating.to_string() />
            {if creating {
                view! { <label class="block"><span class="block text-sm font-medium">"Id (slug)"</span><input name="id" value=id class=INPUT /></label> }.into_any()
            } else {
                view! { <input type="hidden" name="id" value=id /> }.into_any()
            }}
            <div class="grid grid-cols-2 gap-3 mt-2">{head}</div>
            <label class="block mt-2">
                <span class="block text-sm font-medium">"Prod metric thresholds (one per line: metric >= number, metric <= number)"</span>
                <textarea name="form[thresholds]" rows="3" class=INPUT>{textarea_text(thresholds)}</textarea>
            </label>
            <h3 class="font-semibold mt-4">"Parameters"</h3>
            <div class="overflow-x-auto">
                <table class="text-sm">
                    <thead><tr class="text-left"><th>"Name"</th><th>"Label"</th><th>"Type"</th><th>"Required"</th><th>"Default"</th><th>"Pattern"</th><th>"Min"</th><th>"Max"</th><th>"Choices"</th><th>"Help"</th></tr></thead>
                    <tbody>{param_rows}</tbody>
                </table>
            </div>
            <h3 class="font-semibold mt-4">"Files (rendered with minijinja: project.id, project.name, params.<name>)"</h3>
            {file_rows}
            <CheckStatus check=check />
            <ErrorAlert error=error />
            <button type="submit" class="rounded bg-blue-700 px-4 py-2 text-white hover:bg-blue-800">"Save draft"</button>
        </ActionForm>
    }
}
