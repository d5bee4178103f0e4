//! The frame of every signed-in page: a skip link, header, navigation, who is signed in, the development
//! banner.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server::{ServerAction, ServerActionError, SharedValue};
use leptos_router::components::A;

use crate::error::{FormFlash, FLASH_PARAM};
use crate::server_fns::{current_user, SignOut};

/// A refused plain form post's error, kept on the server for this page (`server/src/form_flash.rs`), handed to
/// the page's forms as Leptos's own round trip would (their actions start with it, typed text included). Shared
/// with the hydrating browser, so both render the same form; only while the address still names it.
fn provide_kept_form_error() {
    let kept = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        let kept = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<FormFlash>().cloned());
        #[cfg(not(feature = "ssr"))]
        let kept: Option<FormFlash> = None;
        kept
    })
    .into_inner();
    let named = leptos_router::hooks::use_query_map().with_untracked(|q| q.get(FLASH_PARAM));
    if let Some(kept) = kept.filter(|k| named.as_deref() == Some(k.id.as_str())) {
        provide_context(ServerActionError::new(&kept.path, &kept.error));
    }
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    provide_kept_form_error();
    let user = Resource::new(|| (), |_| current_user());
    let sign_out = ServerAction::<SignOut>::new();
    let main = NodeRef::<leptos::html::Main>::new();
    view! {
        <SkipLink target=main />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok();
                let development = user.as_ref().is_some_and(|u| u.development);
                let name = user.and_then(|u| u.principal).map(|p| p.display_name);
                view! {
                    <header class="bg-slate-900 text-white">
                        {development.then(|| view! {
                            <div class="bg-amber-100 text-amber-900 text-sm px-4 py-1 text-center">
                                "Development sign-in: demo users, not for production."
                            </div>
                        })}
                        <nav aria-label="Main" class="max-w-7xl mx-auto flex items-center gap-6 px-4 py-3">
                            <span class="font-semibold">"Governance portal"</span>
                            <A href="/" attr:class="hover:underline">"Registry"</A>
                            <A href="/inbox" attr:class="hover:underline">"Inbox"</A>
                            <A href="/projects" attr:class="hover:underline">"Projects"</A>
                            <A href="/templates" attr:class="hover:underline">"Templates"</A>
                            <A href="/datasets" attr:class="hover:underline">"Data catalog"</A>
                            <A href="/events" attr:class="hover:underline">"Events"</A>
                            <A href="/audit" attr:class="hover:underline">"Audit"</A>
                            <A href="/notifications" attr:class="ml-auto text-sm hover:underline">"Notifications"</A>
                            <span class="text-sm" data-testid="signed-in-as">{name}</span>
                            <ActionForm action=sign_out>
                                <button type="submit" class="text-sm rounded border border-slate-500 px-2 py-1 hover:bg-slate-700">
                                    "Sign out"
                                </button>
                            </ActionForm>
                        </nav>
                    </header>
                }
            })}
        </Suspense>
        <main node_ref=main id="content" tabindex="-1" class="max-w-7xl mx-auto px-4 py-6 focus:outline-none">{children()}</main>
    }
}

/// The first tab stop of a page: hidden until focused, it moves focus past the navigation to the content.
#[component]
fn SkipLink(target: NodeRef<leptos::html::Main>) -> impl IntoView {
    // Once hydrated, the router takes a same-page link and only scrolls: move the focus here instead. Without
    // JavaScript the browser follows the link, which focuses the target (it has tabindex -1).
    let skip = move |ev: leptos::ev::MouseEvent| {
        if let Some(main) = target.get_untracked() {
            ev.prevent_default();
            let _ = main.focus();
        }
    };
    view! {
        <a
            href="#content"
            on:click=skip
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-blue-800"
        >
            "Skip to content"
        </a>
    }
}
