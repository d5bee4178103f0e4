//! Everything the version page shows, with what the signed-in person may do on it.

pub use governance::service::{ApprovalPanel, VersionView};
use leptos::prelude::*;

use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "version_page")]
pub async fn version_page(id: String, range: Option<String>) -> Result<VersionView, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::monitoring::TimeRange;
    let principal = require_principal().await?;
    let range = range.as_deref().and_then(TimeRange::parse).unwrap_or_default();
    portal()?.service.version_page(&principal, &governance::VersionId(id), range).await.map_err(reply)
}
