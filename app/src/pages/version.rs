//! The version page, a review workspace: a header with the stage, the status and the awaited decision with
//! its gates at a glance; an in-page navigation (overview, evidence, tests, monitoring, lineage, history) that
//! is plain anchors, so it works with JavaScript off; the approval panel kept in view beside the sections. The
//! page follows its live updates (a central copy, a sign-off, a test run, a deployment status) and reloads its
//! data by itself, unless the person is typing.

use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::approval_panel::ApprovalPanel;
use crate::components::deployment_config_form::DeploymentConfigSection;
use crate::components::lineage::Lineage;
use crate::components::lineage_graph::{self, LineageGraph};
use crate::components::live::{Follow, LiveState, StaleNotice};
use crate::components::metrics_table::MetricsTable;
use crate::components::model_card::ModelCardSection;
use crate::components::monitoring::Monitoring;
use crate::components::production_panel::{ProductionActions, ProductionPanel};
use crate::components::stage_status::StageStatus;
use crate::components::test_runs::TestRuns;
use crate::components::timeline::Timeline;
use crate::components::training_run::TrainingRunSection;
use crate::format::time;
use crate::pages::load_error;
use crate::server_fns::{version_page, Decide, SaveDeploymentConfig, SaveModelCard};

/// The workspace's parts, in the order of the in-page navigation: (anchor, label).
const PARTS: [(&str, &str); 6] = [
    ("overview", "Overview"),
    ("evidence", "Evidence"),
    ("test-runs", "Tests"),
    ("monitoring", "Monitoring"),
    ("lineage", "Lineage"),
    ("history", "History"),
];

fn section(id: &'static str, title: &'static str, body: AnyView) -> impl IntoView {
    view! {
        // scroll-mt: a section reached by its anchor is not hidden under the sticky navigation.
        <section id=id aria-labelledby=format!("{id}-h") class="mb-6 scroll-mt-16 rounded border border-slate-200 bg-white p-4">
            <h2 id=format!("{id}-h") class="text-lg font-semibold mb-2">{title}</h2>
            {body}
        </section>
    }
}

#[component]
pub fn VersionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let range = move || query.get().get("range");
    let decide = ServerAction::<Decide>::new();
    let save = ServerAction::<SaveDeploymentConfig>::new();
    let save_card = ServerAction::<SaveModelCard>::new();
    let production = ProductionActions::new();
    // Reload after every decision or save, so the page shows the new state and the new evidence digest.
    let page = Resource::new(
        move || {
            let decided = (
                production.acknowledge.version().get(),
                production.roll_back.version().get(),
                production.retire.version().get(),
                production.recertify.version().get(),
            );
            (id(), range(), decide.version().get(), save.version().get(), save_card.version().get(), decided)
        },
        |(id, range, ..)| version_page(id, range),
    );
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
                let v = p.version.clone();
                let metrics = view! {
                    <MetricsTable version=v.clone() thresholds=p.policy.metric_thresholds.clone() latest_run=p.test_runs.first().cloned() />
                }
                .into_any();
                let deployments = p
                    .deployment_requests
                    .iter()
                    .map(|r| view! {
                        <li>{format!("{} deployment to endpoint {}: {} ({})", r.environment, r.endpoint_name, r.status.as_str(), time(&r.updated_at))}</li>
                    })
                    .collect_view();
                let monitoring =
                    view! { <Monitoring version_id=v.id.to_string() series=p.monitoring.clone() range=p.range /> }.into_any();
                let decisions = if p.decisions.is_empty() {
                    view! { <p class="text-slate-600">"No decision yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="text-sm space-y-2">
                            {p.decisions
                                .iter()
                                .rev()
                                .map(|d| {
                                    let quorum = d
                                        .quorum
                                        .filter(|(_, r)| *r > 1)
                                        .map(|(s, r)| format!(" (sign-off {s} of {r})"))
                                        .unwrap_or_default();
                                    view! {
                                        <li>
                                            <span class="font-medium">{format!("{} {} by {} ({}){quorum}", d.verdict.as_str(), d.stage, d.decided_by_name, d.persona)}</span>
                                            {format!(" at {}: ", time(&d.decided_at))}
                                            <q>{d.justification.clone()}</q>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                    .into_any()
                };
                let glance = glance(&p);
                let follow = format!("/live/versions/{}?since={}", crate::format::path_segment(v.id.as_str()), p.revision);
                let approval = match p.approval {
                    Some(panel) => view! { <ApprovalPanel version_id=v.id.to_string() panel=panel action=decide /> }.into_any(),
                    None => view! { <p>{format!("This version awaits no decision: it is {} / {} in the {}.", v.stage, v.status.label(), v.registry.label())}</p> }.into_any(),
                };
                view! {
                    <Follow url=follow on_change=changed />
                    <header class="mb-4">
                        <p class="text-sm text-slate-600">{format!("{} · {}", p.project_name, v.registry.label())}</p>
                        <h1 class="text-2xl font-semibold">{v.label()}</h1>
                        <p class="mt-1" data-testid="stage-status">
                            <StageStatus stage=v.stage status=v.status />
                        </p>
                        {glance}
                        {v.outside.map(|o| view! {
                            <p role="alert" class="mt-2 rounded border border-amber-300 bg-amber-50 px-3 py-2 text-amber-900">
                                <strong>"Changed outside the portal. "</strong>
                                {format!(
                                    "The {} says {} / {}; the portal's record says {} / {}. What was set outside counts for nothing: the next decision here writes its outcome back.",
                                    v.registry.label(),
                                    o.registry.0,
                                    o.registry.1.label(),
                                    o.recorded.0,
                                    o.recorded.1.label(),
                                )}
                            </p>
                        })}
                        <p class="text-sm text-slate-600 mt-1">
                            {format!("Registered by {} at {} · id {}", v.registered_by, time(&v.registered_at), v.id)}
                        </p>
                        {p.freshness.clone().map(|(read_at, index)| view! {
                            <p class="text-sm text-slate-600 mt-1" data-testid="index-freshness">
                                {freshness(&read_at, &index)}
                            </p>
                        })}
                        {(!v.description.is_empty()).then(|| view! { <p class="mt-2">{v.description.clone()}</p> })}
                        <div class="mt-2 flex flex-wrap items-center gap-x-6 gap-y-2 text-sm">
                            {p.champion.clone().map(|champion| view! {
                                <a class="text-blue-700 underline" href=format!("/compare?a={}&b={}", v.id, champion)>
                                    "Compare with the version in Prod"
                                </a>
                            })}
                            // An export is recorded in the audit log, so it is a POST; the file comes back as a download.
                            <form method="post" action=format!("/versions/{}/evidence-pack", v.id) class="flex flex-wrap items-center gap-2" data-testid="evidence-pack">
                                <label for="evidence-pack-format" class="font-medium">"Evidence pack"</label>
                                <select id="evidence-pack-format" name="format" class="rounded border border-slate-300 px-2 py-1">
                                    <option value="html">"Dossier (printable HTML, its JSON inside)"</option>
                                    <option value="json">"Bundle (JSON)"</option>
                                </select>
                                <button type="submit" class="rounded border border-slate-400 px-3 py-1 hover:bg-slate-100">"Export"</button>
                            </form>
                        </div>
                    </header>
                    <nav aria-label="Sections of this version" class="sticky top-0 z-10 -mx-2 mb-4 border-b border-slate-200 bg-slate-50/95 px-2 py-2" data-testid="workspace-nav">
                        <ul class="flex flex-wrap gap-x-4 gap-y-1 text-sm">
                            {PARTS.iter().map(|(anchor, label)| view! {
                                <li><a class="text-blue-700 underline" href=format!("#{anchor}")>{*label}</a></li>
                            }).collect_view()}
                            <li><a class="font-medium text-blue-700 underline" href="#approval">"Decide"</a></li>
                        </ul>
                    </nav>
                    <StaleNotice live reload />
                    // Typing anywhere on the page holds back the live reload (it would throw the text away).
                    <div class="grid gap-6 lg:grid-cols-3" on:input=move |_| live.editing.set(true)>
                        <div class="lg:col-span-2">
                            <div id="overview" class="scroll-mt-16">
                                {section("metrics", "Metrics", metrics)}
                                {section(
                                    "model-card",
                                    "Model card",
                                    view! {
                                        <ModelCardSection
                                            version_id=v.id.to_string()
                                            card=v.model_card.clone()
                                            editable=p.card_edit.clone()
                                            action=save_card
                                        />
                                    }
                                    .into_any(),
                                )}
                                {section(
                                    "deployment-config",
                                    "Deployment config",
                                    view! {
                                        <DeploymentConfigSection
                                            version_id=v.id.to_string()
                                            saved=p.deployment_configs.clone()
                                            editable=p.config_edit.clone()
                                            action=save
                                        />
                                        {(!p.deployment_requests.is_empty()).then(|| view! {
                                            <h3 class="font-medium mt-3">"Deployment requests"</h3>
                                            <ul class="text-sm">{deployments}</ul>
                                        })}
                                    }
                                    .into_any(),
                                )}
                            </div>
                            <div id="evidence" class="scroll-mt-16">
                                {section(
                                    "training-run",
                                    "Training run",
                                    view! { <TrainingRunSection run_id=v.lineage.mlflow_run_id.clone() run=p.training_run.clone() /> }.into_any(),
                                )}
                            </div>
                            {section("test-runs", "Integration test runs", view! { <TestRuns runs=p.test_runs.clone() thresholds=p.policy.metric_thresholds.clone() /> }.into_any())}
                            {section("monitoring", "Monitoring", monitoring)}
                            {section(
                                "lineage",
                                "Lineage",
                                view! {
                                    <LineageGraph nodes=lineage_graph::nodes(
                                        &v,
                                        p.related.as_ref(),
                                        &p.test_runs,
                                        &p.deployment_requests,
                                    ) />
                                    <Lineage version=v.clone() related=p.related.clone() />
                                }
                                .into_any(),
                            )}
                            <div id="history" class="scroll-mt-16">
                                {section("decisions", "Decisions", decisions)}
                                {section("timeline", "Timeline", view! { <Timeline entries=p.timeline.clone() /> }.into_any())}
                            </div>
                        </div>
                        // The approval panel stays in view while the sections scroll past it.
                        <div class="lg:sticky lg:top-14 lg:self-start lg:max-h-[calc(100vh-4rem)] lg:overflow-y-auto">
                            {section("approval", "Approval", approval)}
                            {p.production.clone().map(|panel| section(
                                "production",
                                "Production",
                                view! { <ProductionPanel version_id=v.id.to_string() number=v.number panel=panel actions=production /> }.into_any(),
                            ))}
                        </div>
                    </div>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// The awaited decision and its gates in one line: who decides, how many gates hold, which do not (each
/// linked to its evidence); or that the version awaits nothing.
fn glance(p: &crate::server_fns::VersionView) -> AnyView {
    let Some(panel) = &p.approval else {
        return view! {
            <p class="mt-2 text-sm" data-testid="awaiting">{"Awaits no decision."}</p>
        }
        .into_any();
    };
    let persona = governance::Persona::deciding(panel.stage);
    let met = panel.gates.iter().filter(|g| g.met).count();
    let unmet: Vec<_> = panel.gates.iter().filter(|g| !g.met).cloned().collect();
    let class = if unmet.is_empty() { "text-green-900" } else { "text-red-900" };
    view! {
        <p class="mt-2 text-sm" data-testid="awaiting">
            <span class="font-medium">{format!("Awaiting the {} decision of a {persona}", panel.stage)}</span>
            <span class=class>{format!(" · gates met: {met} of {}", panel.gates.len())}</span>
            {unmet.into_iter().map(|g| view! {
                " · "<a class="text-red-900 underline" href=g.evidence.clone()>{format!("{} not met", g.label)}</a>
            }).collect_view()}
            " · "<a class="text-blue-700 underline" href="#approval">"Decide"</a>
        </p>
    }
    .into_any()
}

/// Where this page's state comes from, on a registry read through the portal's index: the version is read live,
/// the lists it appears in are as current as the last reconciliation and the state-change events since.
fn freshness(read_at: &chrono::DateTime<chrono::Utc>, index: &governance::model::IndexFreshness) -> String {
    let lists = match &index.reconciled_at {
        Some(at) => format!("the registry's lists last agreed with {} in full at {}", index.registry, time(at)),
        None => format!("the registry's lists have not been reconciled with {} in full yet", index.registry),
    };
    format!(
        "Read live from {} at {}; {lists} (its state-change events update them in between).",
        index.registry,
        time(read_at)
    )
}
