//! The audit log and the events as the audit and events pages read them: filtered in the store, each audit
//! entry as a row a person reads, and the audit log exported whole (within a bound) for an auditor.

use serde::{Deserialize, Serialize};

use crate::audit_row::AuditRow;
use crate::authz::{authorize, Action};
use crate::error::FieldError;
use crate::ledger_filters::{AuditQuery, EventQuery};
use crate::ports::{AuditFilter, AuditVerification, EventRecord, Page, Window};
use crate::{Actor, Subject};

use super::{Service, ServiceError};

/// The most entries one export holds: past it, the export is refused and asks for a narrower filter (an
/// export is built in memory and handed over whole).
pub const AUDIT_EXPORT_LIMIT: u64 = 10_000;

/// The most people the audit page's person filter offers (past it, a subject can still be typed into a link).
const AUDIT_ACTORS_LISTED: u32 = 1_000;

/// What the audit page shows: the rows the filter matches, and whether the whole chain verifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    pub rows: Page<AuditRow>,
    pub verification: AuditVerification,
}

impl Service {
    /// The filter of `query`, with its project checked to exist (a misspelt project is an error, not an
    /// empty log).
    async fn audit_filter(&self, query: &AuditQuery) -> Result<AuditFilter, ServiceError> {
        let filter = query.parse()?;
        if let Some(project) = &filter.project {
            if self.ports.directory.project(project).await?.is_none() {
                return Err(FieldError::new("project", format!("names no project of the portal: {project}")).into());
            }
        }
        Ok(filter)
    }

    /// A page of the audit log's entries that match `query`, newest first, and the chain's verification
    /// (operations and auditors).
    pub async fn audit_log(&self, actor: &Actor, query: &AuditQuery, window: Window) -> Result<AuditLog, ServiceError> {
        authorize(actor, &Action::ReadAudit)?;
        let filter = self.audit_filter(query).await?;
        let rows = self.ports.ledger.audit_log(&filter, window).await?.map(AuditRow::from);
        Ok(AuditLog { rows, verification: self.ports.ledger.verify_audit().await? })
    }

    /// Every entry that matches `query`, newest first, as one export: at most [`AUDIT_EXPORT_LIMIT`].
    ///
    /// # Errors
    /// `Invalid` when more entries match than an export holds (naming how many), besides the filter's own.
    pub async fn audit_export(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditRow>, ServiceError> {
        authorize(actor, &Action::ReadAudit)?;
        let mut filter = self.audit_filter(query).await?;
        let first = self.ports.ledger.audit_log(&filter, Window::new(0, Window::MAX_LIMIT)).await?;
        if first.total > AUDIT_EXPORT_LIMIT {
            return Err(FieldError::new(
                "to",
                format!(
                    "{} entries match; an export holds at most {AUDIT_EXPORT_LIMIT}: narrow the filter (a project, a person, an action or a shorter time)",
                    first.total
                ),
            )
            .into());
        }
        // Later pages read back from the newest entry the first one saw: entries appended meanwhile neither
        // shift a page nor appear twice.
        filter.up_to_seq = first.items.first().map(|l| l.entry.seq);
        let mut full = first.items.len() as u64 == Window::MAX_LIMIT;
        let mut rows: Vec<AuditRow> = first.items.into_iter().map(AuditRow::from).collect();
        while full && (rows.len() as u64) < AUDIT_EXPORT_LIMIT {
            let page = self.ports.ledger.audit_log(&filter, Window::new(rows.len() as u64, Window::MAX_LIMIT)).await?;
            full = page.items.len() as u64 == Window::MAX_LIMIT;
            rows.extend(page.items.into_iter().map(AuditRow::from));
        }
        Ok(rows)
    }

    /// Who the audit page can be filtered by: everyone who appears in the log, named.
    pub async fn audit_actors(&self, actor: &Actor) -> Result<Vec<(Subject, String)>, ServiceError> {
        authorize(actor, &Action::ReadAudit)?;
        let actors = self.ports.ledger.audit_actors(AUDIT_ACTORS_LISTED).await?;
        Ok(actors
            .into_iter()
            .map(|(s, name)| {
                let name = name.unwrap_or_else(|| s.0.clone());
                (s, name)
            })
            .collect())
    }

    /// A page of the events that match `query`, newest first, with their delivery state (operations and
    /// auditors).
    pub async fn event_log(
        &self,
        actor: &Actor,
        query: &EventQuery,
        window: Window,
    ) -> Result<Page<EventRecord>, ServiceError> {
        authorize(actor, &Action::ReadAudit)?;
        Ok(self.ports.ledger.event_log(&query.parse()?, window).await?)
    }
}
