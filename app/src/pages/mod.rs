//! The pages, one per file.

pub mod audit;
pub mod catalog;
pub mod compare;
pub mod event;
pub mod events;
pub mod inbox;
pub mod no_access;
pub mod not_found;
pub mod notifications;
pub mod projects;
pub mod registry;
pub mod sign_in;
pub mod templates;
pub mod version;

use leptos::prelude::*;

use crate::error::AppError;

/// The body of a page whose data did not load: not found, refused, or a failure on our side.
pub fn load_error(e: AppError) -> AnyView {
    let (title, text) = match &e {
        AppError::NotFound { .. } => ("Not found", e.to_string()),
        AppError::Denied { .. } => ("Not allowed", e.to_string()),
        AppError::NotSignedIn => ("Sign in first", e.to_string()),
        _ => ("Could not load this page", e.to_string()),
    };
    view! {
        <h1 class="text-2xl font-semibold">{title}</h1>
        <p role="alert" class="mt-2">{text}</p>
    }
    .into_any()
}
