//! The registry index's rows (see migration 0010): written by `crate::aws::index::IndexedRegistry` and its
//! reconciliation, read by every list, count, filter, search and inbox on the SageMaker backend. The same
//! filters as the embedded registry's (`registry::push_filters`), on the same column names.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use governance::model::{ModelGroup, ModelVersion};
use governance::ports::{Page, StoreError, VersionQuery, Window};
use governance::{ApprovalStatus, ProjectId, Stage, VersionId};
use sqlx::Row;

use super::{from_json, listing, parse_ts, to_json, ts, unavailable, DbRow, Store};
use crate::store::records::IndexedPackage;

fn rows_to_versions(rows: &[DbRow]) -> Result<Vec<ModelVersion>, StoreError> {
    rows.iter().map(|r| from_json::<ModelVersion>(r.get::<&str, _>("version"))).collect()
}

impl Store {
    /// Writes (or replaces) the row of a version as SageMaker and the journal have it now.
    pub async fn index_put(&self, v: &ModelVersion, package_arn: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO registry_index
                 (id, registry, project, group_name, number, stage, status, description, registered_at, package_arn, version, agreed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET
                 stage = excluded.stage, status = excluded.status, description = excluded.description,
                 registered_at = excluded.registered_at, package_arn = excluded.package_arn,
                 version = excluded.version, agreed_at = excluded.agreed_at",
        )
        .bind(v.id.as_str())
        .bind(if v.registry.is_central() { "central" } else { "dev" })
        .bind(v.project.as_str())
        .bind(v.group.as_str())
        .bind(i64::from(v.number))
        .bind(v.stage.as_str())
        .bind(v.status.as_str())
        .bind(&v.description)
        .bind(ts(v.registered_at))
        .bind(package_arn)
        .bind(to_json(v)?)
        .bind(ts(now))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// Forgets a version whose package is gone.
    pub async fn index_remove(&self, id: &VersionId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM registry_index WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The indexed packages of one project's registry (`central` or Dev), by version id.
    pub async fn index_packages(
        &self,
        project: &ProjectId,
        central: bool,
    ) -> Result<HashMap<VersionId, IndexedPackage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, stage, status, registered_at, package_arn FROM registry_index WHERE project = $1 AND registry = $2",
        )
        .bind(project.as_str())
        .bind(if central { "central" } else { "dev" })
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                let stage = Stage::parse(r.get("stage"))
                    .ok_or_else(|| StoreError::Unavailable("unknown stage in the registry index".into()))?;
                let status = ApprovalStatus::parse(r.get("status"))
                    .ok_or_else(|| StoreError::Unavailable("unknown status in the registry index".into()))?;
                let package = IndexedPackage {
                    status,
                    stage,
                    registered_at: parse_ts(r.get("registered_at"))?,
                    package_arn: r.get("package_arn"),
                };
                Ok((VersionId(r.get("id")), package))
            })
            .collect()
    }

    /// Marks rows as confirmed by SageMaker at `now`.
    pub async fn index_agreed(&self, ids: &[VersionId], now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for id in ids {
            sqlx::query("UPDATE registry_index SET agreed_at = $1 WHERE id = $2")
                .bind(ts(now))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    /// The `limit` rows SageMaker confirmed longest ago (the reconciliation describes them again in turn).
    pub async fn index_stalest(&self, limit: u32) -> Result<Vec<VersionId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM registry_index ORDER BY agreed_at, id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(ids.into_iter().map(VersionId).collect())
    }

    /// The creation time of the package a version's row is about, if it is indexed.
    pub async fn index_registered_at(&self, id: &VersionId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<String> = sqlx::query_scalar("SELECT registered_at FROM registry_index WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        at.as_deref().map(parse_ts).transpose()
    }

    /// When SageMaker last confirmed a version's row, if it is indexed.
    pub async fn index_agreed_at(&self, id: &VersionId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<String> = sqlx::query_scalar("SELECT agreed_at FROM registry_index WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        at.as_deref().map(parse_ts).transpose()
    }

    pub async fn index_list_versions(&self, q: &VersionQuery) -> Result<Page<ModelVersion>, StoreError> {
        let (rows, total) = listing::versions(&self.pool, &listing::INDEX, q).await?;
        Ok(Page { items: rows_to_versions(&rows)?, total, offset: q.window.offset, limit: q.window.limit })
    }

    pub async fn index_awaiting(
        &self,
        stage: Stage,
        projects: &[ProjectId],
        window: Window,
    ) -> Result<Page<ModelVersion>, StoreError> {
        let (rows, total) = listing::awaiting(&self.pool, &listing::INDEX, stage, projects, window).await?;
        Ok(Page { items: rows_to_versions(&rows)?, total, offset: window.offset, limit: window.limit })
    }

    /// The Dev groups, each with its exact number of Dev versions and its newest version (any registry).
    pub async fn index_list_groups(
        &self,
        project: Option<&ProjectId>,
        window: Window,
    ) -> Result<Page<ModelGroup>, StoreError> {
        listing::groups(&self.pool, &listing::INDEX, project, window).await
    }

    /// Records a Dev group (made by a registration, or listed by a reconciliation).
    pub async fn index_put_group(&self, project: &ProjectId, name: &str, description: &str) -> Result<(), StoreError> {
        // Counted once when the group is first recorded; the triggers keep the count from then on.
        sqlx::query(
            "INSERT INTO registry_index_groups (project, name, description, dev_versions) VALUES ($1, $2, $3,
                 (SELECT COUNT(*) FROM registry_index WHERE project = $1 AND group_name = $2 AND registry = 'dev'))
             ON CONFLICT (project, name) DO UPDATE SET description = excluded.description",
        )
        .bind(project.as_str())
        .bind(name)
        .bind(description)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// After a full listing: the Dev groups are exactly `groups`, the unmanaged ones exactly `unmanaged`, and the
    /// reconciliation finished at `now`.
    pub async fn index_replace_groups(
        &self,
        groups: &[(ProjectId, String, String)],
        unmanaged: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM registry_index_groups").execute(&mut *tx).await.map_err(unavailable)?;
        for (project, name, description) in groups {
            sqlx::query(
                "INSERT INTO registry_index_groups (project, name, description) VALUES ($1, $2, $3)
                 ON CONFLICT (project, name) DO UPDATE SET description = excluded.description",
            )
            .bind(project.as_str())
            .bind(name)
            .bind(description)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        // Recounted once per reconciliation (the triggers count between reconciliations).
        sqlx::query(
            "UPDATE registry_index_groups SET dev_versions = (SELECT COUNT(*) FROM registry_index v
                 WHERE v.project = registry_index_groups.project AND v.group_name = registry_index_groups.name
                   AND v.registry = 'dev')",
        )
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        sqlx::query("DELETE FROM registry_unmanaged_groups").execute(&mut *tx).await.map_err(unavailable)?;
        for (account, name) in unmanaged {
            sqlx::query(
                "INSERT INTO registry_unmanaged_groups (account, name, seen_at) VALUES ($1, $2, $3)
                 ON CONFLICT (account, name) DO UPDATE SET seen_at = excluded.seen_at",
            )
            .bind(account)
            .bind(name)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        sqlx::query(
            "INSERT INTO registry_index_state (id, reconciled_at) VALUES (1, $1)
                     ON CONFLICT (id) DO UPDATE SET reconciled_at = excluded.reconciled_at",
        )
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    /// Groups in the accounts that belong to no project: (account, name).
    pub async fn index_unmanaged_groups(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT account, name FROM registry_unmanaged_groups ORDER BY account, name")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|r| (r.get("account"), r.get("name"))).collect())
    }

    /// When the last full reconciliation finished, if one has.
    pub async fn index_reconciled_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<String> = sqlx::query_scalar("SELECT reconciled_at FROM registry_index_state WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        at.as_deref().map(parse_ts).transpose()
    }
}

impl Store {
    /// One indexed version's (stage, status), if it is indexed.
    pub async fn index_packages_row(&self, id: &VersionId) -> Result<Option<(Stage, ApprovalStatus)>, StoreError> {
        let row = sqlx::query("SELECT stage, status FROM registry_index WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.and_then(|r| Stage::parse(r.get("stage")).zip(ApprovalStatus::parse(r.get("status")))))
    }
}
