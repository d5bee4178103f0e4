//! Reviews of Prod versions: the columns the inbox and the version page filter on, and the review itself as
//! JSON. The partial unique index of migration 0019 keeps one active review per version and cause.

use async_trait::async_trait;
use governance::ports::{Effects, ReviewStore, StoreError};
use governance::review::{Review, ReviewStatus};
use governance::{ProjectId, ReviewId, VersionId};
use sqlx::Row;

use super::{from_json, to_json, ts, unavailable, DbRow, Store};

fn review_from_row(row: &DbRow) -> Result<Review, StoreError> {
    from_json(row.get::<&str, _>("body"))
}

#[async_trait]
impl ReviewStore for Store {
    async fn review(&self, id: &ReviewId) -> Result<Option<Review>, StoreError> {
        let row = sqlx::query("SELECT body FROM reviews WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(review_from_row).transpose()
    }

    async fn active_review(&self, version: &VersionId, cause: &str) -> Result<Option<Review>, StoreError> {
        let row = sqlx::query("SELECT body FROM reviews WHERE version = $1 AND cause = $2 AND status <> 'Closed'")
            .bind(version.as_str())
            .bind(cause)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(review_from_row).transpose()
    }

    async fn reviews_of(&self, version: &VersionId) -> Result<Vec<Review>, StoreError> {
        let rows = sqlx::query("SELECT body FROM reviews WHERE version = $1 ORDER BY opened_at DESC, id DESC")
            .bind(version.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(review_from_row).collect()
    }

    async fn reviews_in(&self, projects: &[ProjectId], status: ReviewStatus) -> Result<Vec<Review>, StoreError> {
        if projects.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = sqlx::QueryBuilder::new("SELECT body FROM reviews WHERE status = ");
        qb.push_bind(status.as_str()).push(" AND project IN (");
        let mut list = qb.separated(", ");
        for p in projects {
            list.push_bind(p.as_str().to_string());
        }
        qb.push(") ORDER BY opened_at, id");
        let rows = qb.build().fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter().map(review_from_row).collect()
    }

    async fn save_review(
        &self,
        review: &Review,
        expected_revision: Option<u64>,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let body = to_json(review)?;
        let mut tx = self.begin().await?;
        let written = match expected_revision {
            None => sqlx::query(
                "INSERT INTO reviews (id, version, project, cause, status, opened_at, revision, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(review.id.as_str())
            .bind(review.version.as_str())
            .bind(review.project.as_str())
            .bind(review.cause_key())
            .bind(review.status.as_str())
            .bind(ts(review.opened_at))
            .bind(review.revision as i64)
            .bind(body)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?,
            Some(expected) => sqlx::query(
                "UPDATE reviews SET status = $1, revision = $2, body = $3 WHERE id = $4 AND revision = $5",
            )
            .bind(review.status.as_str())
            .bind(review.revision as i64)
            .bind(body)
            .bind(review.id.as_str())
            .bind(expected as i64)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?,
        };
        if written.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("review {} changed meanwhile", review.id)));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }
}
