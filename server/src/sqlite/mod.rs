//! The embedded backend: every port on one SQLite database through sqlx, with migrations.
//!
//! Each write runs in one transaction with the events and audit records it causes (the outbox). The first
//! statement of every write transaction is a write, so SQLite takes the write lock at once and concurrent
//! writers queue on the busy timeout instead of failing on a lock upgrade.

mod catalog;
mod directory;
mod evidence;
mod experiments;
mod form_flashes;
mod journal;
mod ledger;
mod listing;
mod monitoring;
mod monitoring_overview;
mod operations;
mod portal_state;
mod project_setups;
mod registry;
mod registry_index;
mod sessions;
mod sign_in_flows;
mod state_changes;
mod templates;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use governance::audit::{AuditEntry, GENESIS};
use governance::ports::{Effects, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use experiments::LoggedRun;
pub use operations::{OperationsFigures, TargetFigures};
pub use registry_index::IndexedPackage;
pub use sessions::{NewSession, SessionRecord};
pub use sign_in_flows::SignInFlow;

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Delivery targets every event is queued for (in-process consumers and webhooks).
    targets: Vec<String>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies the migrations.
    pub async fn open(path: &Path, targets: Vec<String>) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: a committed transaction survives a process crash; only an OS crash can lose the
            // last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .after_release(|connection, _| Box::pin(async move { Ok(out_of_transaction(connection).await) }))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, targets })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Whether the database answers and the migrations are applied (for `/readyz`).
    pub async fn ready(&self) -> Result<(), StoreError> {
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        let known = sqlx::migrate!("./migrations").iter().count() as i64;
        if applied < known {
            return Err(StoreError::Unavailable(format!("{applied} of {known} migrations applied")));
        }
        // Reading is not enough: a full disk or a lock nobody releases stops every write while reads go on.
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO readiness_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
        )
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin_with(BEGIN_WRITE).await.map_err(unavailable)
    }

    /// Writes a change's events (with a delivery row per target) and audit records in `tx`.
    async fn write_effects(&self, tx: &mut Transaction<'_, Sqlite>, effects: Effects) -> Result<(), StoreError> {
        for event in effects.events {
            let version = event.detail.pointer("/model/versionId").and_then(|v| v.as_str()).map(str::to_string);
            let json = serde_json::to_string(&event).map_err(internal)?;
            sqlx::query("INSERT INTO events (id, detail_type, time, version, envelope) VALUES (?, ?, ?, ?, ?)")
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
                    "INSERT INTO deliveries (event_id, target, state, attempts, next_attempt_at) VALUES (?, ?, 'Pending', 0, ?)",
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
                "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
}

impl SqliteStore {
    /// A page of rows optionally narrowed to one project: `count` and `list` take the project as `?1` (NULL for
    /// all) and `list` its limit and offset as `?2` and `?3`.
    pub(crate) async fn project_page<T>(
        &self,
        count: &str,
        list: &str,
        project: Option<&governance::ProjectId>,
        window: governance::ports::Window,
        read: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<T, StoreError>,
    ) -> Result<governance::ports::Page<T>, StoreError> {
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
        Ok(governance::ports::Page { items, total: total as u64, offset: window.offset, limit: window.limit })
    }
}

/// [`ts`], for tests that write rows directly.
pub fn ts_for_tests(at: DateTime<Utc>) -> String {
    ts(at)
}

/// How every transaction starts: with the write lock taken at once. A deferred transaction that reads first and
/// then writes must upgrade its lock, and SQLite refuses that upgrade at once (SQLITE_BUSY, no waiting) when another
/// writer got there first; an immediate one waits its turn under the busy timeout instead.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Whether a connection given back to the pool is outside any transaction, so it may be handed out again.
///
/// A write that fails for want of space (SQLITE_FULL, an I/O error) can leave a connection inside a transaction
/// SQLite has half given up on: the rollback sqlx queues may fail too, or SQLite may have rolled back on its own
/// while sqlx still counts a transaction. Handed out again, such a connection holds the write lock forever
/// (every other writer: "database is locked") or turns the next transaction into a savepoint that never
/// commits, so answered writes are lost. Such a connection is closed instead (closing rolls back whatever it
/// held); the pool opens a fresh one.
async fn out_of_transaction(connection: &mut sqlx::SqliteConnection) -> bool {
    use sqlx::Connection;
    if connection.is_in_transaction() {
        tracing::error!("a database connection came back inside a transaction; closed");
        return false;
    }
    match connection.lock_handle().await {
        Ok(mut handle) => {
            // SAFETY: the handle is locked for this call, so no other statement uses the connection meanwhile;
            // sqlite3_get_autocommit only reads the connection's state.
            let autocommit = unsafe { libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) } != 0;
            if !autocommit {
                tracing::error!("a database connection came back with SQLite inside a transaction; closed");
            }
            autocommit
        }
        Err(e) => {
            tracing::error!(error = %e, "a database connection could not be checked; closed");
            false
        }
    }
}

/// The one text format of times in the database.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").map(|t| t.and_utc()))
        .map_err(|e| StoreError::Unavailable(format!("bad time {text:?} in the database: {e}")))
}

pub(crate) fn unavailable(e: sqlx::Error) -> StoreError {
    tracing::error!(error = %e, "sqlite error");
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn internal(e: impl std::fmt::Display) -> StoreError {
    tracing::error!(error = %e, "stored data could not be read or written");
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(internal)
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(internal)
}

/// Rounds a time to what the database keeps (milliseconds), so values read back compare equal.
pub fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(3)
}

/// The decisions of several versions in one query (`select` names the table and columns), oldest first:
/// a list's page reads them together instead of one query per row. Chunked under SQLite's bound-parameter
/// limit.
pub(crate) async fn decisions_of<T>(
    pool: &sqlx::SqlitePool,
    select: &str,
    ids: &[&str],
    decode: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(select);
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
