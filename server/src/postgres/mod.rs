//! The PostgreSQL store: every port on one PostgreSQL database, for several portal replicas. The SQL it shares
//! with the SQLite store is in `crate::store::sql`; what is PostgreSQL's own is here, in `dialect.rs` and in
//! its migrations (`server/migrations_postgres`).
//!
//! Every write transaction takes one transaction-scoped advisory lock first, so writes commit one at a time
//! as on SQLite: the audit log is one hash chain (each entry seals the previous one's hash), version numbers
//! are the group's next, and events get their sequence in commit order, whichever replica writes. Reads, and
//! the outbox's claims and marks, do not take it.

// Each file of `crate::store::sql` is compiled once per store, on purpose: the same SQL, each store's types.
#![allow(clippy::duplicate_mod)]

mod dialect;

crate::store::shared_sql!();

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Transaction};

pub(crate) use crate::store::{from_json, internal, parse_ts, to_json, to_millis, ts, unavailable};

/// The names the shared SQL (`crate::store::sql`) is written against.
type Store = PostgresStore;
type Db = Postgres;
type DbRow = PgRow;
type Pool = PgPool;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations_postgres");

/// The advisory lock every write transaction holds until it ends (any number; the portal's database is its own).
const WRITE_LOCK: i64 = 0x706f_7274_616c;

/// How the pool connects.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    pub url: String,
    pub max_connections: u32,
    /// A statement running longer is cancelled (and its transaction rolled back), so a stuck query cannot hold
    /// the write lock for ever.
    pub statement_timeout: Duration,
}

/// The PostgreSQL store. Cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Delivery targets every event is queued for (in-process consumers and webhooks).
    targets: Vec<String>,
}

impl PostgresStore {
    /// Connects and applies the migrations (replicas starting together apply them once: sqlx takes an
    /// advisory lock around them).
    pub async fn open(options: &PostgresOptions, targets: Vec<String>) -> anyhow::Result<Self> {
        let timeout_ms = options.statement_timeout.as_millis().to_string();
        let connect = PgConnectOptions::from_str(&options.url)
            .map_err(|e| anyhow::anyhow!("database_url is not a PostgreSQL URL: {e}"))?
            // A decision is answered only once it is durable: a server configured with asynchronous commit
            // would acknowledge transactions that a crash then loses (seen with the tests' server).
            .options([("statement_timeout", timeout_ms.as_str()), ("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(connect)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL at database_url: {e}"))?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, targets })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Drops every table of the portal's schema (a first start that died while seeding; see
    /// `crate::store::start_over`): the next open migrates an empty schema.
    pub async fn drop_everything(&self) -> anyhow::Result<()> {
        sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;").execute(&self.pool).await?;
        Ok(())
    }

    /// A write transaction, holding the write lock until it commits or rolls back.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    }
}
