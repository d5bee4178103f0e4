//! Authorization: who may do which action, as one table ([`rule`]). Every route, server function and API
//! operation reaches it through the service, which asks [`authorize`] once per action, reads included.
//!
//! Decisions on a stage are further checked by [`crate::policy`]; this table decides whether the actor may
//! attempt the action at all.

use serde::{Deserialize, Serialize};

use crate::trust_policy::MachineAction;
use crate::{Actor, Denial, DenialCode, Environment, Persona, ProjectId, Stage};

/// Something an actor asks to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Read the portal's shared pages: the registry list, the catalog, templates, the inbox.
    Read,
    /// Read one project's records: its versions, their evidence, decisions, test runs, deployments, events.
    ReadProject(ProjectId),
    /// Read the audit log and every project's promotion events (operations and auditors).
    ReadAudit,
    Decide {
        project: ProjectId,
        stage: Stage,
    },
    SaveDeploymentConfig {
        project: ProjectId,
        environment: Environment,
    },
    /// Edit the model card of a version of the project.
    EditModelCard(ProjectId),
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
    /// Register a dataset in the catalog (the registrant becomes its producer), or edit one's own.
    RegisterDataset,
}

/// Who may take an action: one row of the authorization table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Any signed-in person who holds a persona (in a project, or Admin).
    AnyPerson,
    /// A person holding this persona in the action's project, or an Admin; a machine of that project.
    ProjectMember(ProjectId),
    /// A person holding this persona in this project.
    Persona(ProjectId, Persona),
    /// A person holding this persona in some project.
    PersonaAnywhere(Persona),
    /// An Admin (organisation role) or a Governance Engineer of any project.
    AdminOrGovernance,
    /// An organisation Admin.
    Admin,
    /// A CI pipeline or monitor of this project whose trust policy allows this.
    Machine(ProjectId, MachineAction),
}

impl Rule {
    /// The rule as the authorization table in docs/security.md writes it.
    pub fn describe(&self) -> String {
        match self {
            Rule::AnyPerson => "any signed-in person holding a persona".into(),
            Rule::ProjectMember(p) => format!("a member of {p} (any persona), an Admin, or a CI token of {p}"),
            Rule::Persona(p, persona) => format!("{} of {p}", persona.with_article()),
            Rule::PersonaAnywhere(persona) => format!("{} of any project", persona.with_article()),
            Rule::AdminOrGovernance => "an Admin or a Governance Engineer".into(),
            Rule::Admin => "an Admin (organisation role from the identity provider)".into(),
            Rule::Machine(p, a) => format!("a CI token of {p} whose trust policy allows {a:?}"),
        }
    }
}

/// The authorization table: who may take each action.
pub fn rule(action: &Action) -> Rule {
    match action {
        Action::Read | Action::RegisterDataset => Rule::AnyPerson,
        Action::ReadProject(p) => Rule::ProjectMember(p.clone()),
        Action::ReadAudit => Rule::AdminOrGovernance,
        Action::Decide { project, stage } => Rule::Persona(project.clone(), Persona::deciding(*stage)),
        Action::SaveDeploymentConfig { project, .. } => Rule::Persona(project.clone(), Persona::AiEngineer),
        Action::EditModelCard(p) | Action::ManageProject(p) => Rule::Persona(p.clone(), Persona::DataScientist),
        Action::RegisterVersion(p) => Rule::Machine(p.clone(), MachineAction::RegisterVersion),
        Action::RecordTestResults(p) => Rule::Machine(p.clone(), MachineAction::RecordTestResults),
        Action::ReportDeploymentStatus(p) => Rule::Machine(p.clone(), MachineAction::ReportDeploymentStatus),
        Action::PushMonitoring(p) => Rule::Machine(p.clone(), MachineAction::PushMonitoring),
        Action::Redeliver | Action::ManageTemplates => Rule::Admin,
        Action::CreateProject => Rule::PersonaAnywhere(Persona::DataScientist),
    }
}

fn refuse(code: DenialCode, reason: impl Into<String>) -> Result<(), Denial> {
    Err(Denial::new(code, reason))
}

/// Whether `actor` may attempt `action`, by the table of [`rule`].
///
/// # Errors
/// A [`Denial`]: `NotSignedIn` for anonymous actors, `MissingPersona` or `Forbidden` otherwise.
pub fn authorize(actor: &Actor, action: &Action) -> Result<(), Denial> {
    let rule = rule(action);
    let person = match actor {
        Actor::Anonymous => return refuse(DenialCode::NotSignedIn, "Sign in first."),
        Actor::Machine(machine) => {
            let (project, need) = match &rule {
                Rule::ProjectMember(p) => (p, None),
                Rule::Machine(p, need) => (p, Some(*need)),
                _ => {
                    return refuse(DenialCode::Forbidden, "Machines may not take decisions or use the portal's pages.")
                }
            };
            if &machine.project != project {
                return refuse(
                    DenialCode::Forbidden,
                    format!("This token is for project {}, not {project}.", machine.project),
                );
            }
            return match need {
                Some(need) if !machine.may.contains(&need) => refuse(
                    DenialCode::Forbidden,
                    format!("The trust policy for this token does not allow {need:?} in project {project}."),
                ),
                _ => Ok(()),
            };
        }
        Actor::Person(person) => person,
    };
    if person.memberships.is_empty() && !person.admin {
        // Signed in through the identity provider, but in no group the settings map to a persona.
        return refuse(
            DenialCode::MissingPersona,
            "You hold no persona in any project of this portal; ask an admin to add you to a mapped group.",
        );
    }
    match rule {
        Rule::AnyPerson => Ok(()),
        Rule::ProjectMember(p) if person.admin || person.memberships.get(&p).is_some_and(|s| !s.is_empty()) => Ok(()),
        Rule::ProjectMember(p) => {
            refuse(DenialCode::MissingPersona, format!("Only members of project {p} may see its records."))
        }
        Rule::Persona(p, persona) if person.has(&p, persona) => Ok(()),
        Rule::Persona(p, persona) => {
            refuse(DenialCode::MissingPersona, format!("Only {} of project {p} may do this.", persona.with_article()))
        }
        Rule::PersonaAnywhere(persona) if person.holds_anywhere(persona) => Ok(()),
        Rule::PersonaAnywhere(Persona::DataScientist) => {
            refuse(DenialCode::MissingPersona, "Only a Data Scientist may create a project from a template.")
        }
        Rule::PersonaAnywhere(persona) => {
            refuse(DenialCode::MissingPersona, format!("Only {} may do this.", persona.with_article()))
        }
        Rule::AdminOrGovernance if person.admin || person.holds_anywhere(Persona::GovernanceEngineer) => Ok(()),
        Rule::AdminOrGovernance => refuse(
            DenialCode::MissingPersona,
            "Only an Admin or a Governance Engineer may read the audit log and every project's events.",
        ),
        Rule::Admin if person.admin => Ok(()),
        Rule::Admin => refuse(
            DenialCode::MissingPersona,
            match action {
                Action::Redeliver => "Only an Admin may redeliver events.",
                _ => "Only an Admin may create, edit, publish or deprecate templates.",
            },
        ),
        Rule::Machine(..) => {
            refuse(DenialCode::Forbidden, "Only CI pipelines and monitors write this, through the API with a CI token.")
        }
    }
}
