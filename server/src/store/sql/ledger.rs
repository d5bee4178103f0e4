//! The audit log and the outbox of events with their delivery state per target.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::audit::{self, AuditEntry, AuditRecord, GENESIS};
use governance::events::EventEnvelope;
use governance::ports::{
    AuditFilter, AuditListing, AuditVerification, Delivery, DeliveryClaim, DeliveryState, Effects, EventFilter,
    EventRecord, Ledger, Page, StoreError, Window,
};
use governance::{EventId, Subject, VersionId};
use sqlx::Row;

use super::{dialect, from_json, parse_ts, ts, unavailable, Db, DbRow, Store};

fn delivery_from_row(row: &DbRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        event_id: EventId(row.get("event_id")),
        target: row.get("target"),
        state: match row.get::<&str, _>("state") {
            "Delivered" => DeliveryState::Delivered,
            "Dead" => DeliveryState::Dead,
            _ => DeliveryState::Pending,
        },
        attempts: row.get::<i64, _>("attempts") as u32,
        last_error: row.get("last_error"),
        next_attempt_at: parse_ts(row.get("next_attempt_at"))?,
        delivered_at: row.get::<Option<&str>, _>("delivered_at").map(parse_ts).transpose()?,
    })
}

fn audit_from_row(row: &DbRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: row.get::<i64, _>("seq") as u64,
        record: AuditRecord {
            at: parse_ts(row.get("at"))?,
            actor: Subject(row.get("actor")),
            action: row.get("action"),
            target: row.get("target"),
            detail: from_json(row.get::<&str, _>("detail"))?,
        },
        prev_hash: row.get("prev_hash"),
        hash: row.get("hash"),
    })
}

/// The conditions of `filter` on `events e`.
fn push_event_filter(qb: &mut sqlx::QueryBuilder<'_, Db>, filter: &EventFilter) {
    if let Some(version) = &filter.version {
        qb.push(" AND e.version = ").push_bind(version.as_str().to_string());
    }
    if let Some(detail_type) = &filter.detail_type {
        qb.push(" AND e.detail_type = ").push_bind(detail_type.clone());
    }
    if let Some(state) = filter.delivery {
        qb.push(" AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = ")
            .push_bind(state.as_str())
            .push(")");
    }
}

/// The conditions of `filter` on `audit_log a`.
fn push_audit_filter(qb: &mut sqlx::QueryBuilder<'_, Db>, filter: &AuditFilter) {
    if let Some(project) = &filter.project {
        // The project, and what of it an entry can be about: its versions in either registry (the embedded
        // store's table, the SageMaker index), their deployment requests, its dataset subscriptions.
        let p = project.as_str().to_string();
        qb.push(" AND (a.target = ").push_bind(p.clone());
        qb.push(" OR a.target IN (SELECT id FROM model_versions WHERE project = ").push_bind(p.clone());
        qb.push(") OR a.target IN (SELECT id FROM registry_index WHERE project = ").push_bind(p.clone());
        qb.push(") OR a.target IN (SELECT r.id FROM deployment_requests r JOIN model_versions v ON v.id = r.version WHERE v.project = ")
            .push_bind(p.clone());
        qb.push(") OR a.target IN (SELECT r.id FROM deployment_requests r JOIN registry_index v ON v.id = r.version WHERE v.project = ")
            .push_bind(p.clone());
        qb.push(") OR a.target IN (SELECT id FROM subscriptions WHERE project = ").push_bind(p).push("))");
    }
    if let Some(person) = &filter.person {
        qb.push(" AND a.actor = ").push_bind(person.0.clone());
    }
    if let Some(action) = &filter.action {
        // The action itself or its family: `decision` is every `decision.*`. LIKE's wildcards in the name
        // are escaped, so `deployment_config` does not also match `deploymentXconfig`.
        let family = format!("{}.%", action.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        qb.push(" AND (a.action = ").push_bind(action.clone());
        qb.push(" OR a.action LIKE ").push_bind(family).push(" ESCAPE '\\')");
    }
    if let Some(from) = filter.from {
        qb.push(" AND a.at >= ").push_bind(ts(from));
    }
    if let Some(until) = filter.until {
        qb.push(" AND a.at < ").push_bind(ts(until));
    }
    if let Some(seq) = filter.up_to_seq {
        qb.push(" AND a.seq <= ").push_bind(seq as i64);
    }
}

impl Store {
    async fn with_deliveries(&self, rows: Vec<DbRow>) -> Result<Vec<EventRecord>, StoreError> {
        let mut records = rows
            .iter()
            .map(|row| {
                Ok(EventRecord { envelope: from_json::<EventEnvelope>(row.get("envelope"))?, deliveries: vec![] })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        if records.is_empty() {
            return Ok(records);
        }
        // One query for the deliveries of the whole page.
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT * FROM deliveries WHERE event_id IN (");
        let mut sep = qb.separated(", ");
        for r in &records {
            sep.push_bind(r.envelope.id.as_str().to_string());
        }
        qb.push(") ORDER BY target");
        let deliveries = qb.build().fetch_all(&self.pool).await.map_err(unavailable)?;
        for row in &deliveries {
            let d = delivery_from_row(row)?;
            if let Some(r) = records.iter_mut().find(|r| r.envelope.id == d.event_id) {
                r.deliveries.push(d);
            }
        }
        Ok(records)
    }
}

#[async_trait]
impl Ledger for Store {
    async fn event_log(&self, filter: &EventFilter, window: Window) -> Result<Page<EventRecord>, StoreError> {
        // Only the conditions given are written: `(? IS NULL OR version = ?)` would keep SQLite from using the
        // version index and scan every event of the portal for one version's page.
        let count = {
            let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) FROM events e WHERE 1 = 1");
            push_event_filter(&mut qb, filter);
            qb.build_query_scalar::<i64>().fetch_one(&self.pool).await.map_err(unavailable)?
        };
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT e.envelope FROM events e WHERE 1 = 1");
        push_event_filter(&mut qb, filter);
        qb.push(" ORDER BY e.seq DESC LIMIT ").push_bind(window.limit as i64);
        qb.push(" OFFSET ").push_bind(window.offset as i64);
        let rows = qb.build().fetch_all(&self.pool).await.map_err(unavailable)?;
        let items = self.with_deliveries(rows).await?;
        Ok(Page { items, total: count as u64, offset: window.offset, limit: window.limit })
    }

    async fn event(&self, id: &EventId) -> Result<Option<EventRecord>, StoreError> {
        let rows = sqlx::query("SELECT envelope FROM events WHERE id = $1")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(self.with_deliveries(rows).await?.into_iter().next())
    }

    async fn audit_log(&self, filter: &AuditFilter, window: Window) -> Result<Page<AuditListing>, StoreError> {
        let count = {
            let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) FROM audit_log a WHERE 1 = 1");
            push_audit_filter(&mut qb, filter);
            qb.build_query_scalar::<i64>().fetch_one(&self.pool).await.map_err(unavailable)?
        };
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            // The version a target names, from the embedded registry or the SageMaker index, by primary key.
            "SELECT a.*, p.display_name AS actor_name,
                    COALESCE(mv.group_name, ri.group_name) AS target_group,
                    COALESCE(mv.number, ri.number) AS target_number,
                    COALESCE(mv.registry, ri.registry) AS target_registry
             FROM audit_log a
             LEFT JOIN people p ON p.subject = a.actor
             LEFT JOIN model_versions mv ON mv.id = a.target
             LEFT JOIN registry_index ri ON ri.id = a.target
             WHERE 1 = 1",
        );
        push_audit_filter(&mut qb, filter);
        qb.push(" ORDER BY a.seq DESC LIMIT ").push_bind(window.limit as i64);
        qb.push(" OFFSET ").push_bind(window.offset as i64);
        let rows = qb.build().fetch_all(&self.pool).await.map_err(unavailable)?;
        let items = rows
            .iter()
            .map(|row| {
                let group: Option<String> = row.get("target_group");
                let number: Option<i64> = row.get("target_number");
                let central = row.get::<Option<&str>, _>("target_registry") == Some("central");
                let target_version = group.zip(number).map(|(g, n)| (g, n as u32, central));
                Ok(AuditListing { entry: audit_from_row(row)?, actor_name: row.get("actor_name"), target_version })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page { items, total: count as u64, offset: window.offset, limit: window.limit })
    }

    async fn audit_actors(&self, limit: u32) -> Result<Vec<(Subject, Option<String>)>, StoreError> {
        // DISTINCT over the actor index: one step per actor, not per entry.
        let rows = sqlx::query(
            "SELECT a.actor, p.display_name FROM (SELECT DISTINCT actor FROM audit_log) a
             LEFT JOIN people p ON p.subject = a.actor ORDER BY COALESCE(p.display_name, a.actor) LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows.iter().map(|row| (Subject(row.get("actor")), row.get("display_name"))).collect())
    }

    async fn audit_of(&self, targets: &[String]) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries = Vec::new();
        // One target at a time through the target index, merged into chain order.
        for target in targets {
            let rows = sqlx::query("SELECT * FROM audit_log WHERE target = $1 ORDER BY seq")
                .bind(target)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
            for row in &rows {
                entries.push(audit_from_row(row)?);
            }
        }
        entries.sort_by_key(|e| e.seq);
        entries.dedup_by_key(|e| e.seq);
        Ok(entries)
    }

    async fn append_audit(&self, record: AuditRecord) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin().await?;
        self.write_effects(&mut tx, Effects { events: vec![], audit: vec![record] }).await?;
        // The write holds the store's write lock until commit: the last entry is the one just written.
        let row = sqlx::query("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(unavailable)?;
        let entry = audit_from_row(&row)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(entry)
    }

    async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        // Walk the chain in pages so memory stays flat however long the log grows.
        let mut prev = GENESIS.to_string();
        let mut after = 0i64;
        let mut entries = 0u64;
        loop {
            let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000")
                .bind(after)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
            if rows.is_empty() {
                return Ok(AuditVerification { entries, broken: None });
            }
            let page = rows.iter().map(audit_from_row).collect::<Result<Vec<_>, _>>()?;
            for entry in &page {
                if entry.seq != entries + 1 {
                    return Ok(AuditVerification {
                        entries,
                        broken: Some(audit::ChainBreak { seq: entries + 1, reason: "the entry is missing".into() }),
                    });
                }
                entries += 1;
            }
            match audit::verify(&prev, &page) {
                Ok(last) => prev = last,
                Err(broken) => return Ok(AuditVerification { entries, broken: Some(broken) }),
            }
            after = page.last().map(|e| e.seq as i64).unwrap_or(after);
        }
    }

    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        claim: &DeliveryClaim,
        target: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(Delivery, EventEnvelope)>, StoreError> {
        // One statement claims: of replicas asking at once, each delivery goes to one (PostgreSQL skips rows
        // another claim has locked; SQLite has one writer). Per target, one version's events go in the order
        // they were made: an event waits while an earlier one of its version is still pending for that target
        // (each backs off on its own, so after an outage the later one would otherwise often go first), claimed
        // or not. A dead earlier event blocks nothing.
        let claimed = sqlx::query(&format!(
            "UPDATE deliveries SET claimed_by = $1, claimed_until = $2
             WHERE (event_id, target) IN (
                 SELECT d.event_id, d.target FROM deliveries d JOIN events e ON e.id = d.event_id
                 WHERE d.state = 'Pending' AND d.next_attempt_at <= $3 AND ($4 IS NULL OR d.target = $4)
                   AND (d.claimed_until IS NULL OR d.claimed_until <= $3 OR d.claimed_by = $1)
                   AND NOT EXISTS (
                       SELECT 1 FROM events e2 JOIN deliveries d2 ON d2.event_id = e2.id
                       WHERE e2.version = e.version AND e2.seq < e.seq AND d2.target = d.target
                         AND d2.state = 'Pending')
                 ORDER BY e.seq LIMIT $5{skip_locked})",
            skip_locked = dialect::SKIP_LOCKED,
        ))
        .bind(&claim.holder)
        .bind(ts(claim.until))
        .bind(ts(now))
        .bind(target)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if claimed.rows_affected() == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT d.*, e.envelope FROM deliveries d JOIN events e ON e.id = d.event_id
             WHERE d.claimed_by = $1 AND d.claimed_until = $2 AND d.state = 'Pending' AND ($3 IS NULL OR d.target = $3)
             ORDER BY e.seq",
        )
        .bind(&claim.holder)
        .bind(ts(claim.until))
        .bind(target)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(|row| Ok((delivery_from_row(row)?, from_json(row.get::<&str, _>("envelope"))?))).collect()
    }

    async fn extend_claims(&self, claim: &DeliveryClaim) -> Result<(), StoreError> {
        sqlx::query("UPDATE deliveries SET claimed_until = $1 WHERE claimed_by = $2 AND state = 'Pending'")
            .bind(ts(claim.until))
            .bind(&claim.holder)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn mark_delivered(&self, event: &EventId, target: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE deliveries SET state = 'Delivered', attempts = attempts + 1, delivered_at = $1, last_error = NULL,
                 claimed_by = NULL, claimed_until = NULL
             WHERE event_id = $2 AND target = $3",
        )
        .bind(ts(at))
        .bind(event.as_str())
        .bind(target)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        event: &EventId,
        target: &str,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let (state, next) = match next_attempt_at {
            Some(at) => ("Pending", Some(ts(at))),
            None => ("Dead", None),
        };
        sqlx::query(
            "UPDATE deliveries SET state = $1, attempts = attempts + 1, last_error = $2,
                 next_attempt_at = COALESCE($3, next_attempt_at), claimed_by = NULL, claimed_until = NULL
             WHERE event_id = $4 AND target = $5",
        )
        .bind(state)
        .bind(error)
        .bind(next)
        .bind(event.as_str())
        .bind(target)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn redeliver(&self, event: &EventId, target: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE deliveries SET state = 'Pending', next_attempt_at = $1, last_error = NULL, claimed_by = NULL,
                 claimed_until = NULL
             WHERE event_id = $2 AND target = $3",
        )
        .bind(ts(at))
        .bind(event.as_str())
        .bind(target)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("delivery of event {event} to {target}")));
        }
        Ok(())
    }

    async fn record_once(
        &self,
        key: &str,
        version: &VersionId,
        at: DateTime<Utc>,
        effects: Effects,
    ) -> Result<bool, StoreError> {
        // The same table remembers SageMaker's event ids: a key is taken once, with its effects.
        self.record_state_change(key, version, at, effects).await
    }
}
