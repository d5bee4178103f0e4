//! The service for the path's first steps: templates (admins), projects made from them and their
//! provisioning (data scientists, the provisioner), and governed data access (producers and consumers).

use std::collections::{BTreeMap, BTreeSet};

use crate::audit::AuditRecord;
use crate::authz::{authorize, Action};
use crate::catalog::{Dataset, DatasetInput, Subscription, SubscriptionStatus};
use crate::deployment::ConfigCommit;
use crate::events::EventEnvelope;
use crate::path_events::{PathEvent, SubscriptionRef};
use crate::ports::{Effects, RepositoryError, StoreError, SubscriptionFilter};
use crate::project::Project;
use crate::provisioning::{
    repository_name, ProjectSetup, Provisioning, ProvisioningState, RepositoryRef, UpgradeRecord,
};
use crate::service::{Service, ServiceError};
use crate::template::{
    self, ParamValue, ProjectRef, RenderedFile, Template, TemplateDefinition, TemplateId, TemplateStatus, Tree,
};
use crate::{Actor, Denial, DenialCode, EventId, FieldError, Persona, Principal, ProjectId, Subject};

/// A template with the projects made from each of its versions.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateOverview {
    pub versions: Vec<Template>,
    pub usage: Vec<(u32, ProjectId)>,
}

/// What a project needs to be created.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    pub id: String,
    pub name: String,
    pub description: String,
    pub template: TemplateId,
    /// Parameter values as typed, by parameter name.
    pub parameters: BTreeMap<String, String>,
    /// `subject: Persona, ...` per line.
    pub members: String,
}

/// A template version's move between statuses, and how the audit log names it.
struct StatusChange {
    from: TemplateStatus,
    to: TemplateStatus,
    action: &'static str,
}

/// A new project's form, checked: what creating it needs.
#[derive(Debug, Clone)]
pub struct CheckedProject {
    pub template: Template,
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub values: BTreeMap<String, ParamValue>,
    pub members: BTreeMap<Subject, BTreeSet<Persona>>,
}

/// A newer template version a project may upgrade to, with the diff of its rendered files.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeOffer {
    pub from_version: u32,
    pub to_version: u32,
    /// Unified diff per repository.
    pub diffs: Vec<(Tree, String)>,
}

/// A project page's data.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectDetail {
    pub setup: ProjectSetup,
    pub subscriptions: Vec<Subscription>,
    pub upgrade: Option<UpgradeOffer>,
}

fn audit(
    at: chrono::DateTime<chrono::Utc>,
    actor: &Subject,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> AuditRecord {
    AuditRecord { at, actor: actor.clone(), action: action.into(), target: target.into(), detail }
}

fn conflict(message: &str) -> impl Fn(StoreError) -> ServiceError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict(message.to_string()),
        other => other.into(),
    }
}

impl Service {
    fn path_envelope(&self, event: PathEvent, at: chrono::DateTime<chrono::Utc>) -> EventEnvelope {
        event.envelope(EventId(self.ids.new_id("evt")), at, &self.origin)
    }

    /// Every template's newest version.
    pub async fn templates(&self, actor: &Actor) -> Result<Vec<Template>, ServiceError> {
        authorize(actor, &Action::Read)?;
        Ok(self.templates.templates().await?)
    }

    /// A template's versions (newest first) and which projects use which.
    pub async fn template_overview(&self, actor: &Actor, id: &TemplateId) -> Result<TemplateOverview, ServiceError> {
        authorize(actor, &Action::Read)?;
        let versions = self.templates.template_versions(id).await?;
        if versions.is_empty() {
            return Err(ServiceError::NotFound(format!("template {id}")));
        }
        Ok(TemplateOverview { usage: self.templates.template_usage(id).await?, versions })
    }

    async fn template_version(&self, id: &TemplateId, version: u32) -> Result<Template, ServiceError> {
        self.templates
            .template_versions(id)
            .await?
            .into_iter()
            .find(|t| t.version == version)
            .ok_or_else(|| ServiceError::NotFound(format!("template {id} version {version}")))
    }

    /// The newest published version of a template.
    async fn published(&self, id: &TemplateId) -> Result<Option<Template>, ServiceError> {
        Ok(self.templates.template_versions(id).await?.into_iter().find(|t| t.status == TemplateStatus::Published))
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
        let versions = self.templates.template_versions(&id).await?;
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
        let now = self.clock.now();
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
        self.templates
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
        let now = self.clock.now();
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
        self.templates
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
        let now = self.clock.now();
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

    /// Renders a template version with sample (default) values, creating nothing.
    pub async fn preview_template(
        &self,
        actor: &Actor,
        id: &TemplateId,
        version: u32,
    ) -> Result<Vec<template::RenderedFile>, ServiceError> {
        authorize(actor, &Action::Read)?;
        let t = self.template_version(id, version).await?;
        let sample: BTreeMap<String, String> = BTreeMap::new();
        let values = template::parse_values(&t.definition.fields, &sample).unwrap_or_default();
        Ok(template::render(&t.definition, &template::sample_project(), &values)?)
    }

    /// Checks a new project's form without creating anything (the form calls this as fields change): the same
    /// checks as creating it, including that every file renders with the values.
    pub async fn check_project(&self, principal: &Principal, new: &NewProject) -> Result<CheckedProject, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::CreateProject)?;
        let template = self
            .published(&new.template)
            .await?
            .ok_or_else(|| FieldError::new("template", format!("{} has no published version", new.template)))?;
        let id = ProjectId::parse(&new.id).map_err(|e| FieldError::new("id", e.message))?;
        let name = crate::error::text_field("name", &new.name, true, 120)?;
        let description = crate::error::text_field("description", &new.description, false, 2000)?;
        let values = template::parse_values(&template.definition.fields, &new.parameters)?;
        let mut members = crate::provisioning::parse_members(&new.members)?;
        members.entry(principal.subject.clone()).or_default().insert(Persona::DataScientist);
        if self.directory.project(&id).await?.is_some() {
            return Err(FieldError::new(
                "id",
                format!("a project named {id} exists already; its repositories would collide"),
            )
            .into());
        }
        // Rendering now refuses a value that breaks a file before anything is created.
        template::render(&template.definition, &ProjectRef { id: id.clone(), name: name.clone() }, &values)?;
        Ok(CheckedProject { template, id, name, description, values, members })
    }

    /// Creates a project from the newest published version of a template and emits `CreateProject`; the
    /// provisioner then makes its repositories. The creator is a Data Scientist of it.
    #[tracing::instrument(skip(self, principal, new), fields(subject = %principal.subject, project = %new.id))]
    pub async fn create_project(&self, principal: &Principal, new: NewProject) -> Result<ProjectSetup, ServiceError> {
        let CheckedProject { template, id, name, description, values, members } =
            self.check_project(principal, &new).await?;
        let now = self.clock.now();
        let event = self.path_envelope(
            PathEvent::CreateProject {
                project: id.clone(),
                name: name.clone(),
                template: template.id.clone(),
                template_version: template.version,
                parameters: values.clone(),
                members: members.iter().map(|(s, p)| (s.clone(), p.iter().copied().collect())).collect(),
                created_by: principal.subject.clone(),
            },
            now,
        );
        let setup = ProjectSetup {
            project: Project {
                id: id.clone(),
                name,
                template: template.definition.name.clone(),
                description,
                policy: template.definition.policy.clone(),
            },
            template: template.id.clone(),
            template_version: template.version,
            parameters: values,
            members,
            created_by: principal.subject.clone(),
            created_at: now,
            create_event: event.id.clone(),
            provisioning: Provisioning::default(),
            upgrades: Vec::new(),
        };
        let record = audit(
            now,
            &principal.subject,
            "project.create",
            id.as_str(),
            serde_json::json!({ "template": template.id, "version": template.version, "event": event.id }),
        );
        self.projects.create_project(&setup, Effects { events: vec![event], audit: vec![record] }).await.map_err(
            |e| match e {
                StoreError::Conflict(_) => {
                    ServiceError::Invalid(FieldError::new("id", format!("a project named {id} exists already")))
                }
                other => other.into(),
            },
        )?;
        Ok(setup)
    }

    /// Projects made from templates, newest first.
    pub async fn project_setups(&self, actor: &Actor) -> Result<Vec<ProjectSetup>, ServiceError> {
        authorize(actor, &Action::Read)?;
        Ok(self.projects.project_setups(crate::ports::Window::new(0, crate::ports::Window::MAX_LIMIT)).await?.items)
    }

    /// A project's page: its setup and provisioning, subscriptions, and an upgrade on offer.
    pub async fn project_detail(&self, actor: &Actor, id: &ProjectId) -> Result<ProjectDetail, ServiceError> {
        authorize(actor, &Action::Read)?;
        let setup =
            self.projects.project_setup(id).await?.ok_or_else(|| ServiceError::NotFound(format!("project {id}")))?;
        let subscriptions =
            self.catalog.subscriptions(&SubscriptionFilter { project: Some(id.clone()), ..Default::default() }).await?;
        let upgrade = self.upgrade_offer(&setup).await?;
        Ok(ProjectDetail { setup, subscriptions, upgrade })
    }

    async fn upgrade_offer(&self, setup: &ProjectSetup) -> Result<Option<UpgradeOffer>, ServiceError> {
        let Some(latest) = self.published(&setup.template).await? else { return Ok(None) };
        let offered = setup.upgrades.iter().map(|u| u.to_version).max().unwrap_or(setup.template_version);
        if latest.version <= offered || setup.provisioning.state != ProvisioningState::Succeeded {
            return Ok(None);
        }
        let current = self.template_version(&setup.template, setup.template_version).await?;
        let project = ProjectRef { id: setup.project.id.clone(), name: setup.project.name.clone() };
        let old = template::render(&current.definition, &project, &setup.parameters)?;
        let new = template::render(&latest.definition, &project, &self.upgraded_values(setup, &latest)?)?;
        let diffs = Tree::ALL.into_iter().map(|t| (t, template::diff(t, &old, &new))).collect();
        Ok(Some(UpgradeOffer { from_version: setup.template_version, to_version: latest.version, diffs }))
    }

    /// The project's values carried over to a newer version; new parameters take their defaults.
    fn upgraded_values(
        &self,
        setup: &ProjectSetup,
        to: &Template,
    ) -> Result<BTreeMap<String, ParamValue>, ServiceError> {
        let typed: BTreeMap<String, String> = setup.parameters.iter().map(|(k, v)| (k.clone(), v.to_form())).collect();
        Ok(template::parse_values(&to.definition.fields, &typed)?)
    }

    /// Commits the newer template version's rendering on a branch of each repository, for review.
    pub async fn upgrade_project(
        &self,
        principal: &Principal,
        id: &ProjectId,
        to_version: u32,
    ) -> Result<UpgradeRecord, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageProject(id.clone()))?;
        let mut setup =
            self.projects.project_setup(id).await?.ok_or_else(|| ServiceError::NotFound(format!("project {id}")))?;
        let offer = self.upgrade_offer(&setup).await?.filter(|o| o.to_version == to_version).ok_or_else(|| {
            Denial::new(
                DenialCode::NotAwaitingDecision,
                format!("There is no upgrade to version {to_version} on offer for {id}: reload the page."),
            )
        })?;
        let latest = self.template_version(&setup.template, offer.to_version).await?;
        let project = ProjectRef { id: id.clone(), name: setup.project.name.clone() };
        let files = template::render(&latest.definition, &project, &self.upgraded_values(&setup, &latest)?)?;
        let branch = format!("template-upgrade-v{to_version}");
        let marker = format!("{}-upgrade-{to_version}", setup.create_event);
        let mut commits = BTreeMap::new();
        for repo in &setup.provisioning.repositories {
            let tree_files: Vec<_> = files.iter().filter(|f| f.tree == repo.tree).cloned().collect();
            let message = format!(
                "Upgrade to template {} version {to_version}\n\nProposed by {} for review.\n\nPortal-Event: {marker}\n",
                setup.template, principal.subject
            );
            let commit = self
                .repositories
                .commit(&repo.name, &branch, Some("main"), &tree_files, &message, &marker, true)
                .await
                .map_err(|e| ServiceError::Conflict(format!("The upgrade could not be committed: {e}")))?;
            commits.insert(repo.name.clone(), commit);
        }
        let now = self.clock.now();
        let upgrade = UpgradeRecord { to_version, branch, commits, by: principal.subject.clone(), at: now };
        setup.upgrades.push(upgrade.clone());
        let record = audit(
            now,
            &principal.subject,
            "project.upgrade",
            id.as_str(),
            serde_json::to_value(&upgrade).unwrap_or_default(),
        );
        self.projects.update_setup(&setup, Effects { events: vec![], audit: vec![record] }).await?;
        Ok(upgrade)
    }

    /// Commits a deployment config to the deploy repository of the version's project as
    /// `config/{environment}.json` on `main`, so what CI deploys is what was reviewed. None when the project
    /// has no provisioned deploy repository (it was not made from a template).
    pub(crate) async fn commit_deployment_config(
        &self,
        principal: &Principal,
        version: &crate::model::ModelVersion,
        environment: crate::Environment,
        config: &crate::deployment::DeploymentConfig,
    ) -> Result<Option<ConfigCommit>, ServiceError> {
        let Some(setup) = self.projects.project_setup(&version.project).await? else { return Ok(None) };
        let Some(repo) = setup.provisioning.repositories.iter().find(|r| r.tree == Tree::Deploy) else {
            return Ok(None);
        };
        let path = format!("config/{}.json", environment.as_str().to_lowercase());
        let content = serde_json::to_string_pretty(&serde_json::json!({
            "model_version": version.id,
            "model_group": version.group,
            "environment": environment,
            "config": config,
        }))
        .unwrap_or_default()
            + "\n";
        // Each save is its own commit (saving A, then B, then A again must leave A at the tip).
        let marker = self.ids.new_id("cfg");
        let message = format!(
            "{environment} deployment config for {}\n\nSaved by {} in the portal.\n\nPortal-Event: {marker}\n",
            version.id, principal.subject
        );
        let file = RenderedFile { tree: Tree::Deploy, path: path.clone(), content };
        let commit = self
            .repositories
            .commit(&repo.name, "main", None, &[file], &message, &marker, false)
            .await
            .map_err(|e| {
                ServiceError::Conflict(format!("The deployment config could not be committed to {}: {e}", repo.name))
            })?;
        Ok(Some(ConfigCommit { repository: repo.name.clone(), path, commit }))
    }

    /// Runs provisioning again after a failure (the same steps; nothing made twice).
    pub async fn retry_provisioning(
        &self,
        principal: &Principal,
        id: &ProjectId,
    ) -> Result<ProjectSetup, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageProject(id.clone()))?;
        let setup =
            self.projects.project_setup(id).await?.ok_or_else(|| ServiceError::NotFound(format!("project {id}")))?;
        if setup.provisioning.state == ProvisioningState::Succeeded {
            return Ok(setup);
        }
        self.provision(id, &setup.create_event).await?;
        self.projects.project_setup(id).await?.ok_or_else(|| ServiceError::NotFound(format!("project {id}")))
    }

    /// The provisioner: makes the project's `build` and `deploy` repositories, renders the template's files
    /// and commits them, recording each step. Idempotent on the `CreateProject` event: a repository made by an
    /// earlier attempt is reused and a commit carrying the event id is not made again. A failure is recorded
    /// on the project with its cause (and not retried by itself: a broken folder does not heal on its own;
    /// Retry on the project page runs it again).
    #[tracing::instrument(skip(self))]
    pub async fn provision(&self, id: &ProjectId, event: &EventId) -> Result<(), ServiceError> {
        let Some(mut setup) = self.projects.project_setup(id).await? else {
            return Err(ServiceError::NotFound(format!("project {id}")));
        };
        if setup.create_event != *event || setup.provisioning.state == ProvisioningState::Succeeded {
            tracing::info!("already provisioned or not this project's event; nothing to do");
            return Ok(());
        }
        let attempts = setup.provisioning.attempts + 1;
        setup.provisioning = Provisioning { state: ProvisioningState::InProgress, attempts, ..Provisioning::default() };
        self.projects.update_setup(&setup, Effects::default()).await?;
        let outcome = self.provision_steps(&mut setup).await;
        let now = self.clock.now();
        let system = Subject("portal:provisioner".into());
        let effects = match outcome {
            Ok(()) => {
                setup.provisioning.state = ProvisioningState::Succeeded;
                let repositories = setup.provisioning.repositories.iter().map(|r| r.clone_url.clone()).collect();
                let event = self.path_envelope(
                    PathEvent::ProjectProvisioned {
                        project: id.clone(),
                        repositories,
                        triggering_event: event.clone(),
                    },
                    now,
                );
                let record = audit(
                    now,
                    &system,
                    "project.provisioned",
                    id.as_str(),
                    serde_json::json!({ "attempt": attempts, "repositories": setup.provisioning.repositories }),
                );
                Effects { events: vec![event], audit: vec![record] }
            }
            Err(cause) => {
                tracing::warn!(%cause, "provisioning failed");
                setup.provisioning.state = ProvisioningState::Failed;
                setup.provisioning.error = Some(cause.clone());
                Effects {
                    events: vec![],
                    audit: vec![audit(
                        now,
                        &system,
                        "project.provisioning_failed",
                        id.as_str(),
                        serde_json::json!({ "attempt": attempts, "cause": cause }),
                    )],
                }
            }
        };
        self.projects.update_setup(&setup, effects).await?;
        Ok(())
    }

    async fn provision_steps(&self, setup: &mut ProjectSetup) -> Result<(), String> {
        let id = setup.project.id.clone();
        let template =
            self.template_version(&setup.template, setup.template_version).await.map_err(|e| e.to_string())?;
        let project = ProjectRef { id: id.clone(), name: setup.project.name.clone() };
        let files = template::render(&template.definition, &project, &setup.parameters).map_err(|e| e.to_string())?;
        setup.provisioning.steps.push(format!(
            "Rendered {} files of template {} version {}",
            files.len(),
            setup.template,
            setup.template_version
        ));
        let owner = format!("{id} {}", setup.create_event);
        for tree in Tree::ALL {
            let name = repository_name(&id, tree);
            let clone_url = self.repositories.ensure(&name, &owner).await.map_err(|e| match e {
                RepositoryError::Collision(_) => {
                    format!("Creating repository {name}: {e}; rename the project or remove the old repository")
                }
                RepositoryError::Failed(why) => format!("Creating repository {name}: {why}"),
            })?;
            setup.provisioning.steps.push(format!("Repository {name} is ready"));
            self.projects.update_setup(setup, Effects::default()).await.map_err(|e| e.to_string())?;
            let tree_files: Vec<_> = files.iter().filter(|f| f.tree == tree).cloned().collect();
            let message = format!(
                "Project {id} from template {} version {}\n\nRendered by the governance portal.\n\nPortal-Event: {}\n",
                setup.template, setup.template_version, setup.create_event
            );
            let commit = self
                .repositories
                .commit(&name, "main", None, &tree_files, &message, setup.create_event.as_str(), true)
                .await
                .map_err(|e| format!("Committing the {} files to {name}: {e}", tree.as_str()))?;
            setup.provisioning.steps.push(format!(
                "Committed {} files to {name} ({})",
                tree_files.len(),
                &commit[..commit.len().min(12)]
            ));
            setup.provisioning.repositories.push(RepositoryRef { tree, name, clone_url, commit });
            self.projects.update_setup(setup, Effects::default()).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The in-process consumer of the path events: `CreateProject` provisions.
    pub(crate) async fn handle_path_event(
        &self,
        envelope: &EventEnvelope,
        event: PathEvent,
    ) -> Result<(), ServiceError> {
        match event {
            PathEvent::CreateProject { project, .. } => self.provision(&project, &envelope.id).await,
            _ => Ok(()),
        }
    }

    // ---- the catalog -------------------------------------------------------------------------------------

    pub async fn datasets(&self, actor: &Actor) -> Result<Vec<Dataset>, ServiceError> {
        authorize(actor, &Action::Read)?;
        Ok(self.catalog.datasets().await?)
    }

    /// Registers a dataset (the registrant is its producer) or edits one (its producer only).
    pub async fn save_dataset(
        &self,
        principal: &Principal,
        input: DatasetInput,
        new: bool,
    ) -> Result<Dataset, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::RegisterDataset)?;
        let dataset = input.parse(principal.subject.clone())?;
        if !new {
            let stored = self
                .catalog
                .dataset(&dataset.id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("dataset {}", dataset.id)))?;
            if stored.producer != principal.subject {
                return Err(Denial::new(
                    DenialCode::Forbidden,
                    format!("Only the dataset's producer ({}) may edit it.", stored.producer),
                )
                .into());
            }
        }
        let now = self.clock.now();
        let record = audit(
            now,
            &principal.subject,
            if new { "dataset.register" } else { "dataset.edit" },
            &dataset.id,
            serde_json::json!({ "location": dataset.location, "classification": dataset.classification }),
        );
        self.catalog.save_dataset(&dataset, new, Effects { events: vec![], audit: vec![record] }).await.map_err(
            |e| match e {
                StoreError::Conflict(_) => ServiceError::Invalid(FieldError::new(
                    "id",
                    format!("a dataset named {} exists already", dataset.id),
                )),
                other => other.into(),
            },
        )?;
        Ok(dataset)
    }

    /// A data scientist of the project asks the dataset's producer for access.
    pub async fn request_subscription(
        &self,
        principal: &Principal,
        project: &ProjectId,
        dataset: &str,
        justification: &str,
    ) -> Result<Subscription, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageProject(project.clone()))?;
        self.project_or_404(project).await?;
        let dataset = self
            .catalog
            .dataset(dataset)
            .await?
            .ok_or_else(|| FieldError::new("dataset", format!("there is no dataset {dataset} in the catalog")))?;
        let justification = crate::error::text_field("justification", justification, true, 2000)?;
        let open = self
            .catalog
            .subscriptions(&SubscriptionFilter { project: Some(project.clone()), ..Default::default() })
            .await?;
        if open.iter().any(|s| {
            s.dataset == dataset.id && matches!(s.status, SubscriptionStatus::Requested | SubscriptionStatus::Approved)
        }) {
            return Err(
                FieldError::new("dataset", format!("{project} has already requested or holds {}", dataset.id)).into()
            );
        }
        let now = self.clock.now();
        let subscription = Subscription {
            id: self.ids.new_id("sub"),
            dataset: dataset.id.clone(),
            project: project.clone(),
            requested_by: principal.subject.clone(),
            justification: justification.clone(),
            status: SubscriptionStatus::Requested,
            decided_by: None,
            reason: String::new(),
            requested_at: now,
            decided_at: None,
        };
        let event = self.path_envelope(
            PathEvent::DatasetSubscriptionRequested {
                subscription: sub_ref(&subscription, &dataset),
                requested_by: principal.subject.clone(),
                justification,
            },
            now,
        );
        let record = audit(
            now,
            &principal.subject,
            "subscription.request",
            &subscription.id,
            serde_json::json!({ "dataset": dataset.id, "project": project, "event": event.id }),
        );
        self.catalog
            .save_subscription(&subscription, None, Effects { events: vec![event], audit: vec![record] })
            .await?;
        Ok(subscription)
    }

    /// The producer approves or rejects a request, or (anyone who may manage the project, or the producer)
    /// revokes an approved subscription. A reason is required.
    pub async fn decide_subscription(
        &self,
        principal: &Principal,
        id: &str,
        to: SubscriptionStatus,
        reason: &str,
    ) -> Result<Subscription, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::Read)?;
        let mut subscription =
            self.catalog.subscription(id).await?.ok_or_else(|| ServiceError::NotFound(format!("subscription {id}")))?;
        let dataset = self
            .catalog
            .dataset(&subscription.dataset)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("dataset {}", subscription.dataset)))?;
        let producer = dataset.producer == principal.subject;
        let from = match to {
            SubscriptionStatus::Approved | SubscriptionStatus::Rejected => {
                if !producer {
                    return Err(Denial::new(
                        DenialCode::Forbidden,
                        format!("Only the dataset's producer ({}) may decide this request.", dataset.producer),
                    )
                    .into());
                }
                SubscriptionStatus::Requested
            }
            SubscriptionStatus::Revoked => {
                if !producer && !principal.has(&subscription.project, Persona::DataScientist) {
                    return Err(Denial::new(
                        DenialCode::Forbidden,
                        format!(
                            "Only the dataset's producer or a Data Scientist of {} may revoke it.",
                            subscription.project
                        ),
                    )
                    .into());
                }
                SubscriptionStatus::Approved
            }
            SubscriptionStatus::Requested => {
                return Err(FieldError::new("decision", "must be Approved, Rejected or Revoked").into())
            }
        };
        if subscription.status != from {
            return Err(Denial::new(
                DenialCode::NotAwaitingDecision,
                format!("This subscription is {}, so it cannot become {}.", subscription.status.as_str(), to.as_str()),
            )
            .into());
        }
        let reason = crate::error::text_field("reason", reason, true, 2000)?;
        let now = self.clock.now();
        subscription.status = to;
        subscription.decided_by = Some(principal.subject.clone());
        subscription.reason = reason.clone();
        subscription.decided_at = Some(now);
        let r = sub_ref(&subscription, &dataset);
        let by = principal.subject.clone();
        let event = match to {
            SubscriptionStatus::Approved => {
                PathEvent::DatasetSubscriptionApproved { subscription: r, decided_by: by, reason }
            }
            SubscriptionStatus::Rejected => {
                PathEvent::DatasetSubscriptionRejected { subscription: r, decided_by: by, reason }
            }
            _ => PathEvent::DatasetSubscriptionRevoked { subscription: r, revoked_by: by, reason },
        };
        let event = self.path_envelope(event, now);
        let record = audit(
            now,
            &principal.subject,
            &format!("subscription.{}", to.as_str().to_lowercase()),
            id,
            serde_json::json!({ "dataset": dataset.id, "project": subscription.project, "reason": subscription.reason, "event": event.id }),
        );
        self.catalog
            .save_subscription(&subscription, Some(from), Effects { events: vec![event], audit: vec![record] })
            .await
            .map_err(conflict("Someone decided this request a moment ago: reload the page."))?;
        Ok(subscription)
    }

    /// Requests awaiting this person's decision as a producer (the inbox shows them beside model approvals).
    pub async fn dataset_requests(&self, principal: &Principal) -> Result<Vec<Subscription>, ServiceError> {
        Ok(self
            .catalog
            .subscriptions(&SubscriptionFilter {
                producer: Some(principal.subject.clone()),
                status: Some(SubscriptionStatus::Requested),
                ..Default::default()
            })
            .await?)
    }

    /// A lineage may only name catalog datasets the project is subscribed to.
    pub(crate) async fn check_lineage(
        &self,
        project: &ProjectId,
        training_data: &[String],
    ) -> Result<(), ServiceError> {
        if training_data.is_empty() {
            return Ok(());
        }
        let catalog = self.catalog.datasets().await?;
        let subscriptions = self
            .catalog
            .subscriptions(&SubscriptionFilter { project: Some(project.clone()), ..Default::default() })
            .await?;
        match crate::catalog::unsubscribed(training_data, &catalog, &subscriptions).first() {
            None => Ok(()),
            Some((entry, dataset)) => Err(Denial::new(
                DenialCode::Forbidden,
                format!("The lineage names {entry} (catalog dataset {dataset}), which project {project} is not subscribed to: request access in the catalog first."),
            )
            .into()),
        }
    }

    /// The personas a person holds in projects made in the portal (merged into their sign-in personas).
    pub async fn project_memberships(
        &self,
        subject: &Subject,
    ) -> Result<BTreeMap<ProjectId, BTreeSet<Persona>>, ServiceError> {
        Ok(self.projects.memberships(subject).await?)
    }
}

fn sub_ref(s: &Subscription, d: &Dataset) -> SubscriptionRef {
    SubscriptionRef {
        subscription_id: s.id.clone(),
        dataset: d.id.clone(),
        project: s.project.clone(),
        location: d.location.clone(),
    }
}
