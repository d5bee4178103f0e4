//! The identity services the tests start on 127.0.0.1: the OIDC provider (npm `oidc-provider`) and the CI
//! token issuer (npm `oauth2-mock-server`), from `server/tests/fixtures/` (installed by
//! `bash scripts/setup.sh --tests`). Each runs as a child process, stopped when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The redirect URI the provider has registered for the portal (the portal is driven with `oneshot`).
pub const REDIRECT_URL: &str = "http://127.0.0.1:3000/auth/callback";
pub const POST_LOGOUT_URL: &str = "http://127.0.0.1:3000/sign-in";

pub struct NodeService {
    child: Child,
    pub url: String,
}

impl Drop for NodeService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

async fn start(folder: &str, script: &str, env: &[(&str, String)], port: u16) -> NodeService {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(folder);
    assert!(
        dir.join("node_modules").is_dir(),
        "{} has no node_modules: run `bash scripts/setup.sh --tests` (npm ci there)",
        dir.display()
    );
    let mut command = Command::new("node");
    command.arg(script).current_dir(&dir).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().expect("node starts (is Node.js installed?)");
    let url = format!("http://127.0.0.1:{port}");
    let service = NodeService { child, url };
    let discovery = format!("{}/.well-known/openid-configuration", service.url);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if reqwest::get(&discovery).await.is_ok_and(|r| r.status().is_success()) {
            return service;
        }
        assert!(Instant::now() < deadline, "{folder}/{script} did not answer on port {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The OIDC provider. `issuer`: the issuer it claims to be (another provider's, to sign "foreign" tokens).
pub async fn oidc_provider(issuer: Option<&str>) -> NodeService {
    let port = free_port();
    let issuer = issuer.map(str::to_string).unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
    let env = [
        ("OIDC_PORT", port.to_string()),
        ("OIDC_ISSUER", issuer),
        ("OIDC_REDIRECT_URI", REDIRECT_URL.to_string()),
        ("OIDC_POST_LOGOUT_REDIRECT_URI", POST_LOGOUT_URL.to_string()),
    ];
    start("oidc", "provider.mjs", &env, port).await
}

/// The CI token issuer.
pub async fn ci_issuer() -> NodeService {
    let port = free_port();
    start("ci-issuer", "ci-issuer.mjs", &[("CI_ISSUER_PORT", port.to_string())], port).await
}

impl NodeService {
    /// A CI token from the issuer: `params` become claims or options (see ci-issuer.mjs).
    pub async fn mint(&self, params: &[(&str, &str)]) -> String {
        let body: serde_json::Map<String, serde_json::Value> =
            params.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string()))).collect();
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/mint", self.url))
            .json(&body)
            .send()
            .await
            .expect("mint")
            .json()
            .await
            .expect("mint JSON");
        answer["value"].as_str().expect("a token").to_string()
    }
}
