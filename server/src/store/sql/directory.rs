//! Projects and the people of development sign-in.

use async_trait::async_trait;
use governance::ports::{Directory, StoreError};
use governance::project::Project;
use governance::{Principal, ProjectId, Subject};
use sqlx::Row;

use super::{from_json, to_json, unavailable, DbRow, Store};

fn project_from_row(row: &DbRow) -> Result<Project, StoreError> {
    Ok(Project {
        id: ProjectId(row.get("id")),
        name: row.get("name"),
        template: row.get("template"),
        description: row.get("description"),
        policy: from_json(row.get::<&str, _>("policy"))?,
    })
}

#[async_trait]
impl Directory for Store {
    async fn projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM projects ORDER BY name").fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter().map(project_from_row).collect()
    }

    async fn project(&self, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query("SELECT * FROM projects WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(project_from_row).transpose()
    }
}

impl Store {
    /// Creates or replaces a project (demo data and admin set-up).
    pub async fn upsert_project(&self, project: &Project) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO projects (id, name, template, description, policy) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, template = excluded.template,
                 description = excluded.description, policy = excluded.policy",
        )
        .bind(project.id.as_str())
        .bind(&project.name)
        .bind(&project.template)
        .bind(&project.description)
        .bind(to_json(&project.policy)?)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    pub async fn upsert_person(&self, person: &Principal) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO people (subject, display_name, memberships, admin) VALUES ($1, $2, $3, $4)
             ON CONFLICT (subject) DO UPDATE SET display_name = excluded.display_name,
                 memberships = excluded.memberships, admin = excluded.admin",
        )
        .bind(person.subject.as_str())
        .bind(&person.display_name)
        .bind(to_json(&person.memberships)?)
        .bind(person.admin)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    pub async fn people(&self) -> Result<Vec<Principal>, StoreError> {
        let rows = sqlx::query("SELECT * FROM people ORDER BY display_name")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                // The development directory's grants, as an identity provider's groups would give them.
                let mut person = Principal::from_grants(
                    Subject(row.get("subject")),
                    row.get::<String, _>("display_name"),
                    from_json(row.get::<&str, _>("memberships"))?,
                );
                person.admin |= row.get::<bool, _>("admin");
                Ok(person)
            })
            .collect()
    }
}
