//! What every write and list of both stores does alike: a change's events and audit records in its transaction
//! (the outbox), a project's page of rows, a page's decisions in one query, and readiness.

use chrono::Utc;
use governance::audit::{AuditEntry, GENESIS};
use governance::ports::{Effects, Page, StoreError, Window};
use governance::ProjectId;
use sqlx::Transaction;

use super::{internal, to_millis, ts, unavailable, Db, DbRow, Pool, Store, MIGRATOR};

impl Store {
    /// Whether the database answers, the migrations are applied, and a write commits (for `/readyz`).
    pub async fn ready(&self) -> Result<(), StoreError> {
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        let known = MIGRATOR.iter().count() as i64;
        if applied < known {
            return Err(StoreError::Unavailable(format!("{applied} of {known} migrations applied")));
        }
        // Reading is not enough: a full disk or a lock nobody releases stops every write while reads go on.
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO readiness_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
        )
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    pub(super) async fn begin(&self) -> Result<Transaction<'static, Db>, StoreError> {
        self.begin_write().await.map_err(unavailable)
    }

    /// Writes a change's events (with a delivery row per target) and audit records in `tx`.
    pub(super) async fn write_effects(&self, tx: &mut Transaction<'_, Db>, effects: Effects) -> Result<(), StoreError> {
        for event in effects.events {
            let version = event.detail.pointer("/model/versionId").and_then(|v| v.as_str()).map(str::to_string);
            let json = serde_json::to_string(&event).map_err(internal)?;
            sqlx::query("INSERT INTO events (id, detail_type, time, version, envelope) VALUES ($1, $2, $3, $4, $5)")
                .bind(event.id.as_str())
                .bind(&event.detail_type)
                .bind(ts(event.time))
                .bind(version)
                .bind(json)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
            for target in &self.targets {
                sqlx::query(
                    "INSERT INTO deliveries (event_id, target, state, attempts, next_attempt_at) VALUES ($1, $2, 'Pending', 0, $3)",
                )
                .bind(event.id.as_str())
                .bind(target)
                .bind(ts(event.time))
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
            }
        }
        for mut record in effects.audit {
            // The entry is hashed over its time: seal the time the database keeps, or the chain would not verify
            // once read back.
            record.at = to_millis(record.at);
            let last: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(unavailable)?;
            let (seq, prev) = last.map(|(s, h)| (s as u64 + 1, h)).unwrap_or((1, GENESIS.to_string()));
            let entry = AuditEntry::seal(seq, &prev, record);
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(entry.seq as i64)
            .bind(ts(entry.record.at))
            .bind(entry.record.actor.as_str())
            .bind(&entry.record.action)
            .bind(&entry.record.target)
            .bind(serde_json::to_string(&entry.record.detail).map_err(internal)?)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        }
        Ok(())
    }

    /// A page of rows optionally narrowed to one project: `count` and `list` take the project as `$1` (NULL for
    /// all) and `list` its limit and offset as `$2` and `$3`.
    pub(super) async fn project_page<T>(
        &self,
        count: &str,
        list: &str,
        project: Option<&ProjectId>,
        window: Window,
        read: impl Fn(&DbRow) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let project = project.map(|p| p.as_str().to_string());
        let total: i64 = sqlx::query_scalar(count).bind(&project).fetch_one(&self.pool).await.map_err(unavailable)?;
        let rows = sqlx::query(list)
            .bind(&project)
            .bind(window.limit as i64)
            .bind(window.offset as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let items = rows.iter().map(read).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, total: total as u64, offset: window.offset, limit: window.limit })
    }
}

/// The decisions of several versions in one query (`select` names the table and columns), oldest first:
/// a list's page reads them together instead of one query per row. Chunked under the bound-parameter limit.
pub(super) async fn decisions_of<T>(
    pool: &Pool,
    select: &str,
    ids: &[&str],
    decode: impl Fn(&DbRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = sqlx::QueryBuilder::<Db>::new(select);
        q.push(" WHERE version IN (");
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        q.push(") ORDER BY decided_at, rowid");
        for row in q.build().fetch_all(pool).await.map_err(unavailable)? {
            out.push(decode(&row)?);
        }
    }
    Ok(out)
}
