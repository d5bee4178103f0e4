//! Authorization: who may do which action. Every route, server function and API operation asks here.
//!
//! Decisions on a stage are further checked by [`crate::policy`]; this function decides whether the actor
//! may attempt the action at all.

use serde::{Deserialize, Serialize};

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
}

/// Whether `actor` may attempt `action`.
///
/// # Errors
/// A [`Denial`]: `NotSignedIn` for anonymous actors, `MissingPersona` or `Forbidden` otherwise.
pub fn authorize(actor: &Actor, action: &Action) -> Result<(), Denial> {
    let person = match actor {
        Actor::Anonymous => return Err(Denial::new(DenialCode::NotSignedIn, "Sign in first.")),
        Actor::Machine(machine) => {
            let project = match action {
                Action::ReadProject(p)
                | Action::RegisterVersion(p)
                | Action::RecordTestResults(p)
                | Action::ReportDeploymentStatus(p)
                | Action::PushMonitoring(p) => p,
                _ => {
                    return Err(Denial::new(
                        DenialCode::Forbidden,
                        "Machines may not take decisions or use the portal's pages.",
                    ))
                }
            };
            return if &machine.project == project {
                Ok(())
            } else {
                Err(Denial::new(
                    DenialCode::Forbidden,
                    format!("This token is for project {}, not {project}.", machine.project),
                ))
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
    match action {
        Action::Read | Action::ReadProject(_) => Ok(()),
        Action::Decide { project, stage } => need(project, Persona::deciding(*stage)),
        Action::SaveDeploymentConfig { project, .. } => need(project, Persona::AiEngineer),
        Action::Redeliver if person.personas().contains(&Persona::Admin) => Ok(()),
        Action::Redeliver => Err(Denial::new(DenialCode::MissingPersona, "Only an Admin may redeliver events.")),
        Action::RegisterVersion(_)
        | Action::RecordTestResults(_)
        | Action::ReportDeploymentStatus(_)
        | Action::PushMonitoring(_) => Err(Denial::new(
            DenialCode::Forbidden,
            "Only CI pipelines and monitors write this, through the API with a project token.",
        )),
    }
}
