//! A portal on a fresh temporary database, with helpers to find demo versions and sign in.

#![allow(dead_code)]

pub mod access;
pub mod browser;
pub mod fixtures;
#[path = "../pg/mod.rs"]
pub mod pg;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use governance::group_grants::GroupGrant;
use governance::model::ModelVersion;
use governance::ports::{VersionQuery, Window};
use governance::trust_policy::{MachineAction, OneOrMany, TrustPolicy};
use governance::{Persona, ProjectId};
use http_body_util::BodyExt;
use server::oidc::OidcSettings;
use server::settings::{Secret, Settings, WebhookTarget};
use server::Portal;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-credit-risk";
pub const OTHER_TOKEN: &str = "test-token-policy-search";

pub struct TestPortal {
    pub portal: Portal,
    pub router: Router,
    pub dir: tempfile::TempDir,
    /// The OIDC provider and the CI token issuer, when the portal trusts them.
    pub provider: Option<fixtures::NodeService>,
    pub ci: Option<fixtures::NodeService>,
}

/// Who tests read as: an organisation Admin, who may read every project's records.
pub fn reader() -> governance::Actor {
    let mut admin = governance::Principal::from_grants(
        governance::Subject("test-reader".into()),
        "Test reader",
        Default::default(),
    );
    admin.admin = true;
    governance::Actor::Person(admin)
}

pub fn settings(dir: &std::path::Path, webhooks: Vec<WebhookTarget>) -> Settings {
    Settings {
        data_dir: dir.to_path_buf(),
        project_tokens: [
            ("credit-risk".to_string(), Secret(TOKEN.into())),
            ("policy-search".to_string(), Secret(OTHER_TOKEN.into())),
        ]
        .into_iter()
        .collect(),
        webhooks,
        ..Settings::default()
    }
}

pub async fn spawn() -> TestPortal {
    spawn_on(&Db::Sqlite).await
}

/// Which database a test's portal runs on.
#[derive(Debug, Clone)]
pub enum Db {
    /// The SQLite file in the portal's data directory.
    Sqlite,
    /// A database of its own on the test run's PostgreSQL server.
    Postgres(String),
}

impl Db {
    pub async fn postgres() -> Db {
        Db::Postgres(pg::database().await)
    }

    /// [`settings`] on this database: every portal built from them shares it (a restart, or a replica).
    pub fn settings(&self, dir: &std::path::Path, webhooks: Vec<WebhookTarget>) -> Settings {
        let mut settings = settings(dir, webhooks);
        if let Db::Postgres(url) = self {
            settings.database_url = Some(Secret(url.clone()));
        }
        settings
    }
}

pub async fn spawn_on(db: &Db) -> TestPortal {
    let dir = tempfile::tempdir().expect("temp dir");
    let portal = server::build(db.settings(dir.path(), vec![])).await.expect("portal builds");
    let router = server::routes::router(portal.state.clone());
    TestPortal { portal, router, dir, provider: None, ci: None }
}

/// Each named test (an `async fn(Db)`) once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $test() {
                super::$test($crate::common::Db::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $test() {
                super::$test($crate::common::Db::postgres().await).await;
            })*
        }
    };
}

/// Members of `group` hold `persona` in each of `projects`.
fn grants(group: &str, projects: &[&str], persona: Persona) -> Vec<GroupGrant> {
    projects
        .iter()
        .map(|p| GroupGrant { group: group.into(), project: ProjectId(p.to_string()), personas: [persona].into() })
        .collect()
}

/// The OIDC settings of a portal signing people in at `provider` (a confidential client with PKCE).
/// Groups (see fixtures/oidc/provider.mjs): alice is in ml-approvers and data-scientists, bob in
/// data-scientists, erin in ml-engineers, carol in platform-admins; anyone else in `viewers` (unmapped).
pub fn oidc_settings(provider: &str) -> OidcSettings {
    let all = ["credit-risk", "support-assistant", "policy-search"];
    OidcSettings {
        issuer: provider.to_string(),
        client_id: "portal".into(),
        client_secret: Some(Secret("portal-secret".into())),
        redirect_url: fixtures::REDIRECT_URL.into(),
        post_logout_redirect_url: Some(fixtures::POST_LOGOUT_URL.into()),
        scopes: vec!["email".into(), "profile".into(), "groups".into()],
        groups_claim: "groups".into(),
        groups: [
            grants("ml-approvers", &all, Persona::GovernanceEngineer),
            grants("data-scientists", &["credit-risk"], Persona::DataScientist),
            grants("ml-engineers", &all, Persona::AiEngineer),
            grants("platform-admins", &all, Persona::Admin),
        ]
        .concat(),
    }
}

/// Trust policies for CI tokens of `issuer` (audience `ml-portal`): acme/credit-risk may register, report
/// deployments and push monitoring from any ref, and record test results only from its `test` environment;
/// acme/policy-search may do everything for its project.
pub fn trust_policies(issuer: &str) -> Vec<TrustPolicy> {
    let one = |s: &str| OneOrMany::One(s.to_string());
    let policy =
        |project: &str, equals: &[(&str, &str)], like: &[(&str, &str)], actions: &[MachineAction]| TrustPolicy {
            project: ProjectId(project.into()),
            issuer: issuer.into(),
            audience: "ml-portal".into(),
            string_equals: equals.iter().map(|(k, v)| (k.to_string(), one(v))).collect(),
            string_like: like.iter().map(|(k, v)| (k.to_string(), one(v))).collect(),
            actions: actions.iter().copied().collect(),
            max_token_lifetime_secs: governance::trust_policy::DEFAULT_MAX_TOKEN_LIFETIME_SECS,
        };
    use MachineAction::*;
    vec![
        policy(
            "credit-risk",
            &[("repository", "acme/credit-risk")],
            &[("sub", "repo:acme/credit-risk:*")],
            &[RegisterVersion, ReportDeploymentStatus, PushMonitoring],
        ),
        policy(
            "credit-risk",
            &[("repository", "acme/credit-risk"), ("environment", "test")],
            &[],
            &[RecordTestResults],
        ),
        policy("policy-search", &[("repository", "acme/policy-search")], &[], &MachineAction::ALL),
    ]
}

/// A portal that signs people in at a real OIDC provider and trusts a real CI token issuer (both started
/// here), besides development sign-in and the static project tokens.
pub async fn spawn_with_identity() -> TestPortal {
    let (provider, ci) = tokio::join!(fixtures::oidc_provider(None), fixtures::ci_issuer());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = settings(dir.path(), vec![]);
    settings.oidc = Some(oidc_settings(&provider.url));
    settings.trust_policies = trust_policies(&ci.url);
    let portal = server::build(settings).await.expect("portal builds");
    let router = server::routes::router(portal.state.clone());
    TestPortal { portal, router, dir, provider: Some(provider), ci: Some(ci) }
}

impl TestPortal {
    /// A demo version by group, number and registry.
    pub async fn version(&self, group: &str, number: u32, central: bool) -> ModelVersion {
        let page = self
            .portal
            .state
            .service
            .ports_for_tests()
            .registry
            .list_versions(&VersionQuery {
                search: Some(group.into()),
                central: Some(central),
                window: Window::new(0, 200),
                ..Default::default()
            })
            .await
            .expect("list");
        page.items.into_iter().find(|v| v.group.as_str() == group && v.number == number).expect("demo version exists")
    }

    /// The version as the portal shows it (stage and status from its decision record).
    pub async fn reload(&self, v: &ModelVersion) -> ModelVersion {
        self.portal.state.service.version(&reader(), &v.id).await.expect("read")
    }

    pub async fn evidence_digest(&self, v: &ModelVersion) -> String {
        self.portal.state.service.version_detail(&reader(), &v.id).await.expect("evidence").digest
    }

    /// A CI token from the test's issuer (see fixtures/ci-issuer/ci-issuer.mjs for `params`).
    pub async fn ci_token(&self, params: &[(&str, &str)]) -> String {
        self.ci.as_ref().expect("spawn_with_identity").mint(params).await
    }

    /// Signs in a demo person and returns the cookie header value.
    pub async fn sign_in(&self, subject: &str) -> String {
        let response = self
            .router
            .clone()
            .oneshot(
                Request::post("/fn/sign_in")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(format!("subject={subject}")))
                    .unwrap(),
            )
            .await
            .unwrap();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_else(|| panic!("no session cookie for {subject}: {}", response.status()))
            .to_string();
        cookie
    }

    /// Sends a request and returns the status and body.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).to_string())
    }
}
