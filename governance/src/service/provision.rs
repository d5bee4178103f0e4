//! The provisioner: a new project's repositories made and filled from its template.

use crate::path_events::PathEvent;
use crate::ports::{Effects, RepositoryError};
use crate::provisioning::{repository_name, ProjectSetup, Provisioning, ProvisioningState, RepositoryRef};
use crate::template::{self, ProjectRef, Repository};
use crate::{EventId, ProjectId, Subject};

use super::{audit, Service, ServiceError};

impl Service {
    /// The provisioner: makes the project's `build` and `deploy` repositories, renders the template's files
    /// and commits them, recording each step. Idempotent on the `CreateProject` event: a repository made by an
    /// earlier attempt is reused and a commit carrying the event id is not made again. A failure is recorded
    /// on the project with its cause (and not retried by itself: a broken folder does not heal on its own;
    /// Retry on the project page runs it again).
    #[tracing::instrument(skip(self))]
    pub async fn provision(&self, id: &ProjectId, event: &EventId) -> Result<(), ServiceError> {
        let Some(mut setup) = self.ports.projects.project_setup(id).await? else {
            return Err(ServiceError::NotFound(format!("project {id}")));
        };
        if setup.create_event != *event || setup.provisioning.state == ProvisioningState::Succeeded {
            tracing::info!("already provisioned or not this project's event; nothing to do");
            return Ok(());
        }
        let attempts = setup.provisioning.attempts + 1;
        setup.provisioning = Provisioning { state: ProvisioningState::InProgress, attempts, ..Provisioning::default() };
        self.ports.projects.update_setup(&setup, Effects::default()).await?;
        let outcome = self.provision_steps(&mut setup).await;
        let now = self.ports.clock.now();
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
        self.ports.projects.update_setup(&setup, effects).await?;
        Ok(())
    }

    pub(crate) async fn provision_steps(&self, setup: &mut ProjectSetup) -> Result<(), String> {
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
        for tree in Repository::ALL {
            let name = repository_name(&id, tree);
            let clone_url = self.ports.repositories.ensure(&name, &owner).await.map_err(|e| match e {
                RepositoryError::Collision(_) => {
                    format!("Creating repository {name}: {e}; rename the project or remove the old repository")
                }
                RepositoryError::Failed(why) => format!("Creating repository {name}: {why}"),
            })?;
            setup.provisioning.steps.push(format!("Repository {name} is ready"));
            self.ports.projects.update_setup(setup, Effects::default()).await.map_err(|e| e.to_string())?;
            let tree_files: Vec<_> = files.iter().filter(|f| f.repository == tree).cloned().collect();
            let message = format!(
                "Project {id} from template {} version {}\n\nRendered by the governance portal.\n\nPortal-Event: {}\n",
                setup.template, setup.template_version, setup.create_event
            );
            let commit = self
                .ports
                .repositories
                .commit(&name, "main", None, &tree_files, &message, setup.create_event.as_str(), true)
                .await
                .map_err(|e| format!("Committing the {} files to {name}: {e}", tree.as_str()))?;
            setup.provisioning.steps.push(format!(
                "Committed {} files to {name} ({})",
                tree_files.len(),
                &commit[..commit.len().min(12)]
            ));
            setup.provisioning.repositories.push(RepositoryRef { repository: tree, name, clone_url, commit });
            self.ports.projects.update_setup(setup, Effects::default()).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
