//! The gates of the awaited stage, each met or not, with a link to its evidence.

use governance::gates::Gate;
use leptos::prelude::*;

#[component]
pub fn Gates(gates: Vec<Gate>) -> impl IntoView {
    view! {
        <ul aria-label="Gates" class="my-3 space-y-1">
            {gates
                .into_iter()
                .map(|g| {
                    let (mark, class) = if g.met {
                        ("Met", "text-green-800")
                    } else {
                        ("Not met", "text-red-800")
                    };
                    view! {
                        <li class="flex gap-2">
                            <span class=format!("font-semibold w-16 shrink-0 {class}")>{mark}</span>
                            <span>
                                <a class="underline" href=g.evidence>{g.label}</a>
                                <span class="block text-sm text-slate-600">{g.detail}</span>
                            </span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
