//! Templates and their versions.

use async_trait::async_trait;
use governance::ports::{Effects, StoreError, TemplateStore};
use governance::template::{Template, TemplateId, TemplateStatus};
use governance::ProjectId;
use sqlx::Row;

use super::{from_json, internal, parse_ts, to_json, ts, unavailable, DbRow, Store};

fn template_from_row(row: &DbRow) -> Result<Template, StoreError> {
    let status: String = row.get("status");
    Ok(Template {
        id: TemplateId(row.get("id")),
        version: row.get::<i64, _>("version") as u32,
        status: TemplateStatus::parse(&status).ok_or_else(|| internal(format!("bad template status {status}")))?,
        definition: from_json(row.get::<&str, _>("definition"))?,
        updated_by: governance::Subject(row.get("updated_by")),
        updated_at: parse_ts(row.get::<&str, _>("updated_at"))?,
    })
}

#[async_trait]
impl TemplateStore for Store {
    async fn templates(&self) -> Result<Vec<Template>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.* FROM templates t JOIN (SELECT id, MAX(version) AS v FROM templates GROUP BY id) m \
             ON t.id = m.id AND t.version = m.v ORDER BY t.name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(template_from_row).collect()
    }

    async fn template_versions(&self, id: &TemplateId) -> Result<Vec<Template>, StoreError> {
        let rows = sqlx::query("SELECT * FROM templates WHERE id = $1 ORDER BY version DESC")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(template_from_row).collect()
    }

    async fn save_template(&self, template: &Template, effects: Effects) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        // The write comes first (see the module docs); a stored non-draft version is never replaced.
        let written = sqlx::query(
            "INSERT INTO templates (id, version, status, name, definition, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id, version) DO UPDATE SET name = excluded.name, definition = excluded.definition, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at WHERE templates.status = 'Draft'",
        )
        .bind(template.id.as_str())
        .bind(template.version as i64)
        .bind(template.status.as_str())
        .bind(&template.definition.name)
        .bind(to_json(&template.definition)?)
        .bind(template.updated_by.as_str())
        .bind(ts(template.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if written.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "template {} version {} is not a draft",
                template.id, template.version
            )));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn set_template_status(
        &self,
        id: &TemplateId,
        version: u32,
        from: TemplateStatus,
        to: TemplateStatus,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let written = sqlx::query("UPDATE templates SET status = $1 WHERE id = $2 AND version = $3 AND status = $4")
            .bind(to.as_str())
            .bind(id.as_str())
            .bind(version as i64)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if written.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("template {id} version {version} is not {}", from.as_str())));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn template_usage(&self, id: &TemplateId) -> Result<Vec<(u32, ProjectId)>, StoreError> {
        let rows = sqlx::query(
            "SELECT template_version, project FROM project_setups WHERE template = $1 ORDER BY template_version DESC, project",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows.iter().map(|r| (r.get::<i64, _>(0) as u32, ProjectId(r.get(1)))).collect())
    }
}
