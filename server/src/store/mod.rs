//! The portal's database, whichever it is: SQLite (the zero-configuration default, one process) or PostgreSQL
//! (`database_url = "postgres://..."`, any number of replicas). Both stores compile the same SQL (`sql/`, each
//! file built once per store with that store's connection types); what differs between the dialects lives in
//! each store's folder (`crate::sqlite`, `crate::postgres`).

mod open;
pub mod records;
mod text;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use governance::experiment::ExperimentError;
use governance::model::{ModelGroup, ModelVersion};
use governance::ports::{
    Catalog, Directory, EvidenceStore, Experiments, Ledger, ModelRegistry, Monitoring, NotificationStore, Page,
    ProjectStore, RegistryJournal, ReviewStore, StoreError, TemplateStore, VersionQuery, Window,
};
use governance::project::Project;
use governance::{ApprovalStatus, Principal, ProjectId, Stage, VersionId};

use crate::postgres::PostgresStore;
use crate::sqlite::SqliteStore;
pub use open::{open, start_over, FirstStart};
pub use records::{IndexedPackage, LoggedRun, NewSession, OperationsFigures, SessionRecord, SignInFlow, TargetFigures};
pub(crate) use text::{from_json, internal, parse_ts, to_json, ts, unavailable};
pub use text::{to_millis, ts_for_tests};

/// The modules of `sql/`, declared in a store's folder (`crate::sqlite`, `crate::postgres`): each file is
/// compiled there against that store's `Store`, `Db`, `DbRow`, `Pool` and `dialect`.
macro_rules! shared_sql {
    () => {
        #[path = "../store/sql/catalog.rs"]
        mod catalog;
        #[path = "../store/sql/common.rs"]
        mod common;
        #[path = "../store/sql/directory.rs"]
        mod directory;
        #[path = "../store/sql/evidence.rs"]
        mod evidence;
        #[path = "../store/sql/experiments.rs"]
        mod experiments;
        #[path = "../store/sql/form_flashes.rs"]
        mod form_flashes;
        #[path = "../store/sql/journal.rs"]
        mod journal;
        #[path = "../store/sql/leases.rs"]
        mod leases;
        #[path = "../store/sql/ledger.rs"]
        mod ledger;
        #[path = "../store/sql/listing.rs"]
        mod listing;
        #[path = "../store/sql/monitoring.rs"]
        mod monitoring;
        #[path = "../store/sql/monitoring_overview.rs"]
        mod monitoring_overview;
        #[path = "../store/sql/notifications.rs"]
        mod notifications;
        #[path = "../store/sql/operations.rs"]
        mod operations;
        #[path = "../store/sql/portal_state.rs"]
        mod portal_state;
        #[path = "../store/sql/project_setups.rs"]
        mod project_setups;
        #[path = "../store/sql/registry.rs"]
        mod registry;
        #[path = "../store/sql/registry_index.rs"]
        mod registry_index;
        #[path = "../store/sql/reviews.rs"]
        mod reviews;
        #[path = "../store/sql/sessions.rs"]
        mod sessions;
        #[path = "../store/sql/sign_in_flows.rs"]
        mod sign_in_flows;
        #[path = "../store/sql/state_changes.rs"]
        mod state_changes;
        #[path = "../store/sql/templates.rs"]
        mod templates;
    };
}
pub(crate) use shared_sql;

/// The portal's database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    ports: Arc<StorePorts>,
}

/// Which database it is.
#[derive(Clone)]
pub enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl From<SqliteStore> for Store {
    fn from(store: SqliteStore) -> Self {
        Store { ports: Arc::new(ports_of(&store)), backend: Backend::Sqlite(store) }
    }
}

impl From<PostgresStore> for Store {
    fn from(store: PostgresStore) -> Self {
        Store { ports: Arc::new(ports_of(&store)), backend: Backend::Postgres(store) }
    }
}

fn ports_of<S>(s: &S) -> StorePorts
where
    S: Directory
        + ModelRegistry
        + RegistryJournal
        + EvidenceStore
        + Monitoring
        + Experiments
        + Ledger
        + TemplateStore
        + ProjectStore
        + Catalog
        + ReviewStore
        + NotificationStore
        + Clone
        + 'static,
{
    StorePorts {
        directory: Arc::new(s.clone()),
        registry: Arc::new(s.clone()),
        journal: Arc::new(s.clone()),
        evidence: Arc::new(s.clone()),
        monitoring: Arc::new(s.clone()),
        experiments: Arc::new(s.clone()),
        ledger: Arc::new(s.clone()),
        templates: Arc::new(s.clone()),
        projects: Arc::new(s.clone()),
        catalog: Arc::new(s.clone()),
        reviews: Arc::new(s.clone()),
        notifications: Arc::new(s.clone()),
    }
}

/// The governance ports one store serves.
pub struct StorePorts {
    pub directory: Arc<dyn Directory>,
    pub registry: Arc<dyn ModelRegistry>,
    /// The portal's half of the SageMaker registry (decisions, details, copy claims).
    pub journal: Arc<dyn RegistryJournal>,
    pub evidence: Arc<dyn EvidenceStore>,
    pub monitoring: Arc<dyn Monitoring>,
    pub experiments: Arc<dyn Experiments>,
    pub ledger: Arc<dyn Ledger>,
    pub templates: Arc<dyn TemplateStore>,
    pub projects: Arc<dyn ProjectStore>,
    pub catalog: Arc<dyn Catalog>,
    pub reviews: Arc<dyn ReviewStore>,
    pub notifications: Arc<dyn NotificationStore>,
}

impl Store {
    /// The governance ports this store serves.
    pub fn ports(&self) -> &StorePorts {
        &self.ports
    }

    /// The embedded store, for tests that read its rows directly.
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// The SQLite store's pool, for tests that read its rows directly.
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        self.sqlite().map(SqliteStore::pool)
    }

    /// Which database this is, for the start-up log.
    pub fn kind(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// This process's pool: (connections open, of which idle).
    pub fn pool_use(&self) -> (u32, u32) {
        match &self.backend {
            Backend::Sqlite(s) => s.pool_use(),
            Backend::Postgres(s) => s.pool_use(),
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(s) => s.pool().close().await,
            Backend::Postgres(s) => s.pool().close().await,
        }
    }
}

/// Each method as both stores have it.
macro_rules! delegate {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl Store {
            $(
                $(#[$doc])*
                pub async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match &self.backend {
                        Backend::Sqlite(s) => s.$name($($arg),*).await,
                        Backend::Postgres(s) => s.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    /// Whether the database answers, is migrated, and commits a write.
    fn ready(&self) -> Result<(), StoreError>;
    fn upsert_project(&self, project: &Project) -> Result<(), StoreError>;
    fn upsert_person(&self, person: &Principal) -> Result<(), StoreError>;
    fn people(&self) -> Result<Vec<Principal>, StoreError>;
    fn log_run(&self, logged: &LoggedRun) -> Result<(), ExperimentError>;
    fn keep_form_flash(&self, id: &str, session_id: &str, path: &str, error: &str, now: DateTime<Utc>) -> Result<(), StoreError>;
    fn form_flash(&self, id: &str, session_id: &str, now: DateTime<Utc>) -> Result<Option<(String, String)>, StoreError>;
    fn operations_figures(&self) -> Result<OperationsFigures, StoreError>;
    fn portal_state(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set_portal_state(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// The read generation: what the read cache keys its answers on.
    fn read_generation(&self) -> Result<String, StoreError>;
    fn index_put(&self, v: &ModelVersion, package_arn: &str, now: DateTime<Utc>) -> Result<(), StoreError>;
    fn index_remove(&self, id: &VersionId) -> Result<(), StoreError>;
    fn index_packages(&self, project: &ProjectId, central: bool) -> Result<std::collections::HashMap<VersionId, IndexedPackage>, StoreError>;
    fn index_agreed(&self, ids: &[VersionId], now: DateTime<Utc>) -> Result<(), StoreError>;
    fn index_stalest(&self, limit: u32) -> Result<Vec<VersionId>, StoreError>;
    fn index_registered_at(&self, id: &VersionId) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn index_agreed_at(&self, id: &VersionId) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn index_list_versions(&self, q: &VersionQuery) -> Result<Page<ModelVersion>, StoreError>;
    fn index_awaiting(&self, stage: Stage, projects: &[ProjectId], window: Window) -> Result<Page<ModelVersion>, StoreError>;
    fn index_list_groups(&self, project: Option<&ProjectId>, window: Window) -> Result<Page<ModelGroup>, StoreError>;
    fn index_put_group(&self, project: &ProjectId, name: &str, description: &str) -> Result<(), StoreError>;
    fn index_replace_groups(&self, groups: &[(ProjectId, String, String)], unmanaged: &[(String, String)], now: DateTime<Utc>) -> Result<(), StoreError>;
    fn index_unmanaged_groups(&self) -> Result<Vec<(String, String)>, StoreError>;
    fn index_reconciled_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn index_packages_row(&self, id: &VersionId) -> Result<Option<(Stage, ApprovalStatus)>, StoreError>;
    fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError>;
    fn session(&self, id: &str, now: DateTime<Utc>, idle: Duration) -> Result<Option<SessionRecord>, StoreError>;
    fn delete_session(&self, id: &str) -> Result<(), StoreError>;
    fn save_sign_in_flow(&self, id: &str, flow: &SignInFlow, now: DateTime<Utc>) -> Result<(), StoreError>;
    fn take_sign_in_flow(&self, id: &str, now: DateTime<Utc>, max_age: Duration) -> Result<Option<SignInFlow>, StoreError>;
    fn record_state_change(&self, event_id: &str, version: &VersionId, at: DateTime<Utc>, effects: governance::ports::Effects) -> Result<bool, StoreError>;
    /// Takes (or renews) the lease `name` for `holder` until `until`; false while another holder's is unexpired.
    fn take_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Gives a lease back at a clean stop, so another replica takes over at once.
    fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
}
