//! Where SQLite's SQL differs from PostgreSQL's in the shared statements (`crate::store::sql`).

use sqlx::{QueryBuilder, Sqlite};

/// SQLite has one writer at a time: a claim's statement never meets another's locks.
pub(super) const SKIP_LOCKED: &str = "";

/// `column` in a version filter. While a search of three characters or more is served by the full-text index,
/// the other filters must not pick an index of their own (`+column` keeps SQLite's planner off it), or the
/// query walks a whole project's versions probing each against the matches.
pub(super) fn filter_column(column: &str, search: Option<&str>) -> String {
    if search.is_some_and(|t| t.chars().count() >= 3) {
        format!("+{column}")
    } else {
        column.to_string()
    }
}

/// The project column of a "within these projects" filter: `+project`, not through the project index. The
/// projects a person may see are most of them, so the list's order index (migration 0015), which stops after
/// one page, serves better than fetching and sorting every version of those projects.
pub(super) fn within_column() -> &'static str {
    "+project"
}

/// A search: three characters or more through the trigram index `fts`, as one phrase (quotes doubled), so the
/// text is matched as typed and never read as FTS query syntax; shorter text (no trigram) by a scan, bounded by
/// the other filters.
pub(super) fn push_search<'a>(qb: &mut QueryBuilder<'a, Sqlite>, text: &str, fts: &str) {
    if text.chars().count() >= 3 {
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        qb.push(format!(" AND rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ")).push_bind(phrase).push(")");
    } else {
        let like = format!("%{}%", escape_like(text));
        qb.push(" AND (group_name LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR description LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR id LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
}

/// `text` as a LIKE pattern's literal part.
pub(super) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A JSON text column's `field`, as text.
pub(super) fn json_text(column: &str, field: &str) -> String {
    format!("json_extract({column}, '$.{field}')")
}

/// The read generation (`crate::read_cache`): the counter that migration 0021's triggers move in every
/// change's own transaction. SQLite has one writer at a time, so the counter row costs no contention.
pub(super) const READ_GENERATION: &str = "SELECT CAST(n AS TEXT) FROM read_generation WHERE id = 1";
