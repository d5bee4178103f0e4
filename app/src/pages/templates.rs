//! Templates: the list (`/templates`), a new one (`/templates/new`) and a template's page
//! (`/templates/{id}`: versions, which projects use which, preview, editor, publish and deprecate).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_params_map;

use crate::components::error_alert::ErrorAlert;
use crate::components::template_editor::TemplateEditor;
use crate::pages::load_error;
use crate::server_fns::{template_page, templates, SaveTemplate, SetTemplateStatus};

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| templates());
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Templates"</h1>
        <p class="mb-4"><a class="text-blue-700 underline" href="/templates/new">"New template"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let list = match list.await {
                    Ok(l) => l,
                    Err(e) => return load_error(e),
                };
                view! {
                    <table class="w-full text-sm bg-white">
                        <thead><tr class="text-left border-b border-slate-200"><th class="p-2">"Template"</th><th class="p-2">"Kind"</th><th class="p-2">"Newest version"</th><th class="p-2">"Status"</th><th class="p-2">"Owner"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|t| view! {
                                <tr class="border-b border-slate-200">
                                    <td class="p-2"><a class="text-blue-700 underline" href=format!("/templates/{}", t.id)>{t.definition.name.clone()}</a></td>
                                    <td class="p-2">{t.definition.kind.clone()}</td>
                                    <td class="p-2">{t.version}</td>
                                    <td class="p-2">{t.status.as_str()}</td>
                                    <td class="p-2">{t.definition.owner.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn NewTemplatePage() -> impl IntoView {
    let save = ServerAction::<SaveTemplate>::new();
    view! {
        <h1 class="text-2xl font-semibold mb-4">"New template"</h1>
        <section aria-labelledby="definition-h">
            <h2 id="definition-h" class="text-lg font-semibold mb-2">"Definition: identity, policy, parameters and files"</h2>
            <TemplateEditor template=None action=save />
        </section>
    }
}

#[component]
pub fn TemplatePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let save = ServerAction::<SaveTemplate>::new();
    let status = ServerAction::<SetTemplateStatus>::new();
    let page =
        Resource::new(move || (id(), save.version().get(), status.version().get()), |(id, ..)| template_page(id));
    let status_error = Signal::derive(move || status.value().get().and_then(|r| r.err()));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Ok(p) => p,
                    Err(e) => return load_error(e),
                };
                let Some(newest) = p.versions.first().cloned() else { return load_error(crate::error::AppError::NotFound { what: "This template".into() }) };
                let versions = p.versions.iter().map(|t| {
                    let users: Vec<String> = p.usage.iter().filter(|(v, _)| *v == t.version).map(|(_, p)| p.to_string()).collect();
                    let button = match t.status {
                        governance::template::TemplateStatus::Draft => Some("Publish"),
                        governance::template::TemplateStatus::Published => Some("Deprecate"),
                        governance::template::TemplateStatus::Deprecated => None,
                    };
                    let (tid, version) = (t.id.to_string(), t.version.to_string());
                    view! {
                        <tr class="border-b border-slate-200">
                            <td class="p-2">{format!("Version {}", t.version)}</td>
                            <td class="p-2">{t.status.as_str()}</td>
                            <td class="p-2">{if users.is_empty() { "no projects".to_string() } else { users.join(", ") }}</td>
                            <td class="p-2">{button.map(|b| view! {
                                <ActionForm action=status>
                                    <input type="hidden" name="id" value=tid.clone() />
                                    <input type="hidden" name="version" value=version.clone() />
                                    <input type="hidden" name="to" value=b />
                                    <button type="submit" class="rounded bg-blue-700 px-3 py-1 text-white">{format!("{b} version {}", version)}</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view();
                let preview = match p.preview {
                    Ok(files) => files.into_iter().map(|f| view! {
                        <details class="mb-2"><summary class="cursor-pointer font-mono text-sm">{format!("{}/{}", f.repository.as_str(), f.path)}</summary>
                            <pre class="overflow-x-auto bg-slate-100 p-2 text-xs">{f.content}</pre></details>
                    }).collect_view().into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-800">{e}</p> }.into_any(),
                };
                view! {
                    <h1 class="text-2xl font-semibold mb-2">{newest.definition.name.clone()}</h1>
                    <p class="mb-4 text-slate-600">{format!("{} · owner {} · {}", newest.definition.kind, newest.definition.owner, newest.definition.description)}</p>
                    <p class="mb-4"><a class="text-blue-700 underline" href=format!("/projects/new/{}", newest.id)>"Create a project from this template"</a></p>
                    <section aria-labelledby="versions-h" class="mb-6 rounded border border-slate-200 bg-white p-4">
                        <h2 id="versions-h" class="text-lg font-semibold mb-2">"Versions and the projects using them"</h2>
                        <ErrorAlert error=status_error />
                        <table class="text-sm w-full"><tbody>{versions}</tbody></table>
                    </section>
                    <section aria-labelledby="preview-h" class="mb-6 rounded border border-slate-200 bg-white p-4">
                        <h2 id="preview-h" class="text-lg font-semibold mb-2">{format!("Preview of version {} with sample values", newest.version)}</h2>
                        {preview}
                    </section>
                    <section aria-labelledby="edit-h" class="mb-6">
                        <h2 id="edit-h" class="text-lg font-semibold mb-2">{if newest.status == governance::template::TemplateStatus::Draft { format!("Edit draft version {}", newest.version) } else { format!("Edit (saves version {} as a draft)", newest.version + 1) }}</h2>
                        <TemplateEditor template=Some(newest) action=save />
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
