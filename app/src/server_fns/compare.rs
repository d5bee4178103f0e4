//! Champion vs challenger: two versions side by side.

pub use governance::service::ComparisonView;
use leptos::prelude::*;

use crate::error::AppError;

/// Compares version `a` with `b`, or with its group's Prod version when `b` is empty.
#[server(prefix = "/fn", endpoint = "compare")]
pub async fn compare_versions(a: String, b: String) -> Result<ComparisonView, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::VersionId;
    let actor = governance::Actor::Person(require_principal().await?);
    let b = Some(b.trim()).filter(|b| !b.is_empty()).map(|b| VersionId(b.to_string()));
    portal()?.service.comparison(&actor, &VersionId(a), b.as_ref()).await.map_err(reply)
}
