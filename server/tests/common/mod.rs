//! A portal on a fresh temporary database, with helpers to find demo versions and sign in.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use governance::model::ModelVersion;
use governance::ports::{VersionQuery, Window};
use http_body_util::BodyExt;
use server::settings::{Secret, Settings, WebhookTarget};
use server::Portal;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-credit-risk";
pub const OTHER_TOKEN: &str = "test-token-policy-search";

pub struct TestPortal {
    pub portal: Portal,
    pub router: Router,
    pub dir: tempfile::TempDir,
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
    let dir = tempfile::tempdir().expect("temp dir");
    let portal = server::build(settings(dir.path(), vec![])).await.expect("portal builds");
    let router = server::routes::router(portal.state.clone());
    TestPortal { portal, router, dir }
}

impl TestPortal {
    /// A demo version by group, number and registry.
    pub async fn version(&self, group: &str, number: u32, central: bool) -> ModelVersion {
        let page = self
            .portal
            .state
            .service
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

    pub async fn reload(&self, v: &ModelVersion) -> ModelVersion {
        self.portal.state.service.registry.version(&v.id).await.expect("read").expect("exists")
    }

    pub async fn evidence_digest(&self, v: &ModelVersion) -> String {
        let v = self.reload(v).await;
        self.portal.state.service.evidence(v).await.expect("evidence").digest()
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
