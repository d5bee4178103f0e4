//! Project templates (step 1 of the path): admins save, publish and deprecate them.

use crate::authz::{authorize, Action};
use crate::events::EventEnvelope;
use crate::path_events::PathEvent;
use crate::ports::Effects;
use crate::template::{self, Template, TemplateDefinition, TemplateId, TemplateStatus};
use crate::{Actor, FieldError, Principal, ProjectId};

use super::{audit, conflict, Service, ServiceError};

/// A template with the projects made from each of its versions.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateOverview {
    pub versions: Vec<Template>,
    pub usage: Vec<(u32, ProjectId)>,
}

/// A template version's move between statuses, and how the audit log names it.
struct StatusChange {
    from: TemplateStatus,
    to: TemplateStatus,
    action: &'static str,
}

impl Service {
    /// Every template's newest version.
    pub async fn templates(&self, actor: &Actor) -> Result<Vec<Template>, ServiceError> {
        authorize(actor, &Action::Read)?;
        Ok(self.ports.templates.templates().await?)
    }

    /// A template's versions (newest first) and which projects use which.
    pub async fn template_overview(&self, actor: &Actor, id: &TemplateId) -> Result<TemplateOverview, ServiceError> {
        authorize(actor, &Action::Read)?;
        let versions = self.ports.templates.template_versions(id).await?;
        if versions.is_empty() {
            return Err(ServiceError::NotFound(format!("template {id}")));
        }
        Ok(TemplateOverview { usage: self.ports.templates.template_usage(id).await?, versions })
    }

    pub(crate) async fn template_version(&self, id: &TemplateId, version: u32) -> Result<Template, ServiceError> {
        self.ports
            .templates
            .template_versions(id)
            .await?
            .into_iter()
            .find(|t| t.version == version)
            .ok_or_else(|| ServiceError::NotFound(format!("template {id} version {version}")))
    }

    /// The newest published version of a template.
    pub(crate) async fn published(&self, id: &TemplateId) -> Result<Option<Template>, ServiceError> {
        Ok(self
            .ports
            .templates
            .template_versions(id)
            .await?
            .into_iter()
            .find(|t| t.status == TemplateStatus::Published))
    }

    /// Checks an admin's edit without saving it (the editor calls this as fields change): the same checks as
    /// saving. Returns the id and the template's stored versions, newest first.
    pub async fn check_template(
        &self,
        principal: &Principal,
        id: &str,
        creating: bool,
        definition: &TemplateDefinition,
    ) -> Result<(TemplateId, Vec<Template>), ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageTemplates)?;
        let id = TemplateId::parse(id).map_err(|e| FieldError::new("id", e.message))?;
        definition.validate()?;
        let versions = self.ports.templates.template_versions(&id).await?;
        if creating && !versions.is_empty() {
            return Err(FieldError::new("id", format!("a template named {id} exists already; pick another id")).into());
        }
        Ok((id, versions))
    }

    /// Saves an admin's edit. A new template starts at version 1 as a Draft; editing a Draft replaces it;
    /// editing a published or deprecated version makes the next version, a Draft. Returns the saved version.
    #[tracing::instrument(skip(self, principal, definition), fields(subject = %principal.subject))]
    pub async fn save_template(
        &self,
        principal: &Principal,
        id: &str,
        creating: bool,
        definition: TemplateDefinition,
    ) -> Result<Template, ServiceError> {
        let (id, versions) = self.check_template(principal, id, creating, &definition).await?;
        let version = match versions.first() {
            None => 1,
            Some(latest) if latest.status == TemplateStatus::Draft => latest.version,
            Some(latest) => latest.version + 1,
        };
        let now = self.ports.clock.now();
        let template = Template {
            id: id.clone(),
            version,
            status: TemplateStatus::Draft,
            definition,
            updated_by: principal.subject.clone(),
            updated_at: now,
        };
        let record = audit(
            now,
            &principal.subject,
            "template.save",
            &format!("{id}/{version}"),
            serde_json::json!({ "name": template.definition.name, "files": template.definition.files.len() }),
        );
        self.ports
            .templates
            .save_template(&template, Effects { events: vec![], audit: vec![record] })
            .await
            .map_err(conflict("This version was published a moment ago: reload to edit the next version."))?;
        Ok(template)
    }

    /// Publishes a Draft version (emits `TemplatePublished`); it is offered to new projects from then on.
    pub async fn publish_template(
        &self,
        principal: &Principal,
        id: &TemplateId,
        version: u32,
    ) -> Result<(), ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageTemplates)?;
        let template = self.template_version(id, version).await?;
        // Checked again: a draft stored before a rule tightened must not be published unchecked.
        template.definition.validate()?;
        let now = self.ports.clock.now();
        let event = self.path_envelope(
            PathEvent::TemplatePublished {
                template: id.clone(),
                version,
                name: template.definition.name.clone(),
                kind: template.definition.kind.clone(),
                published_by: principal.subject.clone(),
            },
            now,
        );
        let change =
            StatusChange { from: TemplateStatus::Draft, to: TemplateStatus::Published, action: "template.publish" };
        self.change_template_status(
            principal,
            id,
            version,
            change,
            event,
            "Only a draft can be published, and this version is not one (any more): reload the page.",
        )
        .await
    }

    /// Moves a version from one status to another with its event and audit record, in one write; refused
    /// with `refusal` when the version is not (any more) in the `from` status.
    async fn change_template_status(
        &self,
        principal: &Principal,
        id: &TemplateId,
        version: u32,
        change: StatusChange,
        event: EventEnvelope,
        refusal: &'static str,
    ) -> Result<(), ServiceError> {
        let record = audit(
            event.time,
            &principal.subject,
            change.action,
            &format!("{id}/{version}"),
            serde_json::json!({ "event": event.id }),
        );
        self.ports
            .templates
            .set_template_status(
                id,
                version,
                change.from,
                change.to,
                Effects { events: vec![event], audit: vec![record] },
            )
            .await
            .map_err(conflict(refusal))
    }

    /// Deprecates a published version: no new projects from it; its projects keep working.
    pub async fn deprecate_template(
        &self,
        principal: &Principal,
        id: &TemplateId,
        version: u32,
    ) -> Result<(), ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageTemplates)?;
        self.template_version(id, version).await?;
        let now = self.ports.clock.now();
        let event = self.path_envelope(
            PathEvent::TemplateDeprecated { template: id.clone(), version, deprecated_by: principal.subject.clone() },
            now,
        );
        let change = StatusChange {
            from: TemplateStatus::Published,
            to: TemplateStatus::Deprecated,
            action: "template.deprecate",
        };
        self.change_template_status(
            principal,
            id,
            version,
            change,
            event,
            "Only a published version can be deprecated: reload the page.",
        )
        .await
    }

    /// Renders a template version with the sample values its definition was checked with (defaults, else a
    /// value of each field's kind), creating nothing.
    pub async fn preview_template(
        &self,
        actor: &Actor,
        id: &TemplateId,
        version: u32,
    ) -> Result<Vec<template::RenderedFile>, ServiceError> {
        authorize(actor, &Action::Read)?;
        let t = self.template_version(id, version).await?;
        let values = template::sample_values(&t.definition.fields)?;
        Ok(template::render(&t.definition, &template::sample_project(), &values)?)
    }
}
