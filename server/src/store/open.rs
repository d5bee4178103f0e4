//! Which store the settings select, and a first start's seeding, which one replica does at a time.

use std::time::Duration;

use chrono::Utc;

use super::{Backend, Store};
use crate::postgres::{PostgresOptions, PostgresStore};
use crate::settings::Settings;
use crate::sqlite::SqliteStore;

/// The PostgreSQL store when `database_url` is set, else the SQLite file in `data_dir`.
pub async fn open(settings: &Settings, targets: Vec<String>) -> anyhow::Result<Store> {
    match &settings.database_url {
        Some(url) => {
            let options = PostgresOptions {
                url: url.0.clone(),
                max_connections: settings.database_pool_size,
                statement_timeout: Duration::from_secs(settings.database_statement_timeout_secs),
            };
            Ok(PostgresStore::open(&options, targets).await?.into())
        }
        None => Ok(SqliteStore::open(&sqlite_path(settings), targets).await?.into()),
    }
}

fn sqlite_path(settings: &Settings) -> std::path::PathBuf {
    settings.data_dir.join("portal.sqlite")
}

/// Empties the database of a first start that died while seeding (it holds nothing but part of the demo), so
/// the demo is seeded again whole.
pub async fn start_over(store: Store, settings: &Settings, targets: Vec<String>) -> anyhow::Result<Store> {
    match store.backend {
        Backend::Sqlite(sqlite) => {
            let path = sqlite_path(settings);
            tracing::warn!(path = %path.display(), "the first start's demo seeding was interrupted; seeding again from an empty database");
            sqlite.pool().close().await;
            for suffix in ["", "-wal", "-shm"] {
                let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
                if file.exists() {
                    std::fs::remove_file(&file)
                        .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", file.display()))?;
                }
            }
            Ok(SqliteStore::open(&path, targets).await?.into())
        }
        Backend::Postgres(postgres) => {
            tracing::warn!("the first start's demo seeding was interrupted; seeding again from an empty database");
            postgres.drop_everything().await?;
            postgres.pool().close().await;
            open(settings, targets).await
        }
    }
}

/// A first start's lease: while one replica checks for and seeds demo data and seed templates, the others
/// wait, so two replicas starting together on an empty database do not both seed it. Given back when the
/// seeding ends, or when the start fails on the way (dropped).
pub struct FirstStart {
    store: Store,
    holder: String,
    ended: bool,
}

const FIRST_START: &str = "first-start";

impl FirstStart {
    /// Waits until this process holds the lease (at most as long as one holder may keep it, plus a little).
    pub async fn begin(store: &Store) -> anyhow::Result<Self> {
        let holder = crate::replica::id().to_string();
        let lease = chrono::Duration::seconds(120);
        let deadline = std::time::Instant::now() + Duration::from_secs(150);
        loop {
            let now = Utc::now();
            if store.take_lease(FIRST_START, &holder, now, now + lease).await? {
                return Ok(Self { store: store.clone(), holder, ended: false });
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!("another replica has been starting for over two minutes; not seeding beside it");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Gives the lease back: the next replica to start goes on at once (and finds the seeding done).
    pub async fn end(mut self, store: &Store) {
        self.ended = true;
        if let Err(e) = store.release_lease(FIRST_START, &self.holder).await {
            tracing::warn!(error = %e, "could not release the first-start lease; it lapses by itself");
        }
    }
}

impl Drop for FirstStart {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        // The start failed while holding it: give it back rather than make the next start wait it out.
        let (store, holder) = (self.store.clone(), std::mem::take(&mut self.holder));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = store.release_lease(FIRST_START, &holder).await;
            });
        }
    }
}
