//! A filter form's choice: a labelled select whose first option, "Any", filters nothing, with the current value
//! selected. Filter forms are plain GET forms, so they work with JavaScript off and every view is a link.

use leptos::prelude::*;

#[component]
pub fn FilterSelect(
    label: &'static str,
    name: &'static str,
    /// The value in the page's query ("" for any).
    current: String,
    /// (value, text) of each choice.
    options: Vec<(String, String)>,
) -> impl IntoView {
    // A value in the link that is no longer a choice (a crafted or an old link) stays visible and selected,
    // so the page never shows a filter other than the one it applied.
    let unknown = (!current.is_empty() && !options.iter().any(|(v, _)| *v == current)).then(|| current.clone());
    view! {
        <label class="block">
            <span class="block text-sm font-medium">{label}</span>
            <select name=name class="mt-1 max-w-xs rounded border border-slate-300 px-2 py-1">
                <option value="" selected=current.is_empty()>"Any"</option>
                {unknown.map(|v| { let text = v.clone(); view! { <option value=v selected=true>{text}</option> } })}
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
