//! The Leptos UI of the governance portal: the shell, the routes, the pages and their components, and the
//! server functions behind them.

pub mod components;
pub mod error;
pub mod format;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::components::layout::Layout;
use crate::pages::{
    audit::AuditPage,
    catalog::CatalogPage,
    compare::ComparePage,
    event::EventPage,
    events::EventsPage,
    inbox::InboxPage,
    no_access::NoAccessPage,
    not_found::NotFound,
    notifications::NotificationsPage,
    projects::{NewProjectPage, ProjectPage, ProjectsPage},
    registry::RegistryPage,
    sign_in::SignInPage,
    templates::{NewTemplatePage, TemplatePage, TemplatesPage},
    version::VersionPage,
};

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::announce_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="data:," />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-50 text-slate-900">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every route waits for its data before sending HTML, so pages are whole with JavaScript off.
    let ssr = SsrMode::Async;
    view! {
        <Stylesheet id="leptos" href="/pkg/portal.css" />
        <Title text="Governance portal" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=StaticSegment("sign-in") view=SignInPage ssr=ssr.clone() />
                <Route path=StaticSegment("no-access") view=NoAccessPage ssr=ssr.clone() />
                <Route path=StaticSegment("") view=|| view! { <Layout><RegistryPage /></Layout> } ssr=ssr.clone() />
                <Route path=StaticSegment("inbox") view=|| view! { <Layout><InboxPage /></Layout> } ssr=ssr.clone() />
                <Route
                    path=(StaticSegment("versions"), ParamSegment("id"))
                    view=|| view! { <Layout><VersionPage /></Layout> }
                    ssr=ssr.clone()
                />
                <Route path=StaticSegment("events") view=|| view! { <Layout><EventsPage /></Layout> } ssr=ssr.clone() />
                <Route
                    path=(StaticSegment("events"), ParamSegment("id"))
                    view=|| view! { <Layout><EventPage /></Layout> }
                    ssr=ssr.clone()
                />
                <Route path=StaticSegment("compare") view=|| view! { <Layout><ComparePage /></Layout> } ssr=ssr.clone() />
                <Route path=StaticSegment("templates") view=|| view! { <Layout><TemplatesPage /></Layout> } ssr=ssr.clone() />
                <Route path=(StaticSegment("templates"), StaticSegment("new")) view=|| view! { <Layout><NewTemplatePage /></Layout> } ssr=ssr.clone() />
                <Route path=(StaticSegment("templates"), ParamSegment("id")) view=|| view! { <Layout><TemplatePage /></Layout> } ssr=ssr.clone() />
                <Route path=StaticSegment("projects") view=|| view! { <Layout><ProjectsPage /></Layout> } ssr=ssr.clone() />
                <Route path=(StaticSegment("projects"), StaticSegment("new"), ParamSegment("template")) view=|| view! { <Layout><NewProjectPage /></Layout> } ssr=ssr.clone() />
                <Route path=(StaticSegment("projects"), ParamSegment("id")) view=|| view! { <Layout><ProjectPage /></Layout> } ssr=ssr.clone() />
                <Route path=StaticSegment("datasets") view=|| view! { <Layout><CatalogPage /></Layout> } ssr=ssr.clone() />
                <Route path=StaticSegment("notifications") view=|| view! { <Layout><NotificationsPage /></Layout> } ssr=ssr.clone() />
                <Route path=StaticSegment("audit") view=|| view! { <Layout><AuditPage /></Layout> } ssr=ssr />
            </Routes>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
