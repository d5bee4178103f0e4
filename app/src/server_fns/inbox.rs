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

#[server(prefix = "/fn", endpoint = "inbox")]
pub async fn inbox() -> Result<Vec<InboxRow>, AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let service = portal()?.service;
    let items = service.inbox(&principal).await.map_err(reply)?;
    let now = service.now();
    Ok(items
        .into_iter()
        .map(|i| InboxRow {
            waiting: crate::format::age(&i.version.registered_at, &now),
            stage: i.stage,
            version: i.version,
        })
        .collect())
}
