//! Authorization: who may do which action. Every route, server function and API operation asks here.
//!
//! Decisions on a stage are further checked by [`crate::policy`]; this function decides whether the actor
//! may attempt the action at all.

use serde::{Deserialize, Serialize};

use crate::trust_policy::MachineAction;
use crate::{Actor, Denial, DenialCode, Environment, Persona, ProjectId, Stage};

/// Something an actor asks to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Read pages and records of the portal.
    Read,
    /// Read a project's records through the API.
    ReadProject(ProjectId),
    Decide {
        project: ProjectId,
        stage: Stage,
    },
    SaveDeploymentConfig {
        project: ProjectId,
        environment: Environment,
    },
    RegisterVersion(ProjectId),
    RecordTestResults(ProjectId),
    ReportDeploymentStatus(ProjectId),
    PushMonitoring(ProjectId),
    /// Put an event's delivery back in the queue (operations: the dead-letter list).
    Redeliver,
    /// Create, edit, publish and deprecate project templates.
    ManageTemplates,
    /// Create a project from a published template.
    CreateProject,
    /// Retry provisioning, upgrade the template, request dataset access for a project.
    ManageProject(ProjectId),
    /// Register a dataset in the catalog (the registrant becomes its producer).
    RegisterDataset,
}

/// Whether `actor` may attempt `action`.
///
/// # Errors
/// A [`Denial`]: `NotSignedIn` for anonymous actors, `MissingPersona` or `Forbidden` otherwise.
pub fn authorize(actor: &Actor, action: &Action) -> Result<(), Denial> {
    let person = match actor {
        Actor::Anonymous => return Err(Denial::new(DenialCode::NotSignedIn, "Sign in first.")),
        Actor::Machine(machine) => {
            let (project, needs) = match action {
                Action::ReadProject(p) => (p, None),
                Action::RegisterVersion(p) => (p, Some(MachineAction::RegisterVersion)),
                Action::RecordTestResults(p) => (p, Some(MachineAction::RecordTestResults)),
                Action::ReportDeploymentStatus(p) => (p, Some(MachineAction::ReportDeploymentStatus)),
                Action::PushMonitoring(p) => (p, Some(MachineAction::PushMonitoring)),
                _ => {
                    return Err(Denial::new(
                        DenialCode::Forbidden,
                        "Machines may not take decisions or use the portal's pages.",
                    ))
                }
            };
            if &machine.project != project {
                return Err(Denial::new(
                    DenialCode::Forbidden,
                    format!("This token is for project {}, not {project}.", machine.project),
                ));
            }
            return match needs {
                Some(need) if !machine.may.contains(&need) => Err(Denial::new(
                    DenialCode::Forbidden,
                    format!("The trust policy for this token does not allow {need:?} in project {project}."),
                )),
                _ => Ok(()),
            };
        }
        Actor::Person(person) => person,
    };
    let need = |project: &ProjectId, persona: Persona| {
        if person.has(project, persona) {
            Ok(())
        } else {
            Err(Denial::new(
                DenialCode::MissingPersona,
                format!("Only {} of project {project} may do this.", persona.with_article()),
            ))
        }
    };
    if person.memberships.is_empty() {
        // Signed in through the identity provider, but in no group the settings map to a persona.
        return Err(Denial::new(
            DenialCode::MissingPersona,
            "You hold no persona in any project of this portal; ask an admin to add you to a mapped group.",
        ));
    }
    match action {
        Action::Read | Action::ReadProject(_) => Ok(()),
        Action::Decide { project, stage } => need(project, Persona::deciding(*stage)),
        Action::SaveDeploymentConfig { project, .. } => need(project, Persona::AiEngineer),
        Action::Redeliver if person.personas().contains(&Persona::Admin) => Ok(()),
        Action::Redeliver => Err(Denial::new(DenialCode::MissingPersona, "Only an Admin may redeliver events.")),
        Action::ManageTemplates if person.personas().contains(&Persona::Admin) => Ok(()),
        Action::ManageTemplates => Err(Denial::new(
            DenialCode::MissingPersona,
            "Only an Admin may create, edit, publish or deprecate templates.",
        )),
        Action::CreateProject if person.personas().contains(&Persona::DataScientist) => Ok(()),
        Action::CreateProject => {
            Err(Denial::new(DenialCode::MissingPersona, "Only a Data Scientist may create a project from a template."))
        }
        Action::ManageProject(project) => need(project, Persona::DataScientist),
        // Any person holding a persona may publish data they produce.
        Action::RegisterDataset => Ok(()),
        Action::RegisterVersion(_)
        | Action::RecordTestResults(_)
        | Action::ReportDeploymentStatus(_)
        | Action::PushMonitoring(_) => Err(Denial::new(
            DenialCode::Forbidden,
            "Only CI pipelines and monitors write this, through the API with a CI token.",
        )),
    }
}
