//! The signed-in person's notification settings: where their digest goes, and which projects they muted.

use leptos::prelude::*;

use crate::error::AppError;

pub use governance::service::NotificationSettings;

#[server(prefix = "/fn", endpoint = "notification_page")]
pub async fn notification_page() -> Result<NotificationSettings, AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    portal()?.service.notification_settings(&principal).await.map_err(reply)
}

/// Mutes (`muted` = "true") or unmutes a project's mail for the signed-in person.
#[server(prefix = "/fn", endpoint = "set_muted")]
pub async fn set_muted(project: String, muted: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let muted = match muted.as_str() {
        "true" => true,
        "false" => false,
        other => {
            let e = governance::FieldError::new("muted", format!("must be true or false, not {other:?}"));
            return Err(reply(AppError::invalid(e, Default::default())));
        }
    };
    portal()?.service.set_muted(&principal, &project, muted).await.map_err(reply)
}
