//! The embedded backend: every port on one SQLite database through sqlx, with migrations. The SQL it shares
//! with the PostgreSQL store is in `crate::store::sql`; what is SQLite's own is here and in `dialect.rs`.
//!
//! Each write runs in one transaction with the events and audit records it causes (the outbox). Every write
//! transaction starts `BEGIN IMMEDIATE`, so SQLite takes the write lock at once and concurrent writers queue on
//! the busy timeout instead of failing on a lock upgrade.

// Each file of `crate::store::sql` is compiled once per store, on purpose: the same SQL, each store's types.
#![allow(clippy::duplicate_mod)]

mod dialect;

crate::store::shared_sql!();

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub(crate) use crate::store::{from_json, internal, parse_ts, to_json, to_millis, ts, unavailable};

/// The names the shared SQL (`crate::store::sql`) is written against.
type Store = SqliteStore;
type Db = Sqlite;
type DbRow = SqliteRow;
type Pool = SqlitePool;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

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
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, targets })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction: the write lock is taken at its first statement.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with(BEGIN_WRITE).await
    }
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
