//! Checks a form on the server while it is being filled in: whenever a field changes, the form's current
//! values go to a check server function that runs the same validation as submitting, and the first problem
//! (or that there is none) is announced politely beside the form. Without JavaScript nothing happens here and
//! the submission itself is checked, as always.

use leptos::form::FromFormData;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;

use crate::components::error_alert::error_text;
use crate::error::AppError;

/// The change handler for a form: reads the form's values into the check function's arguments and
/// dispatches the check.
pub fn check_on_change<S>(
    form: NodeRef<leptos::html::Form>,
    check: ServerAction<S>,
) -> impl Fn(leptos::ev::Event) + Clone + 'static
where
    S: ServerFn<Output = (), Error = AppError> + DeserializeOwned + Clone + Send + Sync + 'static,
{
    move |_| {
        let Some(form) = form.get_untracked() else { return };
        let Ok(data) = leptos::web_sys::FormData::new_with_form(&form) else { return };
        // A form that does not even parse into the arguments is left to the submission's own error.
        if let Ok(args) = S::from_form_data(&data) {
            check.dispatch(args);
        }
    }
}

/// What the last check found: nothing before the first change, then "no problems" or the first problem.
#[component]
pub fn CheckStatus<S>(check: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let text = move || match check.value().get() {
        None => String::new(),
        Some(Ok(())) => "Checked: no problems so far.".to_string(),
        Some(Err(e)) => format!("Check: {}", error_text(&e)),
    };
    let class = move || match check.value().get() {
        Some(Err(_)) => "my-2 text-sm text-red-800",
        _ => "my-2 text-sm text-slate-700",
    };
    view! { <p role="status" aria-live="polite" data-testid="live-check" class=class>{text}</p> }
}
