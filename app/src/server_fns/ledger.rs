//! Events with their delivery state, and the audit log with its chain verification.

use governance::audit::AuditEntry;
use governance::ports::{AuditVerification, EventRecord, Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const LEDGER_PAGE_SIZE: u64 = 50;

#[server(prefix = "/fn", endpoint = "events")]
pub async fn events(offset: u64) -> Result<Page<EventRecord>, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::ports::Window;
    let actor = governance::Actor::Person(require_principal().await?);
    portal()?.service.events(&actor, None, Window::new(offset, LEDGER_PAGE_SIZE)).await.map_err(reply)
}

#[server(prefix = "/fn", endpoint = "event")]
pub async fn event(id: String) -> Result<EventRecord, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    portal()?.service.event(&actor, &governance::EventId(id)).await.map_err(reply)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Page<AuditEntry>,
    pub verification: AuditVerification,
    /// Registry groups no project owns (SageMaker): outside governance, listed so someone looks.
    pub unmanaged: Vec<governance::model::UnmanagedGroup>,
}

#[server(prefix = "/fn", endpoint = "audit")]
pub async fn audit(offset: u64) -> Result<AuditPage, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::ports::Window;
    let actor = governance::Actor::Person(require_principal().await?);
    let service = portal()?.service;
    let (entries, verification) = service.audit(&actor, Window::new(offset, LEDGER_PAGE_SIZE)).await.map_err(reply)?;
    let unmanaged = service.unmanaged_groups(&actor).await.map_err(reply)?;
    Ok(AuditPage { entries, verification, unmanaged })
}

/// Puts a delivery back in the queue (Admins).
#[server(prefix = "/fn", endpoint = "redeliver")]
pub async fn redeliver(event: String, target: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    portal()?
        .service
        .redeliver(&governance::Actor::Person(principal), &governance::EventId(event), &target)
        .await
        .map_err(reply)
}
