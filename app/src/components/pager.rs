//! Previous / next page links for a paginated list.

use leptos::prelude::*;

/// Links to the neighbouring pages; `href` builds the URL of a page from its offset.
#[component]
pub fn Pager(
    offset: u64,
    limit: u64,
    total: u64,
    href: impl Fn(u64) -> String + 'static,
    /// The navigation's name, unique on the page.
    #[prop(default = "Pagination")]
    label: &'static str,
    /// The total is an exact count however large (the ledgers count exactly; registry lists stop counting).
    #[prop(optional)]
    exact: bool,
) -> impl IntoView {
    // A total past the count's bound is a lower bound (a search): there may be more pages than it says.
    let bounded = !exact && total > governance::ports::COUNT_BOUND;
    let previous = (offset > 0).then(|| href(offset.saturating_sub(limit)));
    let next = (offset + limit < total || bounded).then(|| href(offset + limit));
    let last = if bounded { offset + limit } else { (offset + limit).min(total) };
    let of = if bounded {
        format!("more than {}", crate::format::count(governance::ports::COUNT_BOUND))
    } else {
        crate::format::count(total)
    };
    view! {
        <nav aria-label=label class="mt-4 flex items-center gap-4 text-sm">
            <span>{format!("{}-{last} of {of}", if total == 0 { 0 } else { offset + 1 })}</span>
            {previous.map(|h| view! { <a class="text-blue-700 underline" href=h>"Previous page"</a> })}
            {next.map(|h| view! { <a class="text-blue-700 underline" href=h>"Next page"</a> })}
        </nav>
    }
}
