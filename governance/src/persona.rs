//! Who acts: people with personas per project, machines (CI) bound to a project, or nobody.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::{ProjectId, Stage, Subject};

/// A role a person holds. `Admin` is an organisation role (from the identity provider's groups or the
/// development directory, see [`Principal::from_grants`]); the other three are project personas, held per
/// project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Persona {
    Admin,
    DataScientist,
    AiEngineer,
    GovernanceEngineer,
}

impl Persona {
    pub const ALL: [Persona; 4] =
        [Persona::Admin, Persona::DataScientist, Persona::AiEngineer, Persona::GovernanceEngineer];

    pub fn label(self) -> &'static str {
        match self {
            Persona::Admin => "Admin",
            Persona::DataScientist => "Data Scientist",
            Persona::AiEngineer => "AI Engineer",
            Persona::GovernanceEngineer => "Governance Engineer",
        }
    }

    /// The label with its indefinite article: "a Data Scientist", "an AI Engineer".
    pub fn with_article(self) -> String {
        let label = self.label();
        let article = if label.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
        format!("{article} {label}")
    }

    /// The personas a project's members list may give: every persona but the organisation role Admin.
    pub const PROJECT: [Persona; 3] = [Persona::DataScientist, Persona::AiEngineer, Persona::GovernanceEngineer];

    /// Whether this persona is held per project (Admin is held organisation-wide).
    pub fn is_project_persona(self) -> bool {
        self != Persona::Admin
    }

    /// The persona that decides a stage: Data Scientist approves Dev, AI Engineer approves Test,
    /// Governance Engineer signs off Prod.
    pub fn deciding(stage: Stage) -> Persona {
        match stage {
            Stage::Dev => Persona::DataScientist,
            Stage::Test => Persona::AiEngineer,
            Stage::Prod => Persona::GovernanceEngineer,
        }
    }
}

impl fmt::Display for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub subject: Subject,
    pub display_name: String,
    /// Project personas per project. Never holds [`Persona::Admin`]: authorization ignores it here.
    pub memberships: BTreeMap<ProjectId, BTreeSet<Persona>>,
    /// The organisation role Admin, which only the identity provider's groups (or the development directory)
    /// give; a project's members list never can.
    #[serde(default)]
    pub admin: bool,
}

impl Principal {
    /// A person as the identity provider (or the development directory) describes them: personas per project
    /// from their groups. A grant of Admin in any project makes them an organisation Admin; it is no project
    /// persona.
    pub fn from_grants(
        subject: Subject,
        display_name: impl Into<String>,
        grants: BTreeMap<ProjectId, BTreeSet<Persona>>,
    ) -> Self {
        let admin = grants.values().any(|p| p.contains(&Persona::Admin));
        let mut principal = Self { subject, display_name: display_name.into(), memberships: BTreeMap::new(), admin };
        principal.join_projects(grants);
        principal
    }

    /// Adds project personas (from the members lists of projects made in the portal). Admin is dropped: a
    /// members list cannot make anyone an Admin, whatever a store holds.
    pub fn join_projects(&mut self, grants: BTreeMap<ProjectId, BTreeSet<Persona>>) {
        for (project, personas) in grants {
            let personas: BTreeSet<Persona> = personas.into_iter().filter(|p| p.is_project_persona()).collect();
            if !personas.is_empty() {
                self.memberships.entry(project).or_default().extend(personas);
            }
        }
    }

    /// Whether this person holds `persona` in `project`. Admin is held organisation-wide, so for it the project
    /// does not matter.
    pub fn has(&self, project: &ProjectId, persona: Persona) -> bool {
        match persona {
            Persona::Admin => self.admin,
            _ => self.memberships.get(project).is_some_and(|p| p.contains(&persona)),
        }
    }

    /// Whether this person holds `persona` in any project (Admin: organisation-wide).
    pub fn holds_anywhere(&self, persona: Persona) -> bool {
        match persona {
            Persona::Admin => self.admin,
            _ => self.memberships.values().any(|p| p.contains(&persona)),
        }
    }

    /// Every persona this person holds: their project personas in any project, and Admin if they are one.
    pub fn personas(&self) -> BTreeSet<Persona> {
        let mut all: BTreeSet<Persona> =
            self.memberships.values().flatten().copied().filter(|p| p.is_project_persona()).collect();
        if self.admin {
            all.insert(Persona::Admin);
        }
        all
    }
}

/// A machine (a CI pipeline or monitor) authenticated for one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// How records name it: for a CI token, its subject, repository, workflow and run.
    pub subject: Subject,
    pub project: ProjectId,
    /// What it may write for its project (its trust policies' actions); reading the project is implied.
    #[serde(default)]
    pub may: BTreeSet<crate::trust_policy::MachineAction>,
}

/// Whoever makes a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Anonymous,
    Person(Principal),
    Machine(Machine),
}

impl Actor {
    pub fn subject(&self) -> Option<&Subject> {
        match self {
            Actor::Anonymous => None,
            Actor::Person(p) => Some(&p.subject),
            Actor::Machine(m) => Some(&m.subject),
        }
    }
}
