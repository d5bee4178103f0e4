//! The 404 page.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::respond_with(http::StatusCode::NOT_FOUND);
    view! {
        <main class="max-w-3xl mx-auto p-8">
            <h1 class="text-2xl font-semibold">"Not found"</h1>
            <p class="mt-2">"There is no page at this address." <a class="text-blue-700 underline" href="/">"Go to the registry"</a></p>
        </main>
    }
}
