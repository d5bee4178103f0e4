//! Sign-in: through the organisation's identity provider (OIDC) when configured, and development sign-in
//! (pick a demo user), which the server refuses when the settings say production.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_query_map;

use crate::components::error_alert::ErrorAlert;
use crate::server_fns::{current_user, demo_people, SignIn};

/// What a failed OIDC sign-in (`/sign-in?error=...`) tells the person; unknown codes say nothing.
pub fn sign_in_failure(code: &str) -> Option<&'static str> {
    Some(match code {
        "expired" => "Your sign-in took too long or was already used. Please sign in again.",
        "state" => "The answer from the identity provider did not belong to this sign-in. Please sign in again.",
        "refused" => "The identity provider refused the sign-in. Please sign in again.",
        "id_token" => "The identity provider's answer could not be verified, so you were not signed in.",
        "unavailable" => "The identity provider could not be reached. Try again in a moment.",
        _ => return None,
    })
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let people = Resource::new(|| (), |_| demo_people());
    let user = Resource::new(|| (), |_| current_user());
    let sign_in = ServerAction::<SignIn>::new();
    let error = Signal::derive(move || sign_in.value().get().and_then(|r| r.err()));
    let failure = move || use_query_map().with(|q| q.get("error")).as_deref().and_then(sign_in_failure);
    view! {
        <main class="max-w-3xl mx-auto p-8">
            <h1 class="text-2xl font-semibold mb-4">"Sign in"</h1>
            {move || failure().map(|text| view! { <p role="alert" class="mb-4 rounded bg-red-100 px-3 py-2 text-red-900">{text}</p> })}
            <ErrorAlert error=error />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let url = user.await.ok().and_then(|u| u.sign_in_url);
                    url.map(|url| view! {
                        <p class="mb-6">
                            <a href=url rel="external" class="inline-block rounded bg-blue-700 px-4 py-2 text-white hover:bg-blue-800">
                                "Sign in with your organisation account"
                            </a>
                        </p>
                    })
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let people = people.await.unwrap_or_default();
                    if people.is_empty() {
                        return ().into_any();
                    }
                    view! {
                        <div class="mb-4 rounded bg-amber-100 px-3 py-2 text-amber-900">
                            "Development sign-in: choose a demo user. Production uses the organisation's identity provider."
                        </div>
                        <ul class="space-y-3">
                            {people
                                .into_iter()
                                .map(|p| {
                                    let roles = p
                                        .admin
                                        .then(|| "Admin (organisation)".to_string())
                                        .into_iter()
                                        .chain(
                                            p.memberships
                                                .iter()
                                                .map(|(project, personas)| {
                                                    format!(
                                                        "{project}: {}",
                                                        personas
                                                            .iter()
                                                            .map(|x| x.label())
                                                            .collect::<Vec<_>>()
                                                            .join(", "),
                                                    )
                                                }),
                                        )
                                        .collect::<Vec<_>>()
                                        .join("; ");
                                    view! {
                                        <li class="rounded border border-slate-200 bg-white p-3">
                                            <ActionForm action=sign_in attr:class="flex items-center gap-4">
                                                <input type="hidden" name="subject" value=p.subject.to_string() />
                                                <button type="submit" class="rounded bg-blue-700 px-3 py-1 text-white hover:bg-blue-800">
                                                    {format!("Sign in as {}", p.display_name)}
                                                </button>
                                                <span class="text-sm text-slate-600">{roles}</span>
                                            </ActionForm>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                })}
            </Suspense>
        </main>
    }
}
