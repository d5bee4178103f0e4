//! What awaits the signed-in person's decision.

use governance::model::ModelVersion;
use governance::Stage;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxRow {
    pub stage: Stage,
    pub version: ModelVersion,
    /// How long it has waited, worked out on the server so the page and its hydration agree.
    pub waiting: String,
}

/// The inbox with the revision it was drawn at (its live stream starts from it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxView {
    pub rows: Vec<InboxRow>,
    pub revision: String,
}

#[server(prefix = "/fn", endpoint = "inbox")]
pub async fn inbox() -> Result<InboxView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let service = portal()?.service;
    let items = service.inbox(&principal).await.map_err(reply)?;
    let now = service.now();
    let revision = governance::service::inbox_revision(&items);
    let rows = items
        .into_iter()
        .map(|i| InboxRow {
            waiting: crate::format::age(&i.version.registered_at, &now),
            stage: i.stage,
            version: i.version,
        })
        .collect();
    Ok(InboxView { rows, revision })
}
