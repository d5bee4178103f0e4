//! Personas from the identity provider: groups a person holds (a claim of their ID token) mapped to
//! personas per project by the portal's settings.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{Persona, ProjectId};

/// Members of `group` hold `personas` in `project`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupGrant {
    pub group: String,
    pub project: ProjectId,
    pub personas: BTreeSet<Persona>,
}

/// The personas per project that `groups` give; empty when no group is mapped (the person has no access).
/// A grant of Admin is the organisation role: [`crate::Principal::from_grants`] lifts it out of the projects.
pub fn memberships(grants: &[GroupGrant], groups: &[String]) -> BTreeMap<ProjectId, BTreeSet<Persona>> {
    let mut out: BTreeMap<ProjectId, BTreeSet<Persona>> = BTreeMap::new();
    for grant in grants.iter().filter(|g| groups.contains(&g.group)) {
        out.entry(grant.project.clone()).or_default().extend(grant.personas.iter().copied());
    }
    out.retain(|_, personas| !personas.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_map_to_personas_per_project_and_unknown_groups_give_nothing() {
        let grant = |group: &str, project: &str, persona: Persona| GroupGrant {
            group: group.into(),
            project: ProjectId(project.into()),
            personas: [persona].into(),
        };
        let grants = [
            grant("ml-approvers", "credit-risk", Persona::GovernanceEngineer),
            grant("data-scientists", "credit-risk", Persona::DataScientist),
            grant("data-scientists", "policy-search", Persona::DataScientist),
        ];
        let m = memberships(&grants, &["ml-approvers".into(), "data-scientists".into()]);
        assert_eq!(m[&ProjectId("credit-risk".into())], [Persona::DataScientist, Persona::GovernanceEngineer].into());
        assert_eq!(m[&ProjectId("policy-search".into())], [Persona::DataScientist].into());
        assert!(memberships(&grants, &["viewers".into()]).is_empty());
    }
}
