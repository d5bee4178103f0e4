//! Notifications: where my digest of what awaits me goes, and the projects whose mail I muted. The toggles
//! are forms (they work with JavaScript off).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::ServerAction;

use crate::components::error_alert::ErrorAlert;
use crate::pages::load_error;
use crate::server_fns::{notification_page, SetMuted};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let set = ServerAction::<SetMuted>::new();
    let settings = Resource::new(move || set.version().get(), |_| notification_page());
    let error = Signal::derive(move || set.value().get().and_then(|r| r.err()));
    view! {
        <h1 class="text-2xl font-semibold mb-4">"Notifications"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let s = match settings.await {
                    Ok(s) => s,
                    Err(e) => return load_error(e),
                };
                let address = match s.email {
                    Some(email) => format!("Digests of what awaits your decision go to {email}, at most one per interval."),
                    None => "Your identity provider gave no e-mail address: no digest is mailed to you.".to_string(),
                };
                view! {
                    <p class="mb-4" data-testid="digest-address">{address}</p>
                    <ErrorAlert error=error />
                    <table class="w-full text-sm bg-white" data-testid="mutes">
                        <thead>
                            <tr class="text-left border-b border-slate-200">
                                <th class="p-2">"Project"</th>
                                <th class="p-2">"Mail"</th>
                                <th class="p-2"></th>
                            </tr>
                        </thead>
                        <tbody>
                            {s.projects.into_iter().map(|(id, name, muted)| view! {
                                <tr class="border-b border-slate-200">
                                    <td class="p-2">{format!("{name} ({id})")}</td>
                                    <td class="p-2">{if muted { "muted" } else { "on" }}</td>
                                    <td class="p-2">
                                        <ActionForm action=set>
                                            <input type="hidden" name="project" value=id.to_string() />
                                            <input type="hidden" name="muted" value=if muted { "false" } else { "true" } />
                                            <button type="submit" class="rounded border border-slate-400 px-2 py-1">
                                                {if muted { format!("Unmute {id}") } else { format!("Mute {id}") }}
                                            </button>
                                        </ActionForm>
                                    </td>
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
