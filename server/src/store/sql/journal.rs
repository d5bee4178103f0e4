//! The portal database's half of a registry that lives elsewhere (SageMaker): pending decisions with their
//! effects held back, committed decisions, the claims that make each central copy once, and version details.
//! Each method is one transaction whose first statement is a write (see the module above).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::audit::AuditRecord;
use governance::decision::Decision;
use governance::ports::{
    CopyClaim, Effects, PackageKey, Page, PendingDecision, RegistryJournal, StoreError, VersionDetails, Window,
};
use governance::{DecisionId, ProjectId, Subject, VersionId};

use sqlx::Row;

use super::{from_json, to_json, ts, unavailable, Db, DbRow, Store};

/// Who the audit log names for what the journal does on its own (a decision the registry never took).
const JOURNAL_ACTOR: &str = "portal:registry-journal";

/// Takes a pending decision out of the table in `tx`; `None` when it is no longer pending.
async fn take_pending(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: &DecisionId,
) -> Result<Option<PendingDecision>, StoreError> {
    let row: Option<String> =
        sqlx::query_scalar("DELETE FROM journal_pending_decisions WHERE id = $1 RETURNING pending")
            .bind(id.as_str())
            .fetch_optional(&mut **tx)
            .await
            .map_err(unavailable)?;
    row.as_deref().map(from_json).transpose()
}

#[async_trait]
impl RegistryJournal for Store {
    async fn begin_decision(&self, pending: PendingDecision) -> Result<(), StoreError> {
        let version = pending.commit.decision.version.clone();
        sqlx::query(
            "INSERT INTO journal_pending_decisions (id, version, project, recorded_at, pending) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(pending.commit.decision.id.as_str())
        .bind(version.as_str())
        .bind(pending.project.as_str())
        .bind(ts(pending.recorded_at))
        .bind(to_json(&pending)?)
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            // The unique version: another decision on it is being applied.
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(format!("a decision on {version} is being applied"))
            }
            _ => unavailable(e),
        })?;
        Ok(())
    }

    async fn complete_decision(&self, id: &DecisionId) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        // Idempotent: completed (or failed) before, nothing is pending and nothing is released twice.
        let Some(pending) = take_pending(&mut tx, id).await? else { return Ok(()) };
        let d = &pending.commit.decision;
        sqlx::query(
            "INSERT INTO journal_decisions (id, version, project, decided_at, decision) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(d.id.as_str())
        .bind(d.version.as_str())
        .bind(pending.project.as_str())
        .bind(ts(d.decided_at))
        .bind(to_json(d)?)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.write_effects(&mut tx, pending.commit.effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn fail_decision(&self, id: &DecisionId, reason: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let Some(pending) = take_pending(&mut tx, id).await? else { return Ok(()) };
        let d = &pending.commit.decision;
        let record = AuditRecord {
            at,
            actor: Subject(JOURNAL_ACTOR.into()),
            action: "decision.fail".into(),
            target: d.version.0.clone(),
            detail: serde_json::json!({ "decisionId": d.id.as_str(), "decidedBy": d.decided_by.as_str(), "reason": reason }),
        };
        self.write_effects(&mut tx, Effects { events: vec![], audit: vec![record] }).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn pending_decisions(&self, before: DateTime<Utc>) -> Result<Vec<PendingDecision>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT pending FROM journal_pending_decisions WHERE recorded_at < $1 ORDER BY recorded_at, rowid",
        )
        .bind(ts(before))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(|r| from_json(r)).collect()
    }

    async fn decisions_of(
        &self,
        versions: &[VersionId],
    ) -> Result<std::collections::HashMap<VersionId, Vec<Decision>>, StoreError> {
        let ids: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
        let decode = |row: &DbRow| from_json::<Decision>(&row.try_get::<String, _>("decision").map_err(unavailable)?);
        let mut all = std::collections::HashMap::new();
        for d in super::common::decisions_of(&self.pool, "SELECT decision FROM journal_decisions", &ids, decode).await?
        {
            all.entry(d.version.clone()).or_insert_with(Vec::new).push(d);
        }
        Ok(all)
    }

    async fn decisions(&self, version: &VersionId) -> Result<Vec<Decision>, StoreError> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT decision FROM journal_decisions WHERE version = $1 ORDER BY decided_at, rowid")
                .bind(version.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        rows.iter().map(|r| from_json(r)).collect()
    }

    async fn recent_decisions(
        &self,
        project: Option<&ProjectId>,
        window: Window,
    ) -> Result<Page<Decision>, StoreError> {
        self.project_page(
            "SELECT COUNT(*) FROM journal_decisions WHERE ($1 IS NULL OR project = $1)",
            "SELECT decision FROM journal_decisions WHERE ($1 IS NULL OR project = $1)
             ORDER BY decided_at DESC, rowid DESC LIMIT $2 OFFSET $3",
            project,
            window,
            |row| from_json(&row.try_get::<String, _>(0).map_err(unavailable)?),
        )
        .await
    }

    async fn release(&self, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn claim_copy(&self, source: &PackageKey, stale_before: DateTime<Utc>) -> Result<CopyClaim, StoreError> {
        let now = ts(Utc::now());
        let created = source.created.timestamp_millis();
        let mut tx = self.begin().await?;
        // A claim of an earlier package of this version number is no claim on this one.
        sqlx::query(
            "DELETE FROM journal_copy_claims WHERE source = $1 AND source_created IS NOT NULL AND source_created != $2",
        )
        .bind(source.version.as_str())
        .bind(created)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        // A write first: the claim is taken under SQLite's write lock, so two callers never both see "free".
        let inserted = sqlx::query(
            "INSERT INTO journal_copy_claims (source, claimed_at, source_created) VALUES ($1, $2, $3)
             ON CONFLICT (source) DO NOTHING",
        )
        .bind(source.version.as_str())
        .bind(&now)
        .bind(created)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if inserted.rows_affected() == 1 {
            tx.commit().await.map_err(unavailable)?;
            return Ok(CopyClaim::Claimed);
        }
        let (claimed_at, copy): (String, Option<String>) =
            sqlx::query_as("SELECT claimed_at, copy FROM journal_copy_claims WHERE source = $1")
                .bind(source.version.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?;
        let claim = match copy {
            Some(copy) => CopyClaim::Copied(VersionId(copy)),
            // Times are stored in one fixed format, so text order is time order.
            None if claimed_at >= ts(stale_before) => CopyClaim::InProgress,
            None => {
                sqlx::query("UPDATE journal_copy_claims SET claimed_at = $1 WHERE source = $2")
                    .bind(&now)
                    .bind(source.version.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                CopyClaim::TakenOver
            }
        };
        tx.commit().await.map_err(unavailable)?;
        Ok(claim)
    }

    async fn record_copy(&self, source: &PackageKey, copy: &VersionId, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO journal_copy_claims (source, claimed_at, copy, source_created) VALUES ($1, $2, $3, $4)
             ON CONFLICT (source) DO UPDATE SET copy = excluded.copy, source_created = excluded.source_created",
        )
        .bind(source.version.as_str())
        .bind(ts(Utc::now()))
        .bind(copy.as_str())
        .bind(source.created.timestamp_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn copy_of(&self, source: &PackageKey) -> Result<Option<VersionId>, StoreError> {
        let copy: Option<Option<String>> = sqlx::query_scalar(
            "SELECT copy FROM journal_copy_claims
             WHERE source = $1 AND (source_created IS NULL OR source_created = $2)",
        )
        .bind(source.version.as_str())
        .bind(source.created.timestamp_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(copy.flatten().map(VersionId))
    }

    async fn details(&self, package: &PackageKey) -> Result<Option<VersionDetails>, StoreError> {
        let row: Option<String> = sqlx::query_scalar(
            "SELECT details FROM journal_version_details
             WHERE version = $1 AND (package_created IS NULL OR package_created = $2)",
        )
        .bind(package.version.as_str())
        .bind(package.created.timestamp_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.as_deref().map(from_json).transpose()
    }

    async fn save_details(&self, package: &PackageKey, details: VersionDetails) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO journal_version_details (version, details, package_created) VALUES ($1, $2, $3)
             ON CONFLICT (version) DO UPDATE SET details = excluded.details, package_created = excluded.package_created",
        )
        .bind(package.version.as_str())
        .bind(to_json(&details)?)
        .bind(package.created.timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}
