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
            let id = match &e {
                AppError::Invalid { field, .. } => Some(alert_id(field)),
                _ => None,
            };
            view! {
                <p role="alert" id=id class="my-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">{text}</p>
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

/// The id of the alert that explains an error of `field`.
fn alert_id(field: &str) -> String {
    format!("error-{}", field.replace(|c: char| !c.is_ascii_alphanumeric(), "-"))
}

/// Whether the last submission's error names the form field `name` (`justification`, `form[members]`).
fn names(error: &Option<AppError>, name: &str) -> Option<String> {
    match error {
        Some(AppError::Invalid { field, .. }) if field == name || name == format!("form[{field}]") => {
            Some(alert_id(field))
        }
        _ => None,
    }
}

/// `aria-invalid` for a field: `true` when the last submission's error names it.
pub fn aria_invalid(error: &Option<AppError>, name: &str) -> Option<&'static str> {
    names(error, name).map(|_| "true")
}

/// `aria-describedby` for a field: the alert explaining its error, when there is one.
pub fn aria_describedby(error: &Option<AppError>, name: &str) -> Option<String> {
    names(error, name)
}

/// Whether the field gets the focus when the page comes back with its error (works without JavaScript).
pub fn autofocus(error: &Option<AppError>, name: &str) -> bool {
    names(error, name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_points_at_its_field_and_no_other() {
        let error = Some(AppError::Invalid {
            field: "members".into(),
            message: "line 1".into(),
            submitted: Default::default(),
        });
        assert_eq!(aria_invalid(&error, "form[members]"), Some("true"));
        assert_eq!(aria_describedby(&error, "form[members]").as_deref(), Some("error-members"));
        assert_eq!(aria_invalid(&error, "members"), Some("true"));
        assert_eq!(aria_invalid(&error, "form[name]"), None);
        assert!(!autofocus(&None, "form[members]"));
    }
}
