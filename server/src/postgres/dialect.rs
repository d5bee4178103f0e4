//! Where PostgreSQL's SQL differs from SQLite's in the shared statements (`crate::store::sql`).

use sqlx::{Postgres, QueryBuilder};

/// A claim skips the deliveries another replica's claim is locking at that moment, instead of waiting for it.
pub(super) const SKIP_LOCKED: &str = " FOR UPDATE OF d SKIP LOCKED";

/// `column` in a version filter: PostgreSQL's planner weighs the trigram and order indexes itself.
pub(super) fn filter_column(column: &str, _search: Option<&str>) -> String {
    column.to_string()
}

pub(super) fn within_column() -> &'static str {
    "project"
}

/// A search: any substring of the id, group name or description, case-insensitive, as SQLite's trigram index
/// matches; three characters or more go through the pg_trgm indexes (migration 0001).
pub(super) fn push_search<'a>(qb: &mut QueryBuilder<'a, Postgres>, text: &str, _fts: &str) {
    let like = format!("%{}%", escape_like(text));
    qb.push(" AND (group_name ILIKE ")
        .push_bind(like.clone())
        .push(" OR description ILIKE ")
        .push_bind(like.clone())
        .push(" OR id ILIKE ")
        .push_bind(like)
        .push(")");
}

/// `text` as a LIKE pattern's literal part (backslash is PostgreSQL's default escape).
pub(super) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A JSON text column's `field`, as text.
pub(super) fn json_text(column: &str, field: &str) -> String {
    format!("(CAST({column} AS jsonb) ->> '{field}')")
}

/// The read generation (`crate::read_cache`): the transaction snapshot a statement would read, as text
/// (`xmin:xmax:in-progress ids`). Two equal snapshots see the same committed data, and every commit moves it.
/// Lock-free: a counter row that every write transaction updated would serialise all writers of the fleet
/// on that one row (and deadlock transactions that touch tables in different orders).
pub(super) const READ_GENERATION: &str = "SELECT CAST(pg_current_snapshot() AS text)";
