//! The authorization table, tested for every action against every kind of actor: the expected outcome of
//! each pair is derived from the table's rule by an independent reading of what the rule says, so a change
//! to the table that lets anyone else through fails here.

use std::collections::{BTreeMap, BTreeSet};

use governance::authz::{authorize, rule, Action, Rule};
use governance::persona::Machine;
use governance::provisioning::parse_members;
use governance::trust_policy::MachineAction;
use governance::{Actor, Environment, Persona, Principal, ProjectId, Stage, Subject};

const P: &str = "credit-risk";
const OTHER: &str = "policy-search";

fn p(id: &str) -> ProjectId {
    ProjectId(id.into())
}

/// Every action, for project `P` where it names one.
fn actions() -> Vec<Action> {
    let mut all = vec![
        Action::Read,
        Action::ReadProject(p(P)),
        Action::ReadAudit,
        Action::EditModelCard(p(P)),
        Action::RegisterVersion(p(P)),
        Action::RecordTestResults(p(P)),
        Action::ReportDeploymentStatus(p(P)),
        Action::PushMonitoring(p(P)),
        Action::Redeliver,
        Action::ManageTemplates,
        Action::CreateProject,
        Action::ManageProject(p(P)),
        Action::RegisterDataset,
    ];
    all.extend(Stage::ALL.map(|stage| Action::Decide { project: p(P), stage }));
    all.extend(
        [Environment::Test, Environment::Prod]
            .map(|environment| Action::SaveDeploymentConfig { project: p(P), environment }),
    );
    all
}

fn person(grants: &[(&str, Persona)]) -> Principal {
    let mut map: BTreeMap<ProjectId, BTreeSet<Persona>> = BTreeMap::new();
    for (project, persona) in grants {
        map.entry(p(project)).or_default().insert(*persona);
    }
    Principal::from_grants(Subject("someone".into()), "Someone", map)
}

fn machine(project: &str) -> Actor {
    Actor::Machine(Machine {
        subject: Subject("ci".into()),
        project: p(project),
        may: MachineAction::ALL.into_iter().collect(),
    })
}

/// Who the table should let through, read off the rule.
fn expected(actor: &Actor, rule: &Rule) -> bool {
    match (actor, rule) {
        (Actor::Anonymous, _) => false,
        (Actor::Machine(m), Rule::ProjectMember(p) | Rule::Machine(p, _)) => &m.project == p,
        (Actor::Machine(_), _) => false,
        (Actor::Person(person), rule) => {
            let holds = |project: &ProjectId, persona: Persona| {
                person.memberships.get(project).is_some_and(|s| s.contains(&persona))
            };
            let any_persona = person.admin || person.memberships.values().any(|s| !s.is_empty());
            any_persona
                && match rule {
                    Rule::AnyPerson => true,
                    Rule::ProjectMember(p) => person.admin || person.memberships.get(p).is_some_and(|s| !s.is_empty()),
                    Rule::Persona(p, persona) => holds(p, *persona),
                    Rule::PersonaAnywhere(persona) => person.memberships.values().any(|s| s.contains(persona)),
                    Rule::AdminOrGovernance => {
                        person.admin || person.memberships.values().any(|s| s.contains(&Persona::GovernanceEngineer))
                    }
                    Rule::Admin => person.admin,
                    Rule::Machine(..) => false,
                }
        }
    }
}

#[test]
fn every_action_against_every_actor_follows_the_table() {
    let mut actors = vec![Actor::Anonymous, machine(P), machine(OTHER), Actor::Person(person(&[]))];
    for persona in Persona::ALL {
        actors.push(Actor::Person(person(&[(P, persona)])));
        actors.push(Actor::Person(person(&[(OTHER, persona)])));
    }
    let mut checked = 0;
    for action in actions() {
        let rule = rule(&action);
        for actor in &actors {
            let got = authorize(actor, &action);
            assert_eq!(
                got.is_ok(),
                expected(actor, &rule),
                "{action:?} by {actor:?} under {}: {got:?}",
                rule.describe()
            );
            if let Err(denial) = got {
                assert!(!denial.reason.is_empty(), "{action:?}: a refusal says why");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, actions().len() * (4 + 2 * Persona::ALL.len()));
}

#[test]
fn admin_is_an_organisation_role_that_no_project_members_list_can_give() {
    // From the identity provider (a group granted Admin in some project): an organisation Admin.
    let ada = person(&[(P, Persona::Admin)]);
    assert!(ada.admin);
    assert!(ada.memberships.is_empty(), "Admin is no project persona: {:?}", ada.memberships);
    assert!(authorize(&Actor::Person(ada.clone()), &Action::ManageTemplates).is_ok());
    assert!(authorize(&Actor::Person(ada), &Action::Redeliver).is_ok());

    // A members list naming Admin is refused, whatever the spelling.
    for line in ["dana: Admin", "dana: admin", "dana: Data Scientist, ADMIN", "erin: AI Engineer\ndana: Admin"] {
        let e = parse_members(line).unwrap_err();
        assert_eq!(e.field, "members");
        assert!(e.message.contains("organisation role"), "{line}: {}", e.message);
    }

    // Project memberships merged into a session never carry Admin, whatever a store holds.
    let mut dana = person(&[(P, Persona::DataScientist)]);
    dana.join_projects(BTreeMap::from([(p(OTHER), BTreeSet::from([Persona::Admin, Persona::GovernanceEngineer]))]));
    assert!(!dana.admin);
    assert_eq!(dana.memberships[&p(OTHER)], BTreeSet::from([Persona::GovernanceEngineer]));
    for action in [Action::ManageTemplates, Action::Redeliver] {
        let denial = authorize(&Actor::Person(dana.clone()), &action).unwrap_err();
        assert!(denial.reason.contains("Only an Admin"), "{}", denial.reason);
    }
    // A session stored before the role split, with Admin among a project's personas, is no Admin either.
    let mut old = person(&[(P, Persona::DataScientist)]);
    old.memberships.entry(p(P)).or_default().insert(Persona::Admin);
    assert!(authorize(&Actor::Person(old), &Action::ManageTemplates).is_err());
}
