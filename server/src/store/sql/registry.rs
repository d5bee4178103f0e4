//! The Dev registries and the central registry, with decisions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::decision::{Decision, Verdict};
use governance::ids::ModelGroupName;
use governance::model::{Lineage, ModelCard, ModelGroup, ModelVersion, NewModelVersion};
use governance::policy::Transition;
use governance::ports::{
    CopyOutcome, DecisionCommit, Effects, EffectsFn, ModelRegistry, Page, StoreError, VersionQuery, Window,
};
use governance::{ApprovalStatus, DecisionId, EventId, Persona, ProjectId, Registry, Stage, Subject, VersionId};
use sqlx::{QueryBuilder, Row, Transaction};

use super::{dialect, from_json, listing, parse_ts, to_json, ts, unavailable, Db, DbRow, Store};

fn stage(text: &str) -> Result<Stage, StoreError> {
    Stage::parse(text).ok_or_else(|| StoreError::Unavailable(format!("unknown stage {text:?} in the database")))
}

fn status(text: &str) -> Result<ApprovalStatus, StoreError> {
    ApprovalStatus::parse(text)
        .ok_or_else(|| StoreError::Unavailable(format!("unknown status {text:?} in the database")))
}

pub(super) fn version_from_row(row: &DbRow) -> Result<ModelVersion, StoreError> {
    let project = ProjectId(row.get("project"));
    let registry = match row.get::<&str, _>("registry") {
        "central" => Registry::Central,
        _ => Registry::Dev(project.clone()),
    };
    let mut lineage: Lineage = from_json(row.get::<&str, _>("lineage"))?;
    lineage.source_version = row.get::<Option<String>, _>("source_version").map(VersionId);
    Ok(ModelVersion {
        id: VersionId(row.get("id")),
        project,
        group: ModelGroupName(row.get("group_name")),
        number: row.get::<i64, _>("number") as u32,
        registry,
        stage: stage(row.get("stage"))?,
        status: status(row.get("status"))?,
        revision: row.get::<i64, _>("revision") as u64,
        description: row.get("description"),
        registered_by: Subject(row.get("registered_by")),
        registered_at: parse_ts(row.get("registered_at"))?,
        lineage,
        metrics: from_json(row.get::<&str, _>("metrics"))?,
        model_card: from_json(row.get::<&str, _>("model_card"))?,
        central_copy: row.get::<Option<String>, _>("central_copy").map(VersionId),
        outside: None,
        package_arn: None,
    })
}

fn decision_from_row(row: &DbRow) -> Result<Decision, StoreError> {
    let quorum = match (row.get::<Option<i64>, _>("quorum_signed"), row.get::<Option<i64>, _>("quorum_required")) {
        (Some(s), Some(r)) => Some((s as u8, r as u8)),
        _ => None,
    };
    Ok(Decision {
        id: DecisionId(row.get("id")),
        version: VersionId(row.get("version")),
        stage: stage(row.get("stage"))?,
        verdict: Verdict::parse(row.get("verdict"))
            .ok_or_else(|| StoreError::Unavailable("unknown verdict in the database".into()))?,
        from: (stage(row.get("from_stage"))?, status(row.get("from_status"))?),
        to: (stage(row.get("to_stage"))?, status(row.get("to_status"))?),
        quorum,
        decided_by: Subject(row.get("decided_by")),
        decided_by_name: row.get("decided_by_name"),
        persona: from_json(&format!("\"{}\"", row.get::<&str, _>("persona")))?,
        justification: row.get("justification"),
        evidence_digest: row.get("evidence_digest"),
        event_id: EventId(row.get("event_id")),
        decided_at: parse_ts(row.get("decided_at"))?,
        rollback_to: row.get::<Option<String>, _>("rollback_to").map(VersionId),
    })
}

fn persona_name(p: Persona) -> String {
    serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The filters of a version query, on the columns `model_versions` and `registry_index` share; `fts` is the
/// table's full-text index on SQLite (migration 0011). How a search matches, and which columns are kept off their
/// own indexes, is the store's dialect.
pub(super) fn push_filters<'a>(qb: &mut QueryBuilder<'a, Db>, q: &'a VersionQuery, fts: &str) {
    let search = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let col = |name: &str| dialect::filter_column(name, search);
    qb.push(" WHERE 1 = 1");
    if let Some(p) = &q.project {
        qb.push(format!(" AND {} = ", col("project"))).push_bind(p.as_str());
    }
    match q.within.as_deref() {
        None => {}
        Some([]) => {
            qb.push(" AND 1 = 0");
        }
        Some(projects) => {
            qb.push(format!(" AND {} IN (", dialect::within_column()));
            let mut sep = qb.separated(", ");
            for p in projects {
                sep.push_bind(p.as_str());
            }
            qb.push(")");
        }
    }
    if let Some(s) = q.stage {
        qb.push(format!(" AND {} = ", col("stage"))).push_bind(s.as_str());
    }
    if let Some(s) = q.status {
        qb.push(format!(" AND {} = ", col("status"))).push_bind(s.as_str());
    }
    if let Some(group) = &q.group {
        qb.push(format!(" AND {} = ", col("group_name"))).push_bind(group.as_str());
    }
    if let Some(central) = q.central {
        qb.push(format!(" AND {} = ", col("registry"))).push_bind(if central { "central" } else { "dev" });
    }
    if let Some(text) = search {
        dialect::push_search(qb, text, fts);
    }
}

/// Where a version awaiting a decision on `stage` is: its registry, stage and status.
pub(super) fn awaiting_state(stage: Stage) -> (&'static str, Stage, ApprovalStatus) {
    match stage {
        Stage::Dev => ("dev", Stage::Dev, ApprovalStatus::PendingManualApproval),
        Stage::Test => ("central", Stage::Dev, ApprovalStatus::Approved),
        Stage::Prod => ("central", Stage::Test, ApprovalStatus::Approved),
    }
}

#[async_trait]
impl ModelRegistry for Store {
    async fn list_groups(&self, project: Option<&ProjectId>, window: Window) -> Result<Page<ModelGroup>, StoreError> {
        listing::groups(&self.pool, &listing::EMBEDDED, project, window).await
    }

    async fn list_versions(&self, q: &VersionQuery) -> Result<Page<ModelVersion>, StoreError> {
        let (rows, total) = listing::versions(&self.pool, &listing::EMBEDDED, q).await?;
        let items = rows.iter().map(version_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, total, offset: q.window.offset, limit: q.window.limit })
    }

    async fn version(&self, id: &VersionId) -> Result<Option<ModelVersion>, StoreError> {
        let row = sqlx::query("SELECT * FROM model_versions WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(version_from_row).transpose()
    }

    async fn awaiting(
        &self,
        stage: Stage,
        projects: &[ProjectId],
        window: Window,
    ) -> Result<Page<ModelVersion>, StoreError> {
        let (rows, total) = listing::awaiting(&self.pool, &listing::EMBEDDED, stage, projects, window).await?;
        let items = rows.iter().map(version_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { total, items, offset: window.offset, limit: window.limit })
    }

    async fn register(
        &self,
        id: VersionId,
        new: NewModelVersion,
        registered_by: Subject,
        at: DateTime<Utc>,
        effects: EffectsFn<ModelVersion>,
    ) -> Result<ModelVersion, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO model_groups (project, name, description) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(new.project.as_str())
            .bind(new.group.as_str())
            .bind(&new.description)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(number) FROM model_versions WHERE registry = 'dev' AND project = $1 AND group_name = $2",
        )
        .bind(new.project.as_str())
        .bind(new.group.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
        let version = ModelVersion {
            id,
            project: new.project.clone(),
            group: new.group,
            number: last.unwrap_or(0) as u32 + 1,
            registry: Registry::Dev(new.project),
            stage: Stage::Dev,
            status: ApprovalStatus::PendingManualApproval,
            revision: 1,
            description: new.description,
            registered_by,
            registered_at: at,
            lineage: new.lineage,
            metrics: new.metrics,
            model_card: new.model_card,
            central_copy: None,
            outside: None,
            package_arn: None,
        };
        insert_version(&mut tx, &version, None).await?;
        self.write_effects(&mut tx, effects(&version)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(version)
    }

    async fn copy_to_central(
        &self,
        source: &VersionId,
        id: VersionId,
        triggering_event: &EventId,
        at: DateTime<Utc>,
        effects: EffectsFn<ModelVersion>,
    ) -> Result<CopyOutcome, StoreError> {
        let mut tx = self.begin().await?;
        // Take the write lock first (see the module note), then look for an earlier copy.
        sqlx::query("UPDATE model_versions SET revision = revision WHERE id = $1")
            .bind(source.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT id FROM model_versions WHERE source_version = $1 OR copy_event = $2")
                .bind(source.as_str())
                .bind(triggering_event.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?;
        if let Some(existing) = existing {
            return Ok(CopyOutcome::AlreadyCopied(VersionId(existing)));
        }
        let row = sqlx::query("SELECT * FROM model_versions WHERE id = $1")
            .bind(source.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| StoreError::NotFound(format!("model version {source}")))?;
        let dev = version_from_row(&row)?;
        let copy = ModelVersion {
            id,
            registry: Registry::Central,
            // The central copy mirrors the Dev approval; its next decision is Test.
            stage: Stage::Dev,
            status: ApprovalStatus::Approved,
            revision: 1,
            lineage: Lineage { source_version: Some(dev.id.clone()), ..dev.lineage.clone() },
            central_copy: None,
            outside: None,
            package_arn: None,
            registered_at: at,
            ..dev.clone()
        };
        insert_version(&mut tx, &copy, Some(triggering_event)).await?;
        sqlx::query("UPDATE model_versions SET central_copy = $1, revision = revision + 1 WHERE id = $2")
            .bind(copy.id.as_str())
            .bind(dev.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.write_effects(&mut tx, effects(&copy)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(CopyOutcome::Created(Box::new(copy)))
    }

    async fn commit_decision(&self, commit: DecisionCommit) -> Result<(), StoreError> {
        let d = &commit.decision;
        let mut tx = self.begin().await?;
        let (to_stage, to_status) = match commit.transition {
            Transition::Move { stage, status } => (stage, status),
            Transition::Signoff { .. } => d.from,
        };
        // Compare-and-set on the revision: of racing decisions exactly one matches.
        let updated = sqlx::query(
            "UPDATE model_versions SET stage = $1, status = $2, revision = revision + 1 WHERE id = $3 AND revision = $4",
        )
        .bind(to_stage.as_str())
        .bind(to_status.as_str())
        .bind(d.version.as_str())
        .bind(commit.expected_revision as i64)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("model version {} changed meanwhile", d.version)));
        }
        sqlx::query(
            "INSERT INTO decisions (id, version, stage, verdict, from_stage, from_status, to_stage, to_status,
                quorum_signed, quorum_required, decided_by, decided_by_name, persona, justification, evidence_digest,
                event_id, decided_at, rollback_to)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(d.id.as_str())
        .bind(d.version.as_str())
        .bind(d.stage.as_str())
        .bind(d.verdict.as_str())
        .bind(d.from.0.as_str())
        .bind(d.from.1.as_str())
        .bind(d.to.0.as_str())
        .bind(d.to.1.as_str())
        .bind(d.quorum.map(|q| i64::from(q.0)))
        .bind(d.quorum.map(|q| i64::from(q.1)))
        .bind(d.decided_by.as_str())
        .bind(&d.decided_by_name)
        .bind(persona_name(d.persona))
        .bind(&d.justification)
        .bind(&d.evidence_digest)
        .bind(d.event_id.as_str())
        .bind(ts(d.decided_at))
        .bind(d.rollback_to.as_ref().map(|v| v.as_str().to_string()))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.write_effects(&mut tx, commit.effects).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(())
    }

    async fn update_model_card(
        &self,
        version: &VersionId,
        expected_revision: u64,
        card: ModelCard,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let updated = sqlx::query(
            "UPDATE model_versions SET model_card = $1, revision = revision + 1 WHERE id = $2 AND revision = $3",
        )
        .bind(to_json(&card)?)
        .bind(version.as_str())
        .bind(expected_revision as i64)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("model version {version} changed meanwhile")));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn decisions(&self, version: &VersionId) -> Result<Vec<Decision>, StoreError> {
        let rows = sqlx::query("SELECT * FROM decisions WHERE version = $1 ORDER BY decided_at, rowid")
            .bind(version.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(decision_from_row).collect()
    }

    async fn decisions_of(
        &self,
        versions: &[ModelVersion],
    ) -> Result<std::collections::HashMap<VersionId, Vec<Decision>>, StoreError> {
        let ids: Vec<&str> = versions.iter().map(|v| v.id.as_str()).collect();
        let mut all = std::collections::HashMap::new();
        for d in super::common::decisions_of(&self.pool, "SELECT * FROM decisions", &ids, decision_from_row).await? {
            all.entry(d.version.clone()).or_insert_with(Vec::new).push(d);
        }
        Ok(all)
    }

    async fn recent_decisions(
        &self,
        project: Option<&ProjectId>,
        window: Window,
    ) -> Result<Page<Decision>, StoreError> {
        self.project_page(
            "SELECT COUNT(*) FROM decisions d JOIN model_versions v ON v.id = d.version WHERE ($1 IS NULL OR v.project = $1)",
            "SELECT d.* FROM decisions d JOIN model_versions v ON v.id = d.version WHERE ($1 IS NULL OR v.project = $1)
             ORDER BY d.decided_at DESC, d.rowid DESC LIMIT $2 OFFSET $3",
            project,
            window,
            decision_from_row,
        )
        .await
    }
}

async fn insert_version(
    tx: &mut Transaction<'_, Db>,
    v: &ModelVersion,
    copy_event: Option<&EventId>,
) -> Result<(), StoreError> {
    let mut lineage = v.lineage.clone();
    let source = lineage.source_version.take();
    sqlx::query(
        "INSERT INTO model_versions (id, project, group_name, number, registry, stage, status, revision, description,
            registered_by, registered_at, lineage, metrics, model_card, source_version, copy_event, central_copy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(v.id.as_str())
    .bind(v.project.as_str())
    .bind(v.group.as_str())
    .bind(i64::from(v.number))
    .bind(if v.registry.is_central() { "central" } else { "dev" })
    .bind(v.stage.as_str())
    .bind(v.status.as_str())
    .bind(v.revision as i64)
    .bind(&v.description)
    .bind(v.registered_by.as_str())
    .bind(ts(v.registered_at))
    .bind(to_json(&lineage)?)
    .bind(to_json(&v.metrics)?)
    .bind(to_json(&v.model_card)?)
    .bind(source.as_ref().map(|s| s.as_str().to_string()))
    .bind(copy_event.map(|e| e.as_str().to_string()))
    .bind(v.central_copy.as_ref().map(|c| c.as_str().to_string()))
    .execute(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(format!("model version {} v{} exists already", v.group, v.number))
        }
        _ => unavailable(e),
    })?;
    Ok(())
}
