//! The version's timeline: what happened to it, newest first, with each event's delivery state.

use governance::timeline::{EntryKind, TimelineEntry};
use leptos::prelude::*;

use crate::format::time;

#[component]
pub fn Timeline(entries: Vec<TimelineEntry>) -> impl IntoView {
    view! {
        <ol class="text-sm space-y-2 border-l-2 border-slate-200 pl-4">
            {entries
                .into_iter()
                .map(|e| {
                    let (tag, class) = match e.kind {
                        EntryKind::Registered => ("Registry", "bg-slate-100 text-slate-800"),
                        EntryKind::Decision => ("Decision", "bg-blue-100 text-blue-900"),
                        EntryKind::TestRun => ("Test run", "bg-violet-100 text-violet-900"),
                        EntryKind::Deployment => ("Deployment", "bg-teal-100 text-teal-900"),
                        EntryKind::Alarm => ("Alarm", "bg-red-100 text-red-900"),
                        EntryKind::Event => ("Event", "bg-slate-100 text-slate-800"),
                    };
                    view! {
                        <li>
                            <span class=format!("mr-2 rounded px-1.5 py-0.5 text-xs font-medium {class}")>{tag}</span>
                            <span class="font-medium">{e.title}</span>
                            <span class="text-slate-600">{format!(" · {}", time(&e.at))}</span>
                            {(!e.detail.is_empty()).then(|| view! { <div class="text-slate-700">{e.detail}</div> })}
                            {e.event.map(|(id, states)| view! {
                                <div class="text-xs text-slate-600">
                                    <a class="text-blue-700 underline" href=format!("/events/{id}")>"event"</a>
                                    {format!(" — {}", states.join(", "))}
                                </div>
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
