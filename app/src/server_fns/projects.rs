//! Projects made from templates: the list, creating one, its page (provisioning, subscriptions, upgrade),
//! Retry and Upgrade.

use std::collections::BTreeMap;

use governance::catalog::{Dataset, Subscription};
use governance::provisioning::ProjectSetup;
use governance::template::{Repository, Template};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The projects page: projects made from templates, and the published templates to start one from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectsView {
    pub projects: Vec<ProjectSetup>,
    pub templates: Vec<Template>,
    /// Why this person may not start a project (the policy's reason), when she may not.
    pub create_refused: Option<String>,
}

/// A new project's form: the published template it starts from, and why this person may not submit it, when
/// she may not (the page then says so instead of offering a form the server would refuse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProjectView {
    pub template: Template,
    pub create_refused: Option<String>,
}

/// Why `actor` may not create a project, from the rule the service enforces on creation.
#[cfg(feature = "ssr")]
fn create_refused(actor: &governance::Actor) -> Option<String> {
    governance::authz::authorize(actor, &governance::authz::Action::CreateProject).err().map(|d| d.reason)
}

/// A newer template version on offer, with the diff per repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpgradeView {
    pub from_version: u32,
    pub to_version: u32,
    pub diffs: Vec<(Repository, String)>,
}

/// A project's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectView {
    pub setup: ProjectSetup,
    pub subscriptions: Vec<Subscription>,
    pub upgrade: Option<UpgradeView>,
    /// The catalog, for the subscription request form.
    pub datasets: Vec<Dataset>,
    /// The revision of what the page shows: its live stream starts from it.
    pub revision: String,
}

#[server(prefix = "/fn", endpoint = "projects_page")]
pub async fn projects_page() -> Result<ProjectsView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    let service = portal()?.service;
    let projects = service.project_setups(&actor).await.map_err(reply)?;
    let templates = service
        .templates(&actor)
        .await
        .map_err(reply)?
        .into_iter()
        .filter(|t| t.status == governance::template::TemplateStatus::Published)
        .collect();
    Ok(ProjectsView { projects, templates, create_refused: create_refused(&actor) })
}

/// The published template a new project starts from (its parameter form).
#[server(prefix = "/fn", endpoint = "published_template")]
pub async fn published_template(id: String) -> Result<NewProjectView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    let overview = portal()?
        .service
        .template_overview(&actor, &governance::template::TemplateId(id.clone()))
        .await
        .map_err(reply)?;
    let template = overview
        .versions
        .into_iter()
        .find(|t| t.status == governance::template::TemplateStatus::Published)
        .ok_or_else(|| reply(AppError::NotFound { what: format!("A published version of template {id}") }))?;
    Ok(NewProjectView { template, create_refused: create_refused(&actor) })
}

/// Creates a project: `form` holds `id`, `name`, `description`, `members` and `param_<name>` per parameter.
#[server(prefix = "/fn", endpoint = "create_project")]
pub async fn create_project(template: String, form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::service::ServiceError;
    let principal = require_principal().await?;
    let new = new_project(template, &form);
    let setup = portal()?.service.create_project(&principal, new).await.map_err(|e| match e {
        ServiceError::Invalid(f) => reply(AppError::invalid(f, form.clone())),
        other => reply(other),
    })?;
    leptos_axum::redirect(&format!("/projects/{}", setup.project.id));
    Ok(())
}

/// Checks the new-project form as it is being filled in, without creating anything: the same checks as
/// creating it.
#[server(prefix = "/fn", endpoint = "check_project")]
pub async fn check_project(template: String, form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    portal()?.service.check_project(&principal, &new_project(template, &form)).await.map(|_| ()).map_err(reply)
}

/// The form's fields: `id`, `name`, `description`, `members` and `param_<name>` per parameter.
#[cfg(feature = "ssr")]
fn new_project(template: String, form: &BTreeMap<String, String>) -> governance::service::NewProject {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    governance::service::NewProject {
        id: get("id"),
        name: get("name"),
        description: get("description"),
        template: governance::template::TemplateId(template),
        parameters: form.iter().filter_map(|(k, v)| Some((k.strip_prefix("param_")?.to_string(), v.clone()))).collect(),
        members: get("members"),
    }
}

#[server(prefix = "/fn", endpoint = "project_page")]
pub async fn project_page(id: String) -> Result<ProjectView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    let service = portal()?.service;
    let detail = service.project_detail(&actor, &governance::ProjectId(id)).await.map_err(reply)?;
    let datasets = service.datasets(&actor).await.map_err(reply)?;
    let revision = governance::service::project_revision(&detail);
    Ok(ProjectView {
        revision,
        setup: detail.setup,
        subscriptions: detail.subscriptions,
        upgrade: detail.upgrade.map(|u| UpgradeView {
            from_version: u.from_version,
            to_version: u.to_version,
            diffs: u.diffs,
        }),
        datasets,
    })
}

#[server(prefix = "/fn", endpoint = "retry_provisioning")]
pub async fn retry_provisioning(project: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    portal()?.service.retry_provisioning(&principal, &governance::ProjectId(project)).await.map_err(reply)?;
    Ok(())
}

#[server(prefix = "/fn", endpoint = "upgrade_project")]
pub async fn upgrade_project(project: String, to_version: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let to: u32 = to_version.parse().map_err(|_| {
        reply(AppError::invalid(governance::FieldError::new("to_version", "must be a number"), BTreeMap::new()))
    })?;
    portal()?.service.upgrade_project(&principal, &governance::ProjectId(project), to).await.map_err(reply)?;
    Ok(())
}
