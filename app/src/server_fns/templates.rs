//! Templates: the list, a template's page (versions, usage, preview), and the admin's editor actions.

use std::collections::BTreeMap;

use governance::template::{RenderedFile, Template};
pub use governance::template_form::{definition_from_form, thresholds_text};
use governance::ProjectId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A template's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplatePageView {
    /// Newest first.
    pub versions: Vec<Template>,
    pub usage: Vec<(u32, ProjectId)>,
    /// The newest version rendered with its sample values, or why it does not render.
    pub preview: Result<Vec<RenderedFile>, String>,
}

#[server(prefix = "/fn", endpoint = "templates")]
pub async fn templates() -> Result<Vec<Template>, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    portal()?.service.templates(&actor).await.map_err(reply)
}

#[server(prefix = "/fn", endpoint = "template_page")]
pub async fn template_page(id: String) -> Result<TemplatePageView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let actor = governance::Actor::Person(require_principal().await?);
    let service = portal()?.service;
    let id = governance::template::TemplateId(id);
    let overview = service.template_overview(&actor, &id).await.map_err(reply)?;
    let newest = overview.versions.first().map(|t| t.version).unwrap_or(1);
    let preview = service.preview_template(&actor, &id, newest).await.map_err(|e| e.to_string());
    Ok(TemplatePageView { versions: overview.versions, usage: overview.usage, preview })
}

/// Saves the editor's form: a new template (`creating` = "true") or an edit (a new version once published).
#[server(prefix = "/fn", endpoint = "save_template")]
pub async fn save_template(id: String, creating: String, form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::service::ServiceError;
    let principal = require_principal().await?;
    let mut submitted = form.clone();
    submitted.insert("id".into(), id.clone());
    let invalid = |e: governance::FieldError| reply(AppError::invalid(e, submitted.clone()));
    let service = portal()?.service;
    // Who may edit is decided before the form is read, so a refusal is a refusal and not a form error.
    service
        .may(&governance::Actor::Person(principal.clone()), &governance::authz::Action::ManageTemplates)
        .map_err(reply)?;
    let definition = definition_from_form(&form).map_err(invalid)?;
    let saved = service.save_template(&principal, &id, creating == "true", definition).await.map_err(|e| match e {
        ServiceError::Invalid(f) => invalid(f),
        other => reply(other),
    })?;
    leptos_axum::redirect(&format!("/templates/{}", saved.id));
    Ok(())
}

/// Checks the editor's form as it is being filled in, without saving: the same checks as saving, so the
/// first problem (named by its place) shows before the admin presses Save.
#[server(prefix = "/fn", endpoint = "check_template")]
pub async fn check_template(id: String, creating: String, form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let definition = definition_from_form(&form).map_err(|e| reply(AppError::invalid(e, BTreeMap::new())))?;
    portal()?.service.check_template(&principal, &id, creating == "true", &definition).await.map(|_| ()).map_err(reply)
}

/// Publishes (`Publish`) or deprecates (`Deprecate`) a version.
#[server(prefix = "/fn", endpoint = "set_template_status")]
pub async fn set_template_status(id: String, version: String, to: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let version: u32 = version.parse().map_err(|_| {
        reply(AppError::invalid(governance::FieldError::new("version", "must be a number"), BTreeMap::new()))
    })?;
    let id = governance::template::TemplateId(id);
    let service = portal()?.service;
    match to.as_str() {
        "Publish" => service.publish_template(&principal, &id, version).await,
        "Deprecate" => service.deprecate_template(&principal, &id, version).await,
        _ => {
            return Err(reply(AppError::invalid(
                governance::FieldError::new("to", "must be Publish or Deprecate"),
                BTreeMap::new(),
            )))
        }
    }
    .map_err(reply)
}
