//! Projects made from templates (step 2): creating, reading, upgrading, and who their members are.

use std::collections::{BTreeMap, BTreeSet};

use crate::authz::{authorize, Action};
use crate::catalog::Subscription;
use crate::path_events::PathEvent;
use crate::ports::{Effects, StoreError, SubscriptionFilter};
use crate::project::Project;
use crate::provisioning::{ProjectSetup, Provisioning, ProvisioningState, UpgradeRecord};
use crate::template::{self, ParamValue, ProjectRef, Repository, Template, TemplateId};
use crate::{Actor, Denial, DenialCode, FieldError, Persona, Principal, ProjectId, Subject};

use super::{audit, Service, ServiceError};

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
    pub diffs: Vec<(Repository, String)>,
}

/// A project page's data.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectDetail {
    pub setup: ProjectSetup,
    pub subscriptions: Vec<Subscription>,
    pub upgrade: Option<UpgradeOffer>,
}

impl Service {
    /// A project made from a template, or not found.
    async fn setup_or_404(&self, id: &ProjectId) -> Result<ProjectSetup, ServiceError> {
        self.ports.projects.project_setup(id).await?.ok_or_else(|| ServiceError::NotFound(format!("project {id}")))
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
        // Nobody grants herself a persona she does not hold: the creator is a Data Scientist of her project,
        // and may list herself only with personas she already holds elsewhere.
        if let Some(own) = members.get(&principal.subject) {
            if let Some(persona) = own.iter().find(|p| !principal.holds_anywhere(**p)) {
                return Err(FieldError::new(
                    "members",
                    format!(
                        "you ({}) cannot give yourself the {persona} persona, which you do not hold; ask someone who may grant it",
                        principal.subject
                    ),
                )
                .into());
            }
        }
        members.entry(principal.subject.clone()).or_default().insert(Persona::DataScientist);
        if self.ports.directory.project(&id).await?.is_some() {
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
        let now = self.ports.clock.now();
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
        self.ports
            .projects
            .create_project(&setup, Effects { events: vec![event], audit: vec![record] })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    ServiceError::Invalid(FieldError::new("id", format!("a project named {id} exists already")))
                }
                other => other.into(),
            })?;
        Ok(setup)
    }

    /// Projects made from templates, newest first.
    pub async fn project_setups(&self, actor: &Actor) -> Result<Vec<ProjectSetup>, ServiceError> {
        authorize(actor, &Action::Read)?;
        let all =
            self.ports.projects.project_setups(crate::ports::Window::new(0, crate::ports::Window::MAX_LIMIT)).await?;
        // A person sees the projects she is a member of (an Admin every one).
        let visible = Self::visible_projects(actor);
        Ok(all.items.into_iter().filter(|s| visible.as_ref().is_none_or(|v| v.contains(&s.project.id))).collect())
    }

    /// A project's page: its setup and provisioning, subscriptions, and an upgrade on offer.
    pub async fn project_detail(&self, actor: &Actor, id: &ProjectId) -> Result<ProjectDetail, ServiceError> {
        authorize(actor, &Action::ReadProject(id.clone()))?;
        let setup = self.setup_or_404(id).await?;
        let subscriptions = self
            .ports
            .catalog
            .subscriptions(&SubscriptionFilter { project: Some(id.clone()), ..Default::default() })
            .await?;
        let upgrade = self.upgrade_offer(&setup).await?;
        Ok(ProjectDetail { setup, subscriptions, upgrade })
    }

    pub(crate) async fn upgrade_offer(&self, setup: &ProjectSetup) -> Result<Option<UpgradeOffer>, ServiceError> {
        let Some(latest) = self.published(&setup.template).await? else { return Ok(None) };
        let offered = setup.upgrades.iter().map(|u| u.to_version).max().unwrap_or(setup.template_version);
        if latest.version <= offered || setup.provisioning.state != ProvisioningState::Succeeded {
            return Ok(None);
        }
        let current = self.template_version(&setup.template, setup.template_version).await?;
        let project = ProjectRef { id: setup.project.id.clone(), name: setup.project.name.clone() };
        let old = template::render(&current.definition, &project, &setup.parameters)?;
        let new = template::render(&latest.definition, &project, &self.upgraded_values(setup, &latest)?)?;
        let diffs = Repository::ALL.into_iter().map(|t| (t, template::diff(t, &old, &new))).collect();
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
        let mut setup = self.setup_or_404(id).await?;
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
            let tree_files: Vec<_> = files.iter().filter(|f| f.repository == repo.repository).cloned().collect();
            let message = format!(
                "Upgrade to template {} version {to_version}\n\nProposed by {} for review.\n\nPortal-Event: {marker}\n",
                setup.template, principal.subject
            );
            let commit = self
                .ports
                .repositories
                .commit(&repo.name, &branch, Some("main"), &tree_files, &message, &marker, true)
                .await
                .map_err(|e| ServiceError::Conflict(format!("The upgrade could not be committed: {e}")))?;
            commits.insert(repo.name.clone(), commit);
        }
        let now = self.ports.clock.now();
        let upgrade = UpgradeRecord { to_version, branch, commits, by: principal.subject.clone(), at: now };
        setup.upgrades.push(upgrade.clone());
        let record = audit(
            now,
            &principal.subject,
            "project.upgrade",
            id.as_str(),
            serde_json::to_value(&upgrade).unwrap_or_default(),
        );
        self.ports.projects.update_setup(&setup, Effects { events: vec![], audit: vec![record] }).await?;
        Ok(upgrade)
    }

    /// Runs provisioning again after a failure (the same steps; nothing made twice).
    pub async fn retry_provisioning(
        &self,
        principal: &Principal,
        id: &ProjectId,
    ) -> Result<ProjectSetup, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageProject(id.clone()))?;
        let setup = self.setup_or_404(id).await?;
        if setup.provisioning.state == ProvisioningState::Succeeded {
            return Ok(setup);
        }
        self.provision(id, &setup.create_event).await?;
        self.setup_or_404(id).await
    }

    /// The personas a person holds in projects made in the portal (merged into their sign-in personas).
    pub async fn project_memberships(
        &self,
        subject: &Subject,
    ) -> Result<BTreeMap<ProjectId, BTreeSet<Persona>>, ServiceError> {
        Ok(self.ports.projects.memberships(subject).await?)
    }
}
