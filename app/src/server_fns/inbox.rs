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
}

#[server(prefix = "/fn", endpoint = "inbox")]
pub async fn inbox() -> Result<Vec<InboxRow>, AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let items = portal().service.inbox(&principal).await.map_err(reply)?;
    Ok(items.into_iter().map(|i| InboxRow { stage: i.stage, version: i.version }).collect())
}
