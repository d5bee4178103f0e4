//! The registry list: versions filtered by project, stage and status, searched and paginated.

use governance::model::{ModelGroup, ModelVersion};
use governance::ports::Page;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One page of the registry with the projects for the filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryPage {
    pub versions: Page<ModelVersion>,
    /// The model groups of the filtered project (or all), with their newest version.
    pub groups: Page<ModelGroup>,
    pub projects: Vec<(String, String)>,
    /// The listed versions whose Prod sign-off is past its re-certification date.
    #[serde(default)]
    pub overdue: std::collections::BTreeSet<governance::VersionId>,
}

/// Filters as the query string carries them (empty = any).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistryFilter {
    pub project: String,
    pub stage: String,
    pub status: String,
    pub search: String,
    /// A model group's exact name (the group table's links).
    #[serde(default)]
    pub group: String,
    pub offset: u64,
}

pub const REGISTRY_PAGE_SIZE: u64 = 20;

#[server(prefix = "/fn", endpoint = "registry")]
pub async fn registry(filter: RegistryFilter) -> Result<RegistryPage, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::forms::VersionFilter;
    use governance::ports::Window;

    let principal = require_principal().await?;
    let service = portal()?.service;
    let query = VersionFilter {
        project: Some(&filter.project),
        stage: Some(&filter.stage),
        status: Some(&filter.status),
        registry: None,
        group: Some(&filter.group),
        search: Some(&filter.search),
    }
    .query(Window::new(filter.offset, REGISTRY_PAGE_SIZE))
    .map_err(|e| reply(AppError::invalid(e, Default::default())))?;
    let actor = governance::Actor::Person(principal);
    let groups =
        service.model_groups(&actor, query.project.clone(), Window::new(0, Window::MAX_LIMIT)).await.map_err(reply)?;
    let versions = service.versions(&actor, &query).await.map_err(reply)?;
    let projects = service.projects(&actor).await.map_err(reply)?;
    let overdue = service.overdue_of(&actor, &versions.items).await.map_err(reply)?;
    Ok(RegistryPage { versions, groups, overdue, projects: projects.into_iter().map(|p| (p.id.0, p.name)).collect() })
}
