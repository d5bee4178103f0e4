//! The Production panel of a Prod version: its reviews (what breaches, since when, what was decided), and the
//! decisions a Governance Engineer takes on a version in Prod: acknowledge a review until a date, roll back to
//! an earlier Prod version, retire, re-certify a sign-off that is due. A button the person may not press is disabled with the rule's reason
//! beside it; the server decides anyway.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use governance::review::{Review, ReviewStatus, MAX_ACKNOWLEDGE_DAYS};
use governance::service::{ProductionPanel as Panel, RecertificationStatus};

use crate::components::error_alert::ErrorAlert;
use crate::components::text_area::textarea_text;
use crate::format::{number, time};
use crate::server_fns::{AcknowledgeReview, Recertify, Retire, RollBack};

/// The three actions of the panel, shared with the page so it reloads after each.
#[derive(Clone, Copy)]
pub struct ProductionActions {
    pub acknowledge: ServerAction<AcknowledgeReview>,
    pub roll_back: ServerAction<RollBack>,
    pub retire: ServerAction<Retire>,
    pub recertify: ServerAction<Recertify>,
}

impl ProductionActions {
    pub fn new() -> Self {
        Self {
            acknowledge: ServerAction::new(),
            roll_back: ServerAction::new(),
            retire: ServerAction::new(),
            recertify: ServerAction::new(),
        }
    }
}

impl Default for ProductionActions {
    fn default() -> Self {
        Self::new()
    }
}

fn justification(id: String, typed: Option<String>, placeholder: &'static str) -> impl IntoView {
    view! {
        <label class="block" for=id.clone()>
            <span class="block font-medium">"Justification"</span>
        </label>
        <textarea
            id=id
            name="justification"
            rows="2"
            maxlength="2000"
            class="mt-1 w-full rounded border border-slate-300 p-2"
            placeholder=placeholder
        >
            {typed.map(textarea_text)}
        </textarea>
    }
}

fn reason(id: String, allowed: &Result<String, String>, verb: &str) -> (bool, impl IntoView) {
    let (disabled, note) = match allowed {
        Ok(effect) => (false, format!("{verb} {effect}.")),
        Err(reason) => (true, reason.clone()),
    };
    (disabled, view! { <p id=id.clone() data-testid=id class="text-sm text-slate-700">{note}</p> })
}

#[component]
pub fn ProductionPanel(
    /// The Prod version.
    version_id: String,
    /// Its number, for the buttons' words.
    number: u32,
    panel: Panel,
    actions: ProductionActions,
) -> impl IntoView {
    let last = |e: Option<crate::error::AppError>| e.and_then(|e| e.submitted("justification"));
    let open = panel.reviews.iter().find(|r| r.status == ReviewStatus::Open).map(|r| r.id.to_string());
    let active = panel.reviews.iter().find(|r| r.status != ReviewStatus::Closed).map(|r| r.id.to_string());
    let reviews = if panel.reviews.is_empty() {
        view! { <p class="text-sm text-slate-600">"No review: no breach of this version's monitoring has lasted the project's window, and no re-certification is due."</p> }
            .into_any()
    } else {
        let ack = actions.acknowledge;
        let typed = last(ack.value().get_untracked().and_then(|r| r.err()));
        view! {
            <ul class="space-y-3" data-testid="reviews">
                {panel
                    .reviews
                    .iter()
                    .map(|r| review_item(r, &panel.acknowledge, ack, typed.clone()))
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let rollback_error = Signal::derive(move || actions.roll_back.value().get().and_then(|r| r.err()));
    let rollback_typed = last(actions.roll_back.value().get_untracked().and_then(|r| r.err()));
    let quorum = panel.quorum;
    let targets = panel
        .rollback_targets
        .clone()
        .into_iter()
        .map(|t| {
            let (version_id, active, rollback_typed) = (version_id.clone(), active.clone(), rollback_typed.clone());
            let n = t.version.number;
            let id = format!("rollback-{n}-reason");
            let (disabled, note) = reason(id.clone(), &t.allowed, &format!("Rolling back to v{n}"));
            let signed = (quorum > 1).then(|| {
                let who = if t.signed_by.is_empty() { "none yet".to_string() } else { t.signed_by.join(", ") };
                view! {
                    <p class="text-sm" data-testid=format!("rollback-{n}-quorum")>
                        {format!("Rollback sign-offs: {} of {quorum} ({who}).", t.signed_by.len())}
                    </p>
                }
            });
            view! {
                <ActionForm action=actions.roll_back attr:class="space-y-2 border-t border-slate-200 pt-2">
                    <input type="hidden" name="version" value=version_id />
                    <input type="hidden" name="to" value=t.version.id.to_string() />
                    <input type="hidden" name="evidence_digest" value=t.evidence_digest.clone() />
                    <input type="hidden" name="review" value=active.unwrap_or_default() />
                    <p class="text-sm">
                        <a class="text-blue-700 underline" href=format!("/versions/{}", t.version.id)>{t.version.label()}</a>
                        {format!(" · {} / {}", t.version.stage, t.version.status.label())}
                    </p>
                    {signed}
                    {(!disabled).then(|| justification(format!("rollback-{n}-justification"), rollback_typed, "Why Prod goes back to this version"))}
                    <button
                        type="submit"
                        disabled=disabled
                        aria-describedby=id
                        class="rounded px-4 py-2 text-white bg-amber-700 hover:bg-amber-800 disabled:bg-slate-400 disabled:cursor-not-allowed"
                    >
                        {format!("Roll back to v{n}")}
                    </button>
                    {note}
                </ActionForm>
            }
        })
        .collect_view();
    let retire_error = Signal::derive(move || actions.retire.value().get().and_then(|r| r.err()));
    let retire_typed = last(actions.retire.value().get_untracked().and_then(|r| r.err()));
    let (retire_disabled, retire_note) = reason("retire-reason".into(), &panel.retire, &format!("Retiring v{number}"));
    let in_prod = panel.retire.is_ok() || !panel.rollback_targets.is_empty();
    let recertification = panel.recertification.clone().map(|status| {
        recertification(status, version_id.clone(), panel.evidence_digest.clone(), quorum, actions.recertify)
    });
    view! {
        <div class="space-y-4">
            {recertification}
            <div>
                <h3 class="font-medium">"Reviews"</h3>
                {open.is_some().then(|| view! { <p class="text-sm text-red-900">"A review awaits a Governance Engineer's decision."</p> })}
                {reviews}
            </div>
            {in_prod.then(|| view! {
                <div data-testid="rollback">
                    <h3 class="font-medium">"Roll back"</h3>
                    {if panel.rollback_targets.is_empty() {
                        view! { <p class="text-sm text-slate-600">"No earlier version of this group reached Prod."</p> }.into_any()
                    } else {
                        view! { <ErrorAlert error=rollback_error /> {targets} }.into_any()
                    }}
                </div>
            })}
            <div data-testid="retire">
                <h3 class="font-medium">"Retire"</h3>
                <ActionForm action=actions.retire attr:class="space-y-2">
                    <input type="hidden" name="version" value=version_id.clone() />
                    <input type="hidden" name="evidence_digest" value=panel.evidence_digest.clone() />
                    <input type="hidden" name="review" value=active.clone().unwrap_or_default() />
                    {(!retire_disabled).then(|| justification("retire-justification".into(), retire_typed, "Why this version leaves Prod for good"))}
                    <ErrorAlert error=retire_error />
                    <button
                        type="submit"
                        disabled=retire_disabled
                        aria-describedby="retire-reason"
                        class="rounded px-4 py-2 text-white bg-red-700 hover:bg-red-800 disabled:bg-slate-400 disabled:cursor-not-allowed"
                    >
                        {format!("Retire v{number}")}
                    </button>
                    {retire_note}
                </ActionForm>
            </div>
        </div>
    }
}

/// The sign-off's re-certification: when it was signed off and runs out, and the re-certify form while its
/// review is open.
fn recertification(
    status: RecertificationStatus,
    version_id: String,
    evidence_digest: String,
    quorum: u8,
    action: ServerAction<Recertify>,
) -> impl IntoView {
    let s = &status.schedule;
    let overdue = status.overdue;
    let due = format!(
        "Signed off for Prod on {}; the sign-off holds until {}{}.",
        time(&s.signed_off_at),
        time(&s.due_at),
        if overdue { " and is overdue" } else { "" }
    );
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let typed = action.value().get_untracked().and_then(|r| r.err()).and_then(|e| e.submitted("justification"));
    let (disabled, note) = reason("recertify-reason".into(), &status.allowed, "Re-certifying");
    let signed = (status.review.is_some() && quorum > 1).then(|| {
        let who = if status.signed_by.is_empty() { "none yet".to_string() } else { status.signed_by.join(", ") };
        view! { <p class="text-sm" data-testid="recertify-quorum">{format!("Re-certifications: {} of {quorum} ({who}).", status.signed_by.len())}</p> }
    });
    let class = if overdue { "text-sm text-red-800 font-semibold" } else { "text-sm" };
    view! {
        <div data-testid="recertification">
            <h3 class="font-medium">"Re-certification"</h3>
            <p class=class data-testid="recertification-due">{due}</p>
            {signed}
            {status.review.is_some().then(|| view! {
                <ActionForm action=action attr:class="space-y-2">
                    <input type="hidden" name="version" value=version_id />
                    <input type="hidden" name="evidence_digest" value=evidence_digest />
                    {(!disabled).then(|| justification("recertify-justification".into(), typed, "What the current evidence shows (latest test run, monitoring over the period)"))}
                    <ErrorAlert error=error />
                    <button
                        type="submit"
                        disabled=disabled
                        aria-describedby="recertify-reason"
                        class="rounded px-4 py-2 text-white bg-blue-700 hover:bg-blue-800 disabled:bg-slate-400 disabled:cursor-not-allowed"
                    >
                        "Re-certify for Prod"
                    </button>
                    {note}
                </ActionForm>
            })}
        </div>
    }
}

/// One review: its breach, its decisions, and the acknowledgement form while it is open.
fn review_item(
    r: &Review,
    acknowledge: &Result<(), String>,
    action: ServerAction<AcknowledgeReview>,
    typed: Option<String>,
) -> impl IntoView {
    let status = match (r.status, r.acknowledged_until(), r.last_decision()) {
        (ReviewStatus::Open, ..) if r.reopened > 0 => "Open (re-opened: the acknowledgement ran out)".to_string(),
        (ReviewStatus::Open, ..) => "Open".to_string(),
        (ReviewStatus::Acknowledged, Some(until), _) => format!("Acknowledged until {}", time(&until)),
        (_, _, Some(d)) => format!("Closed: {}", d.outcome.label()),
        _ => r.status.as_str().to_string(),
    };
    let cleared = r.breach().and_then(|b| b.cleared_at).map(|at| {
        view! { <p class="text-sm text-green-900">{format!("Cleared by itself at {}: the latest point is under the threshold.", time(&at))}</p> }
    });
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    // A re-certification is decided in its own section (re-certify, or roll back, or retire).
    let form = (r.status == ReviewStatus::Open && r.breach().is_some()).then(|| match acknowledge {
        Ok(()) => {
            let id = r.id.to_string();
            view! {
                <ActionForm action=action attr:class="space-y-2 mt-2">
                    <input type="hidden" name="review" value=id.clone() />
                    {justification(format!("ack-{id}-justification"), typed.clone(), "Why the breach is acceptable for now")}
                    <label class="block text-sm" for=format!("ack-{id}-days")>
                        <span class="font-medium">"For how many days"</span>
                    </label>
                    <input
                        id=format!("ack-{id}-days")
                        type="number"
                        name="days"
                        min="1"
                        max=MAX_ACKNOWLEDGE_DAYS.to_string()
                        value="7"
                        class="w-24 rounded border border-slate-300 p-1"
                    />
                    <ErrorAlert error=error />
                    <button type="submit" class="rounded px-4 py-2 text-white bg-slate-700 hover:bg-slate-800">"Acknowledge"</button>
                </ActionForm>
            }
            .into_any()
        }
        Err(reason) => view! { <p class="text-sm text-slate-700">{reason.clone()}</p> }.into_any(),
    });
    view! {
        <li class="rounded border border-slate-200 p-2" data-testid="review">
            <p class="font-medium">{format!("{} · {status}", r.label())}</p>
            {r.breach().map(|b| view! {
                <p class="text-sm">
                    {format!(
                        "Over threshold {} since {} · worst {} · latest {} at {}",
                        number(b.threshold),
                        time(&b.since),
                        number(b.worst),
                        number(b.latest),
                        time(&b.latest_at)
                    )}
                    " · "<a class="text-blue-700 underline" href="#monitoring">"chart"</a>
                </p>
            })}
            {cleared}
            <ul class="text-sm list-disc ml-5">
                {r.decisions.iter().map(|d| view! {
                    <li>{format!("{} by {} at {}: ", d.outcome.label(), d.by_name, time(&d.at))}<q>{d.justification.clone()}</q></li>
                }).collect_view()}
            </ul>
            {form}
        </li>
    }
}
