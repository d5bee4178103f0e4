//! Shows an error a person can act on, announced to screen readers.

use leptos::prelude::*;

use crate::error::AppError;

/// The error of the last submission of a form, if any.
#[component]
pub fn ErrorAlert(
    /// The error to show; nothing is rendered when `None`.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = error_text(&e);
            view! {
                <p role="alert" class="my-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">{text}</p>
            }
        })
    }
}

/// An error as a sentence, naming the field unless the message already starts with it.
pub fn error_text(e: &AppError) -> String {
    match e {
        AppError::Invalid { field, message, .. } if !message.to_lowercase().starts_with(&field.replace('_', " ")) => {
            format!("{}: {message}", field.replace('_', " "))
        }
        other => other.to_string(),
    }
}
