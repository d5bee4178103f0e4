//! Deployment configs, integration test runs and deployment requests.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::deployment::{DeploymentRequest, DeploymentStatus, SavedDeploymentConfig};
use governance::ports::{Effects, EffectsFn, EvidenceStore, Page, StoreError, Window};
use governance::test_run::TestRun;
use governance::{Environment, EventId, Subject, TestRunId, VersionId};
use sqlx::Row;

use super::{from_json, parse_ts, to_json, ts, unavailable, DbRow, Store};

fn environment(text: &str) -> Result<Environment, StoreError> {
    Environment::parse(text).ok_or_else(|| StoreError::Unavailable(format!("unknown environment {text:?}")))
}

fn request_from_row(row: &DbRow) -> Result<DeploymentRequest, StoreError> {
    Ok(DeploymentRequest {
        id: row.get("id"),
        version: VersionId(row.get("version")),
        environment: environment(row.get("environment"))?,
        config: from_json(row.get::<&str, _>("config"))?,
        triggering_event: EventId(row.get("triggering_event")),
        status: DeploymentStatus::parse(row.get("status"))
            .ok_or_else(|| StoreError::Unavailable("unknown deployment status".into()))?,
        endpoint_name: row.get("endpoint_name"),
        message: row.get("message"),
        requested_at: parse_ts(row.get("requested_at"))?,
        updated_at: parse_ts(row.get("updated_at"))?,
    })
}

fn run_from_row(row: &DbRow) -> Result<TestRun, StoreError> {
    Ok(TestRun {
        id: TestRunId(row.get("id")),
        version: VersionId(row.get("version")),
        passed: row.get::<i64, _>("passed") != 0,
        cases: from_json(row.get::<&str, _>("cases"))?,
        performance: from_json(row.get::<&str, _>("performance"))?,
        ci_run: row.get("ci_run"),
        reported_by: Subject(row.get("reported_by")),
        recorded_at: parse_ts(row.get("recorded_at"))?,
    })
}

#[async_trait]
impl EvidenceStore for Store {
    async fn deployment_configs(&self, version: &VersionId) -> Result<Vec<SavedDeploymentConfig>, StoreError> {
        let rows = sqlx::query("SELECT * FROM deployment_configs WHERE version = $1 ORDER BY environment")
            .bind(version.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok(SavedDeploymentConfig {
                    version: VersionId(row.get("version")),
                    environment: environment(row.get("environment"))?,
                    config: from_json(row.get::<&str, _>("config"))?,
                    saved_by: Subject(row.get("saved_by")),
                    saved_at: parse_ts(row.get("saved_at"))?,
                    commit: row.get::<Option<&str>, _>("commit_ref").map(from_json).transpose()?,
                })
            })
            .collect()
    }

    async fn save_deployment_config(&self, saved: SavedDeploymentConfig, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO deployment_configs (version, environment, config, saved_by, saved_at, commit_ref)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (version, environment) DO UPDATE SET config = excluded.config, saved_by = excluded.saved_by,
                 saved_at = excluded.saved_at, commit_ref = excluded.commit_ref",
        )
        .bind(saved.version.as_str())
        .bind(saved.environment.as_str())
        .bind(to_json(&saved.config)?)
        .bind(saved.saved_by.as_str())
        .bind(ts(saved.saved_at))
        .bind(saved.commit.as_ref().map(to_json).transpose()?)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn test_runs(&self, version: &VersionId, window: Window) -> Result<Page<TestRun>, StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM test_runs WHERE version = $1")
            .bind(version.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        let rows = sqlx::query("SELECT * FROM test_runs WHERE version = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3")
            .bind(version.as_str())
            .bind(window.limit as i64)
            .bind(window.offset as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let items = rows.iter().map(run_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, total: total as u64, offset: window.offset, limit: window.limit })
    }

    async fn record_test_run(&self, run: TestRun, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO test_runs (id, version, passed, cases, performance, ci_run, reported_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(run.id.as_str())
        .bind(run.version.as_str())
        .bind(i64::from(run.passed))
        .bind(to_json(&run.cases)?)
        .bind(to_json(&run.performance)?)
        .bind(&run.ci_run)
        .bind(run.reported_by.as_str())
        .bind(ts(run.recorded_at))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn request_deployment(
        &self,
        r: DeploymentRequest,
        effects: EffectsFn<DeploymentRequest>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO deployment_requests (id, version, environment, config, triggering_event, status, endpoint_name,
                message, requested_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (triggering_event) DO NOTHING",
        )
        .bind(&r.id)
        .bind(r.version.as_str())
        .bind(r.environment.as_str())
        .bind(to_json(&r.config)?)
        .bind(r.triggering_event.as_str())
        .bind(r.status.as_str())
        .bind(&r.endpoint_name)
        .bind(&r.message)
        .bind(ts(r.requested_at))
        .bind(ts(r.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if inserted.rows_affected() == 0 {
            // A redelivered approval event: the request exists already.
            return Ok(false);
        }
        self.write_effects(&mut tx, effects(&r)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(true)
    }

    async fn deployment_requests(&self, version: &VersionId) -> Result<Vec<DeploymentRequest>, StoreError> {
        let rows = sqlx::query("SELECT * FROM deployment_requests WHERE version = $1 ORDER BY requested_at DESC")
            .bind(version.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(request_from_row).collect()
    }

    async fn deployment_request(&self, id: &str) -> Result<Option<DeploymentRequest>, StoreError> {
        let row = sqlx::query("SELECT * FROM deployment_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(request_from_row).transpose()
    }

    async fn update_deployment_status(
        &self,
        id: &str,
        status: DeploymentStatus,
        message: String,
        at: DateTime<Utc>,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let updated =
            sqlx::query("UPDATE deployment_requests SET status = $1, message = $2, updated_at = $3 WHERE id = $4")
                .bind(status.as_str())
                .bind(&message)
                .bind(ts(at))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("deployment request {id}")));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }
}
