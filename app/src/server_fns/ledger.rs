//! Events with their delivery state, and the audit log with its chain verification.

use governance::audit_row::AuditRow;
use governance::ledger_filters::{AuditQuery, EventQuery};
use governance::ports::{AuditVerification, EventRecord, Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const LEDGER_PAGE_SIZE: u64 = 50;

/// The events page: the events its filter matches, or what is wrong with the filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsPage {
    pub events: Option<Page<EventRecord>>,
    /// The filter's field that is malformed, and why (nothing is listed then).
    pub problem: Option<(String, String)>,
}

#[server(prefix = "/fn", endpoint = "events")]
pub async fn events(#[server(default)] query: EventQuery, offset: u64) -> Result<EventsPage, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::ports::Window;
    let actor = governance::Actor::Person(require_principal().await?);
    match portal()?.service.event_log(&actor, &query, Window::new(offset, LEDGER_PAGE_SIZE)).await {
        Ok(events) => Ok(EventsPage { events: Some(events), problem: None }),
        Err(governance::service::ServiceError::Invalid(f)) => {
            Ok(EventsPage { events: None, problem: Some((f.field, f.message)) })
        }
        Err(e) => Err(reply(e)),
    }
}

#[server(prefix = "/fn", endpoint = "event")]
pub async fn event(id: String) -> Result<EventRecord, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    portal()?.service.event(&actor, &governance::EventId(id)).await.map_err(reply)
}

/// The audit page: the rows its filter matches (or what is wrong with the filter), the chain's
/// verification, and the filter's choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Option<Page<AuditRow>>,
    pub verification: AuditVerification,
    /// The filter's field that is malformed, and why (nothing is listed then).
    pub problem: Option<(String, String)>,
    /// The projects to filter by: (id, name).
    pub projects: Vec<(String, String)>,
    /// Everyone in the log: (subject, name).
    pub people: Vec<(String, String)>,
    /// Registry groups no project owns (SageMaker): outside governance, listed so someone looks.
    pub unmanaged: Vec<governance::model::UnmanagedGroup>,
}

#[server(prefix = "/fn", endpoint = "audit")]
pub async fn audit(#[server(default)] query: AuditQuery, offset: u64) -> Result<AuditPage, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::ports::Window;
    use governance::service::ServiceError;
    let actor = governance::Actor::Person(require_principal().await?);
    let service = portal()?.service;
    let (rows, verification, problem) =
        match service.audit_log(&actor, &query, Window::new(offset, LEDGER_PAGE_SIZE)).await {
            Ok(log) => (Some(log.rows), log.verification, None),
            Err(ServiceError::Invalid(f)) => {
                // The chain's state is shown whatever the filter: it is about the whole log.
                let (_, verification) = service.audit(&actor, Window::new(0, 1)).await.map_err(reply)?;
                (None, verification, Some((f.field, f.message)))
            }
            Err(e) => return Err(reply(e)),
        };
    let projects = service.projects(&actor).await.map_err(reply)?.into_iter().map(|p| (p.id.0, p.name)).collect();
    let people = service.audit_actors(&actor).await.map_err(reply)?.into_iter().map(|(s, name)| (s.0, name)).collect();
    let unmanaged = service.unmanaged_groups(&actor).await.map_err(reply)?;
    Ok(AuditPage { rows, verification, problem, projects, people, unmanaged })
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
