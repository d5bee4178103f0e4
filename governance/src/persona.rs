//! Who acts: people with personas per project, machines (CI) bound to a project, or nobody.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::{ProjectId, Stage, Subject};

/// A role a person holds in a project.
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
    /// Personas per project.
    pub memberships: BTreeMap<ProjectId, BTreeSet<Persona>>,
}

impl Principal {
    pub fn has(&self, project: &ProjectId, persona: Persona) -> bool {
        self.memberships.get(project).is_some_and(|p| p.contains(&persona))
    }

    /// Every persona this person holds in any project.
    pub fn personas(&self) -> BTreeSet<Persona> {
        self.memberships.values().flatten().copied().collect()
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
