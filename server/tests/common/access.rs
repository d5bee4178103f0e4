//! The authorization matrix of the router, generated from the one table (`governance::authz::rule`): every
//! server function and API route names the action the service authorizes it by, and who may call it is
//! worked out from the test actors' real principals by that table, never listed by hand.

use std::collections::BTreeMap;

use governance::authz::{authorize, Action};
use governance::group_grants::memberships;
use governance::persona::Machine;
use governance::trust_policy::MachineAction;
use governance::{Actor, Environment, Principal, ProjectId, Stage, Subject};

/// How an endpoint is authorized.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in itself, the OpenAPI document, health checks).
    Public,
    /// The service authorizes it as this action.
    Action(Action),
}

/// What a request is about, for the endpoints whose action names a project, stage or environment.
#[derive(Debug, Clone)]
pub struct On {
    pub project: ProjectId,
    pub stage: Stage,
    pub environment: Environment,
}

impl Default for On {
    fn default() -> Self {
        Self { project: ProjectId("credit-risk".into()), stage: Stage::Dev, environment: Environment::Test }
    }
}

/// Every server function (`/fn/{endpoint}`) and API route (`METHOD path`), with how it is authorized.
/// `every_server_function_and_api_route_is_in_the_table` fails when one is routed but missing here.
pub fn access(endpoint: &str, on: &On) -> Option<Access> {
    let p = || on.project.clone();
    let action = match endpoint {
        "/fn/current_user" | "/fn/demo_people" | "/fn/sign_in" | "/fn/sign_out" => return Some(Access::Public),
        "GET /api/v1/openapi.json" | "POST /api/aws/sagemaker-events" => return Some(Access::Public),
        "/fn/registry"
        | "/fn/inbox"
        | "/fn/templates"
        | "/fn/template_page"
        | "/fn/published_template"
        | "/fn/projects_page"
        | "/fn/catalog_page"
        | "/fn/dataset_requests"
        | "/fn/decide_subscription"
        // A person's own settings: any signed-in person (set_muted checks the project is theirs).
        | "/fn/notification_page"
        | "/fn/set_muted" => Action::Read,
        // An event: its project's members (or operations and auditors, `ReadAudit`).
        "/fn/version_page" | "/fn/compare" | "/fn/project_page" | "/fn/event" => Action::ReadProject(p()),
        "/fn/events" | "/fn/audit" => Action::ReadAudit,
        "/fn/decide" => Action::Decide { project: p(), stage: on.stage },
        // Decisions on a Prod version after its sign-off: whoever signs off Prod.
        "/fn/acknowledge_review" | "/fn/roll_back" | "/fn/retire" | "/fn/recertify" => {
            Action::Decide { project: p(), stage: Stage::Prod }
        }
        "/fn/save_deployment_config" => Action::SaveDeploymentConfig { project: p(), environment: on.environment },
        "/fn/save_model_card" => Action::EditModelCard(p()),
        "/fn/redeliver" => Action::Redeliver,
        "/fn/save_template" | "/fn/check_template" | "/fn/set_template_status" => Action::ManageTemplates,
        "/fn/create_project" | "/fn/check_project" => Action::CreateProject,
        "/fn/retry_provisioning" | "/fn/upgrade_project" | "/fn/request_subscription" => Action::ManageProject(p()),
        "/fn/register_dataset" => Action::RegisterDataset,
        "POST /api/v1/projects/{project}/versions" => Action::RegisterVersion(p()),
        "POST /api/v1/versions/{id}/test-runs" => Action::RecordTestResults(p()),
        "POST /api/v1/versions/{id}/monitoring" => Action::PushMonitoring(p()),
        "POST /api/v1/deployments/{id}/status" => Action::ReportDeploymentStatus(p()),
        "GET /api/v1/versions/{id}"
        | "GET /api/v1/versions/{id}/decisions"
        | "GET /api/v1/versions/{id}/test-runs"
        | "GET /api/v1/versions/{id}/deployments"
        | "GET /api/v1/versions"
        | "GET /api/v1/model-groups"
        | "GET /api/v1/decisions"
        | "GET /api/v1/events" => Action::ReadProject(p()),
        _ => return None,
    };
    Some(Access::Action(action))
}

/// The test actors (see `http.rs`) as the portal knows them once they are signed in or authenticated.
pub fn principal_of(actor: &str) -> Actor {
    let machine = |project: &str| {
        Actor::Machine(Machine {
            subject: Subject(format!("ci:{project}")),
            project: ProjectId(project.into()),
            may: MachineAction::ALL.into_iter().collect(),
        })
    };
    let oidc = |name: &str, groups: &[&str]| {
        let settings = super::oidc_settings("http://unused");
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        Actor::Person(Principal::from_grants(Subject(name.into()), name, memberships(&settings.groups, &groups)))
    };
    match actor {
        "anonymous" => Actor::Anonymous,
        // The static token of credit-risk and acme/credit-risk's test environment may do every CI action.
        "ci" | "ci-oidc" => machine("credit-risk"),
        "ci-other" | "ci-oidc-other" => machine("policy-search"),
        // Groups as fixtures/oidc/provider.mjs gives them.
        "oidc-alice" => oidc("alice", &["ml-approvers", "data-scientists"]),
        "oidc-erin" => oidc("erin", &["ml-engineers"]),
        person => Actor::Person(
            server::demo::people()
                .into_iter()
                .find(|p| p.subject.as_str() == person)
                .unwrap_or_else(|| panic!("{person} is no demo person")),
        ),
    }
}

/// Who of `actors` may call `endpoint` (a server function URI or `METHOD path`), by the table. Server
/// functions serve signed-in people only: machines never pass, whatever the action.
pub fn allowed(endpoint: &str, on: &On, actors: &[&'static str]) -> Vec<&'static str> {
    let access = access(endpoint, on).unwrap_or_else(|| panic!("{endpoint} is missing from the access table"));
    let server_fn = endpoint.starts_with("/fn/");
    actors
        .iter()
        .copied()
        .filter(|actor| match &access {
            Access::Public => true,
            Access::Action(action) => {
                let who = principal_of(actor);
                !(server_fn && matches!(who, Actor::Machine(_))) && authorize(&who, action).is_ok()
            }
        })
        .collect()
}

/// The server function modules' sources, by module name (as `app/src/server_fns/mod.rs` lists them).
fn server_fn_sources() -> BTreeMap<&'static str, &'static str> {
    [
        ("catalog", include_str!("../../../app/src/server_fns/catalog.rs")),
        ("compare", include_str!("../../../app/src/server_fns/compare.rs")),
        ("decide", include_str!("../../../app/src/server_fns/decide.rs")),
        ("deployment_config", include_str!("../../../app/src/server_fns/deployment_config.rs")),
        ("inbox", include_str!("../../../app/src/server_fns/inbox.rs")),
        ("ledger", include_str!("../../../app/src/server_fns/ledger.rs")),
        ("model_card", include_str!("../../../app/src/server_fns/model_card.rs")),
        ("notifications", include_str!("../../../app/src/server_fns/notifications.rs")),
        ("projects", include_str!("../../../app/src/server_fns/projects.rs")),
        ("production", include_str!("../../../app/src/server_fns/production.rs")),
        ("registry", include_str!("../../../app/src/server_fns/registry.rs")),
        ("session", include_str!("../../../app/src/server_fns/session.rs")),
        ("templates", include_str!("../../../app/src/server_fns/templates.rs")),
        ("version", include_str!("../../../app/src/server_fns/version.rs")),
    ]
    .into_iter()
    .collect()
}

/// The server function modules the table reads.
pub fn server_fn_modules() -> Vec<&'static str> {
    server_fn_sources().into_keys().collect()
}

/// Every server function endpoint in the app's source and every route the API serves, as the table names them.
pub fn routed_endpoints() -> Vec<String> {
    let mut out = Vec::new();
    for source in server_fn_sources().values() {
        for part in source.split("endpoint = \"").skip(1) {
            if let Some(name) = part.split('"').next() {
                out.push(format!("/fn/{name}"));
            }
        }
    }
    let api = include_str!("../../src/api/mod.rs");
    for line in api.lines().filter_map(|l| l.trim().strip_prefix(".route(\"")) {
        let mut parts = line.splitn(2, '"');
        let path = parts.next().unwrap_or_default();
        let handlers = parts.next().unwrap_or_default();
        for (method, marker) in [("GET", "get("), ("POST", "post(")] {
            if handlers.contains(marker) {
                out.push(format!("{method} {path}"));
            }
        }
    }
    out
}
