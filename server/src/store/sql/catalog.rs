//! The data catalog and projects' subscriptions to its datasets.

use async_trait::async_trait;
use governance::catalog::{Classification, Dataset, Subscription, SubscriptionStatus};
use governance::ports::{Catalog, Effects, StoreError, SubscriptionFilter};
use governance::{ProjectId, Subject};
use sqlx::Row;

use super::{internal, parse_ts, ts, unavailable, DbRow, Store};

fn dataset_from_row(row: &DbRow) -> Result<Dataset, StoreError> {
    let classification: String = row.get("classification");
    Ok(Dataset {
        id: row.get("id"),
        name: row.get("name"),
        producer: Subject(row.get("producer")),
        description: row.get("description"),
        classification: Classification::parse(&classification)
            .ok_or_else(|| internal(format!("bad classification {classification}")))?,
        location: row.get("location"),
        schema: row.get("schema"),
    })
}

fn subscription_from_row(row: &DbRow) -> Result<Subscription, StoreError> {
    let status: String = row.get("status");
    Ok(Subscription {
        id: row.get("id"),
        dataset: row.get("dataset"),
        project: ProjectId(row.get("project")),
        requested_by: Subject(row.get("requested_by")),
        justification: row.get("justification"),
        status: SubscriptionStatus::parse(&status).ok_or_else(|| internal(format!("bad status {status}")))?,
        decided_by: row.get::<Option<String>, _>("decided_by").map(Subject),
        reason: row.get("reason"),
        requested_at: parse_ts(row.get::<&str, _>("requested_at"))?,
        decided_at: row.get::<Option<&str>, _>("decided_at").map(parse_ts).transpose()?,
    })
}

#[async_trait]
impl Catalog for Store {
    async fn datasets(&self) -> Result<Vec<Dataset>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM datasets ORDER BY name").fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter().map(dataset_from_row).collect()
    }

    async fn dataset(&self, id: &str) -> Result<Option<Dataset>, StoreError> {
        let row = sqlx::query("SELECT * FROM datasets WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(dataset_from_row).transpose()
    }

    async fn save_dataset(&self, d: &Dataset, new: bool, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let sql = if new {
            "INSERT INTO datasets (id, name, producer, description, classification, location, schema) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING"
        } else {
            "UPDATE datasets SET name = $2, description = $4, classification = $5, location = $6, schema = $7 WHERE id = $1 AND producer = $3"
        };
        let written = sqlx::query(sql)
            .bind(&d.id)
            .bind(&d.name)
            .bind(d.producer.as_str())
            .bind(&d.description)
            .bind(d.classification.as_str())
            .bind(&d.location)
            .bind(&d.schema)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if written.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("dataset {}", d.id)));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn subscriptions(&self, filter: &SubscriptionFilter) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.* FROM subscriptions s JOIN datasets d ON d.id = s.dataset \
             WHERE ($1 IS NULL OR s.project = $1) AND ($2 IS NULL OR d.producer = $2) AND ($3 IS NULL OR s.status = $3) \
             ORDER BY s.requested_at DESC LIMIT 500",
        )
        .bind(filter.project.as_ref().map(|p| p.as_str().to_string()))
        .bind(filter.producer.as_ref().map(|p| p.as_str().to_string()))
        .bind(filter.status.map(|s| s.as_str()))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(subscription_from_row).collect()
    }

    async fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query("SELECT * FROM subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    async fn save_subscription(
        &self,
        s: &Subscription,
        expected: Option<SubscriptionStatus>,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let written = match expected {
            None => sqlx::query(
                "INSERT INTO subscriptions (id, dataset, project, requested_by, justification, status, reason, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&s.id)
            .bind(&s.dataset)
            .bind(s.project.as_str())
            .bind(s.requested_by.as_str())
            .bind(&s.justification)
            .bind(s.status.as_str())
            .bind(&s.reason)
            .bind(ts(s.requested_at))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?,
            Some(from) => sqlx::query(
                "UPDATE subscriptions SET status = $1, decided_by = $2, reason = $3, decided_at = $4 WHERE id = $5 AND status = $6",
            )
            .bind(s.status.as_str())
            .bind(s.decided_by.as_ref().map(|d| d.as_str().to_string()))
            .bind(&s.reason)
            .bind(s.decided_at.map(ts))
            .bind(&s.id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?,
        };
        if written.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("subscription {} is not {expected:?}", s.id)));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }
}
