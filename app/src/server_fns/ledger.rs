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
    use governance::service::ServiceError;
    require_principal().await?;
    portal()?
        .service
        .ledger
        .events(None, Window::new(offset, LEDGER_PAGE_SIZE))
        .await
        .map_err(|e| reply(ServiceError::from(e)))
}

#[server(prefix = "/fn", endpoint = "event")]
pub async fn event(id: String) -> Result<EventRecord, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::service::ServiceError;
    require_principal().await?;
    portal()?
        .service
        .ledger
        .event(&governance::EventId(id.clone()))
        .await
        .map_err(|e| reply(ServiceError::from(e)))?
        .ok_or_else(|| reply(AppError::NotFound { what: format!("Event {id}") }))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Page<AuditEntry>,
    pub verification: AuditVerification,
}

#[server(prefix = "/fn", endpoint = "audit")]
pub async fn audit(offset: u64) -> Result<AuditPage, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::ports::Window;
    use governance::service::ServiceError;
    require_principal().await?;
    let ledger = portal()?.service.ledger;
    let store = |e| reply(ServiceError::from(e));
    let entries = ledger.audit(Window::new(offset, LEDGER_PAGE_SIZE)).await.map_err(store)?;
    let verification = ledger.verify_audit().await.map_err(store)?;
    Ok(AuditPage { entries, verification })
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
