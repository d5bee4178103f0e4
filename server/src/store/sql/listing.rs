//! The registry's lists in SQL, shared by the embedded registry (`model_versions`) and the SageMaker registry
//! index (`registry_index`): the same filters, orders, totals and group summary on the same column names; each
//! store decodes the rows itself.

use governance::ids::ModelGroupName;
use governance::model::ModelGroup;
use governance::ports::{Page, StoreError, VersionQuery, Window, COUNT_BOUND};
use governance::{ApprovalStatus, ProjectId, Stage};
use sqlx::{QueryBuilder, Row};

use super::registry::{awaiting_state, push_filters};
use super::{unavailable, Db, DbRow, Pool};

/// The tables one registry lists from.
pub(super) struct Tables {
    pub versions: &'static str,
    /// Its full-text index (migration 0011).
    pub fts: &'static str,
    /// Its groups, with their maintained `dev_versions`.
    pub groups: &'static str,
    /// Its versions counted per (project, group, registry, stage, status), kept by triggers (migration 0015).
    pub counts: &'static str,
    /// The columns a row decoder reads.
    pub select: &'static str,
}

pub(super) const EMBEDDED: Tables = Tables {
    versions: "model_versions",
    fts: "model_versions_fts",
    groups: "model_groups",
    counts: "model_versions_counts",
    select: "*",
};
pub(super) const INDEX: Tables = Tables {
    versions: "registry_index",
    fts: "registry_index_fts",
    groups: "registry_index_groups",
    counts: "registry_index_counts",
    select: "version",
};

/// A page of versions matching `q`, newest first, and the total.
pub(super) async fn versions(pool: &Pool, t: &Tables, q: &VersionQuery) -> Result<(Vec<DbRow>, u64), StoreError> {
    let total = total(pool, t, q).await?;
    let mut list = QueryBuilder::<Db>::new(format!("SELECT {} FROM {}", t.select, t.versions));
    push_filters(&mut list, q, t.fts);
    // Versions registered in the same instant: the higher number is the newer (as on SageMaker).
    list.push(" ORDER BY registered_at DESC, number DESC, id DESC LIMIT ")
        .push_bind(q.window.limit as i64)
        .push(" OFFSET ")
        .push_bind(q.window.offset as i64);
    let rows = list.build().fetch_all(pool).await.map_err(unavailable)?;
    Ok((rows, total))
}

/// A list's total without counting its rows: a sum over the maintained counts for the filters they hold
/// (project, group, registry, stage, status), and a count that stops past [`COUNT_BOUND`] for a search.
async fn total(pool: &Pool, t: &Tables, q: &VersionQuery) -> Result<u64, StoreError> {
    let searching = q.search.as_deref().is_some_and(|s| !s.trim().is_empty());
    let total: i64 = if searching {
        let mut count = QueryBuilder::<Db>::new(format!("SELECT COUNT(*) FROM (SELECT 1 FROM {}", t.versions));
        push_filters(&mut count, q, t.fts);
        count.push(" LIMIT ").push_bind(COUNT_BOUND as i64 + 1).push(") AS matches");
        count.build_query_scalar().fetch_one(pool).await.map_err(unavailable)?
    } else {
        let mut sum = QueryBuilder::<Db>::new(format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM {}", t.counts));
        push_filters(&mut sum, q, t.fts);
        sum.build_query_scalar().fetch_one(pool).await.map_err(unavailable)?
    };
    Ok(total.max(0) as u64)
}

/// A page of the versions awaiting a decision on `stage` in `projects`, oldest first (what waits longest comes
/// first), and the total.
pub(super) async fn awaiting(
    pool: &Pool,
    t: &Tables,
    stage: Stage,
    projects: &[ProjectId],
    window: Window,
) -> Result<(Vec<DbRow>, u64), StoreError> {
    let (registry, at_stage, at_status) = awaiting_state(stage);
    let filter = |qb: &mut QueryBuilder<'_, Db>| {
        qb.push(" WHERE registry = ")
            .push_bind(registry)
            .push(" AND stage = ")
            .push_bind(at_stage.as_str())
            .push(" AND status = ")
            .push_bind(at_status.as_str())
            // NULL matches nothing: no projects, no rows.
            .push(" AND project IN (NULL");
        for p in projects {
            qb.push(", ").push_bind(p.as_str().to_string());
        }
        qb.push(")");
    };
    let mut count = QueryBuilder::<Db>::new(format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM {}", t.counts));
    filter(&mut count);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await.map_err(unavailable)?;
    let mut list = QueryBuilder::<Db>::new(format!("SELECT {} FROM {}", t.select, t.versions));
    filter(&mut list);
    list.push(" ORDER BY registered_at, number LIMIT ")
        .push_bind(window.limit as i64)
        .push(" OFFSET ")
        .push_bind(window.offset as i64);
    let rows = list.build().fetch_all(pool).await.map_err(unavailable)?;
    Ok((rows, total as u64))
}

/// The Dev groups, each with its number of Dev versions (maintained by triggers) and its newest version (any
/// registry) joined in: one query, none per row.
pub(super) async fn groups(
    pool: &Pool,
    t: &Tables,
    project: Option<&ProjectId>,
    window: Window,
) -> Result<Page<ModelGroup>, StoreError> {
    let project = project.map(|p| p.as_str().to_string());
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {} WHERE ($1 IS NULL OR project = $1)", t.groups))
            .bind(&project)
            .fetch_one(pool)
            .await
            .map_err(unavailable)?;
    let sql = format!(
        "SELECT g.project, g.name, g.description, g.dev_versions AS version_count,
                l.number AS latest_number, l.stage AS latest_stage, l.status AS latest_status
         FROM {groups} g
         LEFT JOIN {versions} l ON l.id = (
             SELECT id FROM {versions} v WHERE v.project = g.project AND v.group_name = g.name
             ORDER BY v.number DESC, v.registry = 'central' DESC LIMIT 1)
         WHERE ($1 IS NULL OR g.project = $1)
         ORDER BY g.project, g.name LIMIT $2 OFFSET $3",
        groups = t.groups,
        versions = t.versions
    );
    let rows = sqlx::query(&sql)
        .bind(&project)
        .bind(window.limit as i64)
        .bind(window.offset as i64)
        .fetch_all(pool)
        .await
        .map_err(unavailable)?;
    let unknown = |what: &str| StoreError::Unavailable(format!("unknown {what} in the database"));
    let items = rows
        .iter()
        .map(|row| {
            let latest = match row.get::<Option<i64>, _>("latest_number") {
                Some(n) => Some((
                    n as u32,
                    Stage::parse(row.get("latest_stage")).ok_or_else(|| unknown("stage"))?,
                    ApprovalStatus::parse(row.get("latest_status")).ok_or_else(|| unknown("status"))?,
                )),
                None => None,
            };
            Ok(ModelGroup {
                project: ProjectId(row.get("project")),
                name: ModelGroupName(row.get("name")),
                description: row.get("description"),
                version_count: row.get::<i64, _>("version_count") as u32,
                latest,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page { items, total: total as u64, offset: window.offset, limit: window.limit })
}
