//! Projects made from templates: the list (`/projects`), a new one from a template (`/projects/new/{template}`,
//! the parameter form generated from the template) and a project's page (`/projects/{id}`: provisioning step by
//! step with Retry, repositories, dataset subscriptions, template upgrade with its diff).

use governance::provisioning::ProvisioningState;
use governance::template::FieldKind;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_params_map;

use crate::components::error_alert::{aria_describedby, aria_invalid, autofocus, ErrorAlert};
use crate::components::live::{Follow, LiveState, StaleNotice};
use crate::components::live_check::{check_on_change, CheckStatus};
use crate::components::text_area::textarea_text;
use crate::pages::load_error;
use crate::server_fns::{
    project_page, projects_page, published_template, CheckProject, CreateProject, DecideSubscription,
    RequestSubscription, RetryProvisioning, UpgradeProject,
};

const INPUT: &str = "mt-1 w-full rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded bg-blue-700 px-4 py-2 text-white hover:bg-blue-800";

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| projects_page());
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Projects"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Ok(p) => p,
                    Err(e) => return load_error(e),
                };
                let start = match p.create_refused {
                    Some(reason) => view! { <p class="mb-6 text-slate-700" data-testid="create-refused">{reason}</p> }.into_any(),
                    None => view! {
                        <ul class="mb-6 list-disc pl-6">
                            {p.templates.into_iter().map(|t| view! {
                                <li><a class="text-blue-700 underline" href=format!("/projects/new/{}", t.id)>{format!("{} (version {})", t.definition.name, t.version)}</a></li>
                            }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                };
                view! {
                    <h2 class="text-lg font-semibold">"Start a project from a template"</h2>
                    {start}
                    <table class="w-full text-sm bg-white">
                        <thead><tr class="text-left border-b border-slate-200"><th class="p-2">"Project"</th><th class="p-2">"Template"</th><th class="p-2">"Provisioning"</th></tr></thead>
                        <tbody>
                            {p.projects.into_iter().map(|s| view! {
                                <tr class="border-b border-slate-200">
                                    <td class="p-2"><a class="text-blue-700 underline" href=format!("/projects/{}", s.project.id)>{s.project.name.clone()}</a></td>
                                    <td class="p-2">{format!("{} v{}", s.template, s.template_version)}</td>
                                    <td class="p-2">{s.provisioning.state.as_str()}</td>
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
pub fn NewProjectPage() -> impl IntoView {
    let params = use_params_map();
    let template = move || params.get().get("template").unwrap_or_default();
    let create = ServerAction::<CreateProject>::new();
    let check = ServerAction::<CheckProject>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let page = Resource::new(template, published_template);
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let t = match page.await {
                    Ok(p) => match p.create_refused {
                        // The form is not offered to whom the server would refuse it.
                        Some(reason) => return view! {
                            <h1 class="text-2xl font-semibold mb-2">{format!("New project from {}", p.template.definition.name)}</h1>
                            <p class="text-slate-700" data-testid="create-refused">{reason}</p>
                        }
                        .into_any(),
                        None => p.template,
                    },
                    Err(e) => return load_error(e),
                };
                let last = create.value().get_untracked().and_then(|r| r.err());
                let value = move |k: &str, default: String| last.as_ref().and_then(|e| e.submitted(k)).unwrap_or(default);
                let text = |label: String, name: String, v: String, help: String| view! {
                    <label class="block">
                        <span class="block text-sm font-medium">{label}</span>
                        <input name=format!("form[{name}]") value=v class=INPUT />
                        {(!help.is_empty()).then(|| view! { <span class="text-xs text-slate-600">{help}</span> })}
                    </label>
                };
                let fields = t.definition.fields.iter().map(|f| {
                    let name = format!("param_{}", f.name);
                    let v = value(&name, f.default.clone());
                    let label = if f.required { format!("{} *", f.label) } else { f.label.clone() };
                    match f.kind {
                        FieldKind::Choice => view! {
                            <label class="block">
                                <span class="block text-sm font-medium">{label}</span>
                                <select name=format!("form[{name}]") class=INPUT>
                                    {f.choices.iter().map(|c| view! { <option value=c.clone() selected=*c == v>{c.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                        }.into_any(),
                        FieldKind::Boolean => view! {
                            <label class="block"><input type="checkbox" name=format!("form[{name}]") checked=v == "true" || v == "on" />" "{label}</label>
                        }.into_any(),
                        _ => text(label, name, v, f.help.clone()).into_any(),
                    }
                }).collect_view();
                let head = vec![
                    text("Project id (slug)".into(), "id".into(), value("id", String::new()), "Names the repositories: <id>-build, <id>-deploy.".into()),
                    text("Name".into(), "name".into(), value("name", String::new()), String::new()),
                    text("Description".into(), "description".into(), value("description", String::new()), String::new()),
                ];
                let members = value("members", String::new());
                let template_id = t.id.to_string();
                view! {
                    <h1 class="text-2xl font-semibold mb-2">{format!("New project from {} (version {})", t.definition.name, t.version)}</h1>
                    <ActionForm action=create node_ref=form on:change=check_on_change(form, check) on:submit=move |_| check.value().set(None) attr:class="rounded border border-slate-200 bg-white p-4 grid gap-3 max-w-2xl">
                        <input type="hidden" name="template" value=template_id />
                        {head}
                        <label class="block">
                            <span class="block text-sm font-medium">"Members (one per line: subject: Persona, Persona; you are a Data Scientist of it)"</span>
                            <textarea
                                name="form[members]"
                                aria-invalid=move || aria_invalid(&error.get(), "form[members]")
                                aria-describedby=move || aria_describedby(&error.get(), "form[members]")
                                autofocus=autofocus(&create.value().get_untracked().and_then(|r| r.err()), "form[members]")
                                rows="3"
                                class=INPUT
                            >
                                {textarea_text(members)}
                            </textarea>
                        </label>
                        <h2 class="font-semibold">"Parameters"</h2>
                        {fields}
                        <CheckStatus check=check />
                        <ErrorAlert error=error />
                        <button type="submit" class=BUTTON>"Create project"</button>
                    </ActionForm>
                }
                .into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let retry = ServerAction::<RetryProvisioning>::new();
    let upgrade = ServerAction::<UpgradeProject>::new();
    let request = ServerAction::<RequestSubscription>::new();
    let revoke = ServerAction::<DecideSubscription>::new();
    let page = Resource::new(
        move || (id(), retry.version().get(), upgrade.version().get(), request.version().get(), revoke.version().get()),
        |(id, ..)| project_page(id),
    );
    let errors = Signal::derive(move || {
        [
            retry.value().get().and_then(|r| r.err()),
            upgrade.value().get().and_then(|r| r.err()),
            revoke.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    let request_error = Signal::derive(move || request.value().get().and_then(|r| r.err()));
    // Provisioning steps and subscription decisions show up without a reload (unless the person is typing).
    let live = LiveState::new();
    let reload = Callback::new(move |()| page.refetch());
    let changed = Callback::new(move |()| live.changed(|| page.refetch()));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Ok(p) => p,
                    Err(e) => return load_error(e),
                };
                live.drawn();
                let follow = format!("/live/projects/{}?since={}", crate::format::path_segment(p.setup.project.id.as_str()), p.revision);
                let s = p.setup;
                let project = s.project.id.to_string();
                let state = s.provisioning.state;
                let steps = s.provisioning.steps.iter().map(|step| view! { <li>{step.clone()}</li> }).collect_view();
                let failure = s.provisioning.error.clone().map(|cause| {
                    let project = project.clone();
                    view! {
                        <p role="alert" class="my-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">{format!("Provisioning failed: {cause}")}</p>
                        <ActionForm action=retry>
                            <input type="hidden" name="project" value=project />
                            <button type="submit" class=BUTTON>"Retry provisioning"</button>
                        </ActionForm>
                    }
                });
                let repos = s.provisioning.repositories.iter().map(|r| view! {
                    <li><span class="font-semibold">{r.name.clone()}</span>": "<code class="text-xs">{format!("git clone {}", r.clone_url)}</code>{format!(" (commit {})", &r.commit[..r.commit.len().min(12)])}</li>
                }).collect_view();
                let subscriptions = p.subscriptions.iter().map(|sub| {
                    let revocable = sub.status == governance::catalog::SubscriptionStatus::Approved;
                    let id = sub.id.clone();
                    view! {
                        <tr class="border-b border-slate-200">
                            <td class="p-2">{sub.dataset.clone()}</td>
                            <td class="p-2">{sub.status.as_str()}</td>
                            <td class="p-2">{sub.justification.clone()}</td>
                            <td class="p-2">{sub.reason.clone()}</td>
                            <td class="p-2">{revocable.then(|| view! {
                                <ActionForm action=revoke>
                                    <input type="hidden" name="id" value=id.clone() />
                                    <input type="hidden" name="decision" value="Revoked" />
                                    <input name="reason" aria-label=format!("Reason to revoke {}", id) placeholder="Reason" class="rounded border border-slate-300 px-2 py-1" />
                                    <button type="submit" class="ml-2 rounded bg-slate-700 px-3 py-1 text-white">"Revoke"</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view();
                let dataset_options = p.datasets.iter().map(|d| view! { <option value=d.id.clone()>{format!("{} ({}, {})", d.name, d.classification.as_str(), d.location)}</option> }).collect_view();
                let upgrade_view = p.upgrade.map(|u| {
                    let project = project.clone();
                    view! {
                        <section aria-labelledby="upgrade-h" class="mb-6 rounded border border-slate-200 bg-white p-4">
                            <h2 id="upgrade-h" class="text-lg font-semibold mb-2">{format!("Upgrade from template version {} to {}", u.from_version, u.to_version)}</h2>
                            {u.diffs.into_iter().map(|(tree, diff)| view! {
                                <h3 class="font-semibold">{format!("{} repository", tree.as_str())}</h3>
                                <pre class="overflow-x-auto bg-slate-100 p-2 text-xs" aria-label=format!("Diff of the {} repository", tree.as_str())>{if diff.is_empty() { "No changes.".to_string() } else { diff }}</pre>
                            }).collect_view()}
                            <ActionForm action=upgrade>
                                <input type="hidden" name="project" value=project />
                                <input type="hidden" name="to_version" value=u.to_version.to_string() />
                                <button type="submit" class=BUTTON>{format!("Commit the upgrade on branch template-upgrade-v{}", u.to_version)}</button>
                            </ActionForm>
                        </section>
                    }
                });
                let upgrades = s.upgrades.iter().map(|u| view! { <li>{format!("Version {} proposed on branch {} by {}", u.to_version, u.branch, u.by)}</li> }).collect_view();
                let members = governance::provisioning::members_text(&s.members);
                let parameters = s.parameters.iter().map(|(k, v)| view! { <tr><th class="pr-4 text-left font-normal text-slate-600">{k.clone()}</th><td>{v.to_form()}</td></tr> }).collect_view();
                view! {
                    <Follow url=follow on_change=changed />
                    <StaleNotice live reload />
                    <div on:input=move |_| live.editing.set(true)>
                    <h1 class="text-2xl font-semibold mb-2">{s.project.name.clone()}</h1>
                    <p class="mb-4 text-slate-600">{format!("{} · from template {} version {} · created by {}", s.project.id, s.template, s.template_version, s.created_by)}</p>
                    <ErrorAlert error=errors />
                    <section aria-labelledby="prov-h" class="mb-6 rounded border border-slate-200 bg-white p-4">
                        <h2 id="prov-h" class="text-lg font-semibold mb-2">{format!("Provisioning: {}", state.as_str())}</h2>
                        <ol class="list-decimal pl-6">{steps}</ol>
                        {failure}
                        {(state == ProvisioningState::Succeeded || !s.provisioning.repositories.is_empty()).then(|| view! { <h3 class="font-semibold mt-2">"Repositories"</h3><ul>{repos}</ul> })}
                        {(!s.upgrades.is_empty()).then(|| view! { <h3 class="font-semibold mt-2">"Upgrades proposed"</h3><ul>{upgrades}</ul> })}
                    </section>
                    {upgrade_view}
                    <section aria-labelledby="data-h" class="mb-6 rounded border border-slate-200 bg-white p-4">
                        <h2 id="data-h" class="text-lg font-semibold mb-2">"Dataset subscriptions"</h2>
                        <table class="w-full text-sm"><thead><tr class="text-left"><th class="p-2">"Dataset"</th><th class="p-2">"Status"</th><th class="p-2">"Justification"</th><th class="p-2">"Producer's reason"</th><th></th></tr></thead>
                            <tbody>{subscriptions}</tbody></table>
                        <ActionForm action=request attr:class="mt-4 grid gap-2 max-w-xl">
                            <input type="hidden" name="project" value=project.clone() />
                            <label class="block"><span class="block text-sm font-medium">"Dataset"</span><select name="dataset" class=INPUT>{dataset_options}</select></label>
                            <label class="block"><span class="block text-sm font-medium">"Justification"</span><textarea name="justification" rows="2" class=INPUT></textarea></label>
                            <ErrorAlert error=request_error />
                            <button type="submit" class=BUTTON>"Request access"</button>
                        </ActionForm>
                    </section>
                    <section aria-labelledby="setup-h" class="mb-6 rounded border border-slate-200 bg-white p-4">
                        <h2 id="setup-h" class="text-lg font-semibold mb-2">"Parameters and members"</h2>
                        <table class="text-sm"><tbody>{parameters}</tbody></table>
                        <pre class="mt-2 text-sm">{members}</pre>
                    </section>
                    </div>
                }
                .into_any()
            })}
        </Suspense>
    }
}
