//! Projects made from templates: their setup (parameters, provisioning) and members.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use governance::ports::{Effects, Page, ProjectStore, StoreError, Window};
use governance::provisioning::ProjectSetup;
use governance::{Persona, ProjectId, Subject};
use sqlx::Row;

use super::{from_json, to_json, ts, unavailable, Store};

#[async_trait]
impl ProjectStore for Store {
    async fn create_project(&self, setup: &ProjectSetup, effects: Effects) -> Result<(), StoreError> {
        let project = &setup.project;
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO projects (id, name, template, description, policy) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(project.id.as_str())
        .bind(&project.name)
        .bind(&project.template)
        .bind(&project.description)
        .bind(to_json(&project.policy)?)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("project {} exists", project.id)));
        }
        sqlx::query(
            "INSERT INTO project_setups (project, template, template_version, created_at, create_event, setup) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(project.id.as_str())
        .bind(setup.template.as_str())
        .bind(setup.template_version as i64)
        .bind(ts(setup.created_at))
        .bind(setup.create_event.as_str())
        .bind(to_json(setup)?)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        for (subject, personas) in &setup.members {
            sqlx::query("INSERT INTO project_members (project, subject, personas) VALUES ($1, $2, $3)")
                .bind(project.id.as_str())
                .bind(subject.as_str())
                .bind(to_json(personas)?)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn project_setup(&self, id: &ProjectId) -> Result<Option<ProjectSetup>, StoreError> {
        let row = sqlx::query("SELECT setup FROM project_setups WHERE project = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|r| from_json(r.get::<&str, _>(0))).transpose()
    }

    async fn project_setups(&self, window: Window) -> Result<Page<ProjectSetup>, StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM project_setups")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        let rows = sqlx::query("SELECT setup FROM project_setups ORDER BY created_at DESC LIMIT $1 OFFSET $2")
            .bind(window.limit as i64)
            .bind(window.offset as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let items = rows.iter().map(|r| from_json(r.get::<&str, _>(0))).collect::<Result<_, _>>()?;
        Ok(Page { items, total: total as u64, offset: window.offset, limit: window.limit })
    }

    async fn update_setup(&self, setup: &ProjectSetup, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE project_setups SET setup = $1 WHERE project = $2")
            .bind(to_json(setup)?)
            .bind(setup.project.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn memberships(&self, subject: &Subject) -> Result<BTreeMap<ProjectId, BTreeSet<Persona>>, StoreError> {
        let rows = sqlx::query("SELECT project, personas FROM project_members WHERE subject = $1")
            .bind(subject.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(|r| Ok((ProjectId(r.get(0)), from_json(r.get::<&str, _>(1))?))).collect()
    }
}
