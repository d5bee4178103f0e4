//! Where a person lands who signed in at the identity provider but holds no persona here: a clear
//! explanation, not an error.

use leptos::prelude::*;

#[component]
pub fn NoAccessPage() -> impl IntoView {
    view! {
        <main class="max-w-3xl mx-auto p-8">
            <h1 class="text-2xl font-semibold">"No access"</h1>
            <p class="mt-2">
                "You signed in with your organisation account, but none of your groups gives you a role in any "
                "project of this portal, so you were not signed in here."
            </p>
            <p class="mt-2">"Ask the portal's admins to add you to a group that is mapped to a project, then sign in again."</p>
            <p class="mt-4"><a class="text-blue-700 underline" href="/sign-in">"Back to sign-in"</a></p>
        </main>
    }
}
