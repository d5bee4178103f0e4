//! Projects made from templates: their parameters and members, and the provisioning of their `build` and
//! `deploy` repositories, step by step, so the project page can show where it stands.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::project::Project;
use crate::template::{ParamValue, Repository, TemplateId};
use crate::{EventId, FieldError, Persona, ProjectId, Subject};

/// Where provisioning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProvisioningState {
    /// `CreateProject` is stored; the provisioner has not started.
    Pending,
    InProgress,
    Succeeded,
    /// Stopped at a step; the project page shows the cause and offers Retry.
    Failed,
}

impl ProvisioningState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisioningState::Pending => "Pending",
            ProvisioningState::InProgress => "In progress",
            ProvisioningState::Succeeded => "Provisioned",
            ProvisioningState::Failed => "Failed",
        }
    }
}

/// A repository the provisioner made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryRef {
    #[serde(alias = "tree")]
    pub repository: Repository,
    pub name: String,
    /// What `git clone` takes.
    pub clone_url: String,
    /// The commit with the rendered files.
    pub commit: String,
}

/// The provisioning of a project's repositories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provisioning {
    pub state: ProvisioningState,
    /// What was done, in order, in words.
    pub steps: Vec<String>,
    /// Why the last attempt stopped.
    pub error: Option<String>,
    pub repositories: Vec<RepositoryRef>,
    pub attempts: u32,
}

impl Default for Provisioning {
    fn default() -> Self {
        Self {
            state: ProvisioningState::Pending,
            steps: Vec::new(),
            error: None,
            repositories: Vec::new(),
            attempts: 0,
        }
    }
}

/// An upgrade to a newer template version, committed on a branch for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeRecord {
    pub to_version: u32,
    pub branch: String,
    /// Commit per repository name.
    pub commits: BTreeMap<String, String>,
    pub by: Subject,
    pub at: DateTime<Utc>,
}

/// A project made from a template, with what it was made from and how far provisioning got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSetup {
    pub project: Project,
    pub template: TemplateId,
    pub template_version: u32,
    pub parameters: BTreeMap<String, ParamValue>,
    pub members: BTreeMap<Subject, BTreeSet<Persona>>,
    pub created_by: Subject,
    pub created_at: DateTime<Utc>,
    /// The `CreateProject` event; provisioning is idempotent on it.
    pub create_event: EventId,
    pub provisioning: Provisioning,
    #[serde(default)]
    pub upgrades: Vec<UpgradeRecord>,
}

/// The repository of one tree of a project: `<project>-build`, `<project>-deploy`.
pub fn repository_name(project: &ProjectId, repository: Repository) -> String {
    format!("{project}-{}", repository.as_str())
}

/// Parses the members field of the project form: one `subject: Persona, Persona` per line.
///
/// # Errors
/// A [`FieldError`] on `members` naming the line.
pub fn parse_members(text: &str) -> Result<BTreeMap<Subject, BTreeSet<Persona>>, FieldError> {
    let mut members: BTreeMap<Subject, BTreeSet<Persona>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || {
            FieldError::new(
                "members",
                format!(
                    "line {} should be 'subject: Persona, Persona' with personas among Data Scientist, AI Engineer, Governance Engineer: {}",
                    i + 1,
                    line.trim()
                ),
            )
        };
        let (subject, personas) = line.split_once(':').ok_or_else(bad)?;
        let subject = subject.trim();
        if subject.is_empty() || subject.len() > 200 || subject.contains(char::is_whitespace) {
            return Err(bad());
        }
        let entry = members.entry(Subject(subject.to_string())).or_default();
        for p in personas.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let persona = Persona::ALL
                .into_iter()
                .find(|x| x.label().eq_ignore_ascii_case(p) || format!("{x:?}").eq_ignore_ascii_case(p))
                .ok_or_else(bad)?;
            if !persona.is_project_persona() {
                return Err(FieldError::new(
                    "members",
                    format!(
                        "line {}: Admin is an organisation role that only the identity provider grants, not a project persona: {}",
                        i + 1,
                        line.trim()
                    ),
                ));
            }
            entry.insert(persona);
        }
        if entry.is_empty() {
            return Err(bad());
        }
    }
    Ok(members)
}

/// The members field as the form shows it.
pub fn members_text(members: &BTreeMap<Subject, BTreeSet<Persona>>) -> String {
    members
        .iter()
        .map(|(s, p)| format!("{s}: {}", p.iter().map(|p| p.label()).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_stored_under_its_old_field_name_still_reads() {
        let old = r#"{"tree":"Deploy","name":"churn-deploy","clone_url":"file:///r","commit":"abc"}"#;
        let r: RepositoryRef = serde_json::from_str(old).expect("reads");
        assert_eq!(r.repository, Repository::Deploy);
        assert!(serde_json::to_string(&r).unwrap().contains("\"repository\":\"Deploy\""));
    }

    #[test]
    fn members_parse_and_bad_lines_are_named() {
        let m = parse_members("dana: Data Scientist\nerin: AI Engineer, GovernanceEngineer\n\n").unwrap();
        assert_eq!(m.len(), 2);
        assert!(m[&Subject("erin".into())].contains(&Persona::GovernanceEngineer));
        assert_eq!(parse_members(&members_text(&m)).unwrap(), m);
        let e = parse_members("dana Data Scientist").unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
        assert!(parse_members("dana: Wizard").unwrap_err().message.contains("line 1"));
    }
}
