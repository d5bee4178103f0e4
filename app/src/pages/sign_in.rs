//! Development sign-in: pick a demo user. Refused by the server when the settings say production.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::error_alert::ErrorAlert;
use crate::server_fns::{demo_people, SignIn};

#[component]
pub fn SignInPage() -> impl IntoView {
    let people = Resource::new(|| (), |_| demo_people());
    let sign_in = ServerAction::<SignIn>::new();
    let error = Signal::derive(move || sign_in.value().get().and_then(|r| r.err()));
    view! {
        <main class="max-w-3xl mx-auto p-8">
            <div role="banner" class="mb-4 rounded bg-amber-100 px-3 py-2 text-amber-900">
                "Development sign-in: choose a demo user. Production uses the organisation's identity provider."
            </div>
            <h1 class="text-2xl font-semibold mb-4">"Sign in"</h1>
            <ErrorAlert error=error />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let people = people.await.unwrap_or_default();
                    if people.is_empty() {
                        return view! { <p>"Development sign-in is off in production."</p> }.into_any();
                    }
                    view! {
                        <ul class="space-y-3">
                            {people
                                .into_iter()
                                .map(|p| {
                                    let roles = p
                                        .memberships
                                        .iter()
                                        .map(|(project, personas)| {
                                            format!(
                                                "{project}: {}",
                                                personas.iter().map(|x| x.label()).collect::<Vec<_>>().join(", ")
                                            )
                                        })
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
