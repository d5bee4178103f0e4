//! The data catalog (`/datasets`): datasets with producer, classification, location and schema; registering
//! one; and, for producers, the subscription requests to decide.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_query_map;

use crate::components::dataset_requests::DatasetRequests;
use crate::components::error_alert::{aria_describedby, aria_invalid, ErrorAlert};
use crate::components::text_area::textarea_text;
use crate::pages::load_error;
use crate::server_fns::{catalog_page, DecideSubscription, RegisterDataset};

const INPUT: &str = "mt-1 w-full rounded border border-slate-300 px-2 py-1";

#[component]
pub fn CatalogPage() -> impl IntoView {
    let register = ServerAction::<RegisterDataset>::new();
    let query = use_query_map();
    let decide = ServerAction::<DecideSubscription>::new();
    let page = Resource::new(move || (register.version().get(), decide.version().get()), |_| catalog_page());
    let error = Signal::derive(move || register.value().get().and_then(|r| r.err()));
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Data catalog"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Ok(p) => p,
                    Err(e) => return load_error(e),
                };
                let last = register.value().get_untracked().and_then(|r| r.err());
                // `?edit=<id>` opens one of my datasets in the form.
                let editing = query.get_untracked().get("edit").and_then(|id| {
                    p.datasets.iter().find(|d| d.id.as_str() == id && d.producer == p.me).cloned()
                });
                let stored = editing.clone();
                let value = move |k: &str| {
                    last.as_ref().and_then(|e| e.submitted(k)).or_else(|| {
                        stored.as_ref().map(|d| match k {
                            "id" => d.id.to_string(),
                            "name" => d.name.clone(),
                            "description" => d.description.clone(),
                            "location" => d.location.clone(),
                            "classification" => d.classification.as_str().to_string(),
                            "schema" => d.schema.clone(),
                            _ => String::new(),
                        })
                    }).unwrap_or_default()
                };
                let text = |label: &'static str, name: &'static str, v: String| view! {
                    <label class="block"><span class="block text-sm font-medium">{label}</span><input name=format!("form[{name}]") value=v aria-invalid=move || aria_invalid(&error.get(), name) aria-describedby=move || aria_describedby(&error.get(), name) class=INPUT /></label>
                };
                let id_input = if editing.is_some() {
                    view! { <p class="text-sm">"Id: "<span class="font-mono">{value("id")}</span><input type="hidden" name="form[id]" value=value("id") /></p> }.into_any()
                } else {
                    text("Id (slug)", "id", value("id")).into_any()
                };
                let me = p.me.clone();
                let inputs = vec![
                    id_input,
                    text("Name", "name", value("name")).into_any(),
                    text("Description", "description", value("description")).into_any(),
                    text("Location (glue://db.table or s3://bucket/prefix/)", "location", value("location")).into_any(),
                ];
                let classification = value("classification");
                let schema = value("schema");
                view! {
                    <DatasetRequests requests=p.requests action=decide />
                    <table class="w-full text-sm bg-white mb-6">
                        <thead><tr class="text-left border-b border-slate-200"><th class="p-2">"Dataset"</th><th class="p-2">"Producer"</th><th class="p-2">"Classification"</th><th class="p-2">"Location"</th><th class="p-2">"Schema"</th></tr></thead>
                        <tbody>
                            {p.datasets.into_iter().map(|d| view! {
                                <tr class="border-b border-slate-200 align-top">
                                    <td class="p-2"><span class="font-semibold">{d.name.clone()}</span><br /><span class="text-slate-600">{d.description.clone()}</span></td>
                                    <td class="p-2">
                                        {d.producer.to_string()}
                                        {(d.producer == me).then(|| view! {
                                            " "<a class="text-blue-700 underline" href=format!("/datasets?edit={}#dataset-form", d.id) aria-label=format!("Edit {}", d.name)>"Edit"</a>
                                        })}
                                    </td>
                                    <td class="p-2">{d.classification.as_str()}</td>
                                    <td class="p-2 font-mono text-xs">{d.location.clone()}</td>
                                    <td class="p-2"><pre class="text-xs">{d.schema.clone()}</pre></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <h2 id="dataset-form" class="text-lg font-semibold">
                        {match &editing { Some(d) => format!("Edit {}", d.name), None => "Register a dataset you produce".to_string() }}
                    </h2>
                    <ActionForm action=register attr:class="rounded border border-slate-200 bg-white p-4 grid gap-3 max-w-2xl">
                        <input type="hidden" name="form[mode]" value=if editing.is_some() { "edit" } else { "new" } />
                        {inputs}
                        <label class="block"><span class="block text-sm font-medium">"Classification"</span>
                            <select name="form[classification]" class=INPUT>
                                {governance::catalog::Classification::ALL.into_iter().map(|c| view! { <option value=c.as_str() selected=c.as_str() == classification>{c.as_str()}</option> }).collect_view()}
                            </select>
                        </label>
                        <label class="block"><span class="block text-sm font-medium">"Schema (one 'column: type' per line)"</span><textarea name="form[schema]" aria-invalid=move || aria_invalid(&error.get(), "form[schema]") aria-describedby=move || aria_describedby(&error.get(), "form[schema]") rows="4" class=INPUT>{textarea_text(schema)}</textarea></label>
                        <ErrorAlert error=error />
                        <button type="submit" class="rounded bg-blue-700 px-4 py-2 text-white hover:bg-blue-800">
                            {if editing.is_some() { "Save dataset" } else { "Register dataset" }}
                        </button>
                    </ActionForm>
                }
                .into_any()
            })}
        </Suspense>
    }
}
