//! The embedded experiment tracker: runs kept in the portal's database, for the zero-configuration default
//! and the demo. Production points the experiments port at an MLflow tracking server instead.

use std::collections::BTreeMap;

use async_trait::async_trait;
use governance::experiment::{ExperimentError, ExperimentRun, MetricStep, RegisteredModelVersion, RunStatus};
use governance::ports::Experiments;
use sqlx::Row;

use super::{parse_ts, ts, Store};
use crate::store::records::LoggedRun;

fn failed(e: impl std::fmt::Display) -> ExperimentError {
    tracing::error!(error = %e, "embedded experiment store");
    ExperimentError::Unreachable(format!("the embedded store: {e}"))
}

impl Store {
    /// Stores a run, replacing an earlier copy of it (seeding is repeatable).
    pub async fn log_run(&self, logged: &LoggedRun) -> Result<(), ExperimentError> {
        let run = &logged.run;
        let mut tx = self.begin_write().await.map_err(failed)?;
        for table in ["experiment_registered_versions", "experiment_metrics"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE run_id = $1"))
                .bind(&run.run_id)
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
        }
        sqlx::query(
            "INSERT INTO experiment_runs
             (run_id, experiment_id, run_name, status, user_id, start_time, end_time, artifact_uri, params, tags)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (run_id) DO UPDATE SET experiment_id = excluded.experiment_id, run_name = excluded.run_name,
                 status = excluded.status, user_id = excluded.user_id, start_time = excluded.start_time,
                 end_time = excluded.end_time, artifact_uri = excluded.artifact_uri, params = excluded.params,
                 tags = excluded.tags",
        )
        .bind(&run.run_id)
        .bind(&run.experiment_id)
        .bind(&run.run_name)
        .bind(run.status.as_str())
        .bind(&run.user)
        .bind(run.start_time.map(ts))
        .bind(run.end_time.map(ts))
        .bind(&run.artifact_uri)
        .bind(serde_json::to_string(&run.params).map_err(failed)?)
        .bind(serde_json::to_string(&run.tags).map_err(failed)?)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        for (key, point) in &logged.history {
            sqlx::query(
                "INSERT INTO experiment_metrics (run_id, key, step, at, value) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (run_id, key, step, at) DO UPDATE SET value = excluded.value",
            )
            .bind(&run.run_id)
            .bind(key)
            .bind(point.step)
            .bind(ts(point.at))
            .bind(point.value)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        }
        for registered in &logged.registered {
            sqlx::query(
                "INSERT INTO experiment_registered_versions (name, version, status, source, run_id)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name, version) DO UPDATE SET status = excluded.status, source = excluded.source,
                     run_id = excluded.run_id",
            )
            .bind(&registered.name)
            .bind(&registered.version)
            .bind(&registered.status)
            .bind(&registered.source)
            .bind(&run.run_id)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        }
        tx.commit().await.map_err(failed)
    }
}

#[async_trait]
impl Experiments for Store {
    fn source(&self) -> String {
        "the portal's embedded experiment store".to_string()
    }

    fn run_url(&self, _run: &ExperimentRun) -> Option<String> {
        None
    }

    async fn run(&self, run_id: &str) -> Result<ExperimentRun, ExperimentError> {
        let row = sqlx::query("SELECT * FROM experiment_runs WHERE run_id = $1")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(failed)?
            .ok_or_else(|| ExperimentError::RunNotFound(run_id.to_string()))?;
        let time = |column: &str| -> Result<_, ExperimentError> {
            row.get::<Option<&str>, _>(column).map(|t| parse_ts(t).map_err(failed)).transpose()
        };
        let status: &str = row.get("status");
        // The latest value of a metric is the one at its highest step, then its latest time, as MLflow reports it.
        let latest =
            sqlx::query("SELECT key, value FROM experiment_metrics WHERE run_id = $1 ORDER BY key, step, at, value")
                .bind(run_id)
                .fetch_all(&self.pool)
                .await
                .map_err(failed)?;
        let metrics: BTreeMap<String, f64> = latest.iter().map(|r| (r.get("key"), r.get("value"))).collect();
        Ok(ExperimentRun {
            run_id: row.get("run_id"),
            experiment_id: row.get("experiment_id"),
            run_name: row.get("run_name"),
            status: RunStatus::parse(status).ok_or_else(|| failed(format!("unknown run status {status:?}")))?,
            user: row.get("user_id"),
            start_time: time("start_time")?,
            end_time: time("end_time")?,
            artifact_uri: row.get("artifact_uri"),
            params: serde_json::from_str(row.get("params")).map_err(failed)?,
            metrics,
            tags: serde_json::from_str(row.get("tags")).map_err(failed)?,
        })
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<MetricStep>, ExperimentError> {
        self.run_exists(run_id).await?;
        let rows = sqlx::query(
            "SELECT step, at, value FROM experiment_metrics WHERE run_id = $1 AND key = $2 ORDER BY step, at",
        )
        .bind(run_id)
        .bind(key)
        .fetch_all(&self.pool)
        .await
        .map_err(failed)?;
        rows.iter()
            .map(|r| {
                Ok(MetricStep {
                    step: r.get("step"),
                    at: parse_ts(r.get("at")).map_err(failed)?,
                    value: r.get("value"),
                })
            })
            .collect()
    }

    async fn registered_versions(&self, run_id: &str) -> Result<Vec<RegisteredModelVersion>, ExperimentError> {
        let rows = sqlx::query(
            "SELECT name, version, status, source, run_id FROM experiment_registered_versions WHERE run_id = $1
             ORDER BY name, LENGTH(version), version",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|r| RegisteredModelVersion {
                name: r.get("name"),
                version: r.get("version"),
                status: r.get("status"),
                source: r.get("source"),
                run_id: r.get("run_id"),
            })
            .collect())
    }
}

impl Store {
    async fn run_exists(&self, run_id: &str) -> Result<(), ExperimentError> {
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM experiment_runs WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.pool)
            .await
            .map_err(failed)?;
        if found == 0 {
            return Err(ExperimentError::RunNotFound(run_id.to_string()));
        }
        Ok(())
    }
}
