//! CI writes with short-lived OIDC tokens from a real issuer started on 127.0.0.1: what the trust policies
//! allow goes through and is recorded with the token's subject, repository, workflow and run; every forged,
//! stale, foreign or out-of-policy token is refused with 401/403, a JSON reason, and nothing written.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use server::ci_tokens::{CiTokenVerifier, JwksCache};

const REGISTER: &str = "/api/v1/projects/credit-risk/versions";
/// The claims of acme/credit-risk's pipeline on main.
const CREDIT_RISK: (&str, &str) = ("repository", "acme/credit-risk");

fn register_body() -> String {
    serde_json::json!({
        "model_group": "pd-model",
        "artifact_uri": "s3://ml-artifacts/pd-model/run-ci/model.tar.gz",
        "container_image": "xgb:1",
        "metrics": {"auc": 0.8}
    })
    .to_string()
}

fn post(uri: &str, token: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// What a write could change.
async fn written(app: &common::TestPortal) -> (i64, i64, i64) {
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap() };
    (
        count("SELECT COUNT(*) FROM model_versions").await,
        count("SELECT COUNT(*) FROM test_runs").await,
        count("SELECT COUNT(*) FROM audit_log").await,
    )
}

#[tokio::test]
async fn a_trusted_pipeline_registers_and_the_record_names_its_run() {
    let app = common::spawn_with_identity().await;
    let token = app.ci_token(&[CREDIT_RISK, ("run_id", "4711"), ("run_attempt", "2"), ("workflow", "train")]).await;
    let (status, body) = app.send(post(REGISTER, &token, register_body())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let version: serde_json::Value = serde_json::from_str(&body).unwrap();
    let by = version["registered_by"].as_str().unwrap();
    assert_eq!(
        by,
        "repo:acme/credit-risk:ref:refs/heads/main (repository acme/credit-risk, workflow train, run 4711/2)"
    );
    let actor: String = sqlx::query_scalar("SELECT actor FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_one(app.portal.state.store.sqlite_pool().expect("the SQLite store"))
        .await
        .unwrap();
    assert_eq!(actor, by, "the audit log names the same run");
    // It may read its own project, not another one.
    let read =
        |uri: String| Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    let (status, _) = app.send(read(format!("/api/v1/versions/{}", version["id"].as_str().unwrap()))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.send(read("/api/v1/versions?project=policy-search".into())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn only_the_test_environment_records_test_results() {
    let app = common::spawn_with_identity().await;
    let v = app.version("pd-model", 2, true).await;
    let uri = format!("/api/v1/versions/{}/test-runs", v.id);
    let body = || {
        serde_json::json!({"junit_xml": r#"<testsuite name="it"><testcase name="invoke"/></testsuite>"#}).to_string()
    };
    let before = written(&app).await;
    for environment in ["", "prod"] {
        let mut claims = vec![CREDIT_RISK];
        if !environment.is_empty() {
            claims.push(("environment", environment));
        }
        let token = app.ci_token(&claims).await;
        let (status, text) = app.send(post(&uri, &token, body())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "environment {environment:?}: {text}");
        assert!(text.contains("RecordTestResults"), "{text}");
    }
    assert_eq!(written(&app).await, before);
    let token = app.ci_token(&[CREDIT_RISK, ("environment", "test")]).await;
    let (status, text) = app.send(post(&uri, &token, body())).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
}

/// Flips one character of the payload's base64, keeping the signature: a tampered token.
fn tamper(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(engine.decode(&parts[1]).unwrap()).unwrap();
    parts[1] = engine.encode(payload.replace("acme/credit-risk", "acme/credit-risx"));
    parts.join(".")
}

#[tokio::test]
async fn forged_stale_foreign_and_out_of_policy_tokens_are_refused_and_write_nothing() {
    let app = common::spawn_with_identity().await;
    let valid = app.ci_token(&[CREDIT_RISK]).await;
    let huge = "x".repeat(17 * 1024);
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "alg none",
            app.ci_token(&[CREDIT_RISK, ("forge", "none")]).await,
            StatusCode::UNAUTHORIZED,
            "token_algorithm",
        ),
        (
            "HS256 keyed with the public key",
            app.ci_token(&[CREDIT_RISK, ("forge", "hs256")]).await,
            StatusCode::UNAUTHORIZED,
            "token_algorithm",
        ),
        (
            "a wrong key",
            app.ci_token(&[CREDIT_RISK, ("foreign", "1")]).await,
            StatusCode::UNAUTHORIZED,
            "token_signature",
        ),
        (
            "an unknown kid",
            app.ci_token(&[CREDIT_RISK, ("foreign", "1"), ("kid", "not-published")]).await,
            StatusCode::UNAUTHORIZED,
            "token_unknown_key",
        ),
        ("expired", app.ci_token(&[CREDIT_RISK, ("exp_in", "-120")]).await, StatusCode::UNAUTHORIZED, "token_expired"),
        (
            "not yet valid",
            app.ci_token(&[CREDIT_RISK, ("nbf_in", "300")]).await,
            StatusCode::UNAUTHORIZED,
            "token_not_yet_valid",
        ),
        (
            "a wrong issuer",
            app.ci_token(&[CREDIT_RISK, ("iss", "https://token.actions.evil.example")]).await,
            StatusCode::UNAUTHORIZED,
            "token_issuer",
        ),
        (
            "a wrong audience",
            app.ci_token(&[CREDIT_RISK, ("aud", "someone-else")]).await,
            StatusCode::UNAUTHORIZED,
            "token_audience",
        ),
        (
            "a subject outside the policy",
            app.ci_token(&[("repository", "evil/credit-risk")]).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        ("a tampered payload", tamper(&valid), StatusCode::UNAUTHORIZED, "token_signature"),
        (
            "a token over 16 KB",
            app.ci_token(&[CREDIT_RISK, ("padding", &huge)]).await,
            StatusCode::UNAUTHORIZED,
            "token_too_large",
        ),
        ("16 KB of anything", huge.clone(), StatusCode::UNAUTHORIZED, "token_too_large"),
        (
            "a lifetime of ten years",
            app.ci_token(&[CREDIT_RISK, ("exp_in", "315360000")]).await,
            StatusCode::UNAUTHORIZED,
            "token_lifetime",
        ),
    ];
    let before = written(&app).await;
    for (name, token, status, code) in cases {
        let (got, body) = app.send(post(REGISTER, &token, register_body())).await;
        assert_eq!(got, status, "{name}: {body}");
        let json: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{name}: not JSON: {body}"));
        assert_eq!(json["code"], code, "{name}: {body}");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: a reason");
        assert_eq!(written(&app).await, before, "{name} wrote something");
    }
    // The untampered token still works: the refusals above were about the tokens, not the request.
    let (status, body) = app.send(post(REGISTER, &valid, register_body())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_rotated_key_is_fetched_but_unknown_kids_refetch_at_a_bounded_rate() {
    let app = common::spawn_with_identity().await;
    let ci = app.ci.as_ref().unwrap();
    let verifier = CiTokenVerifier::new(
        Arc::new(common::trust_policies(&ci.url)),
        JwksCache::new(Duration::from_millis(400), Duration::from_secs(3600)),
        60,
    );
    let mut forged = Vec::new();
    for _ in 0..20 {
        forged.push(ci.mint(&[CREDIT_RISK, ("foreign", "1"), ("kid", "rogue")]).await);
    }
    let valid = ci.mint(&[CREDIT_RISK]).await;
    verifier.verify(&valid).await.expect("a published key verifies");
    assert_eq!(verifier.jwks.fetches(), 1);
    verifier.verify(&valid).await.expect("cached");
    assert_eq!(verifier.jwks.fetches(), 1, "a known kid is served from the cache");
    // A burst of unknown kids right after a fetch: refused without asking the issuer again.
    for token in &forged {
        assert!(verifier.verify(token).await.is_err());
    }
    assert_eq!(verifier.jwks.fetches(), 1, "unknown kids do not hammer the issuer");
    // The issuer rotates in a new key; after the refresh interval, its first token refetches the keys.
    reqwest::Client::new().post(format!("{}/rotate?kid=ci-rotated", ci.url)).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    verifier.verify(&ci.mint(&[CREDIT_RISK, ("kid", "ci-rotated")]).await).await.expect("the rotated key verifies");
    assert_eq!(verifier.jwks.fetches(), 2);
}

#[tokio::test]
async fn static_project_tokens_are_for_development_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(dir.path(), vec![]);
    settings.mode = server::settings::Mode::Production;
    let err = server::settings::Settings::from_figment(figment::Figment::from(
        figment::providers::Serialized::defaults(settings),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("development opt-in"), "{err}");
}

#[tokio::test]
async fn a_slow_issuer_delays_only_its_own_tokens_and_a_failing_one_is_not_asked_at_every_token() {
    let app = common::spawn_with_identity().await;
    let ci = app.ci.as_ref().unwrap();
    // An issuer that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let mut policies = common::trust_policies(&ci.url);
    policies.extend(common::trust_policies(&slow));
    let verifier = Arc::new(CiTokenVerifier::new(
        Arc::new(policies),
        JwksCache::new(Duration::from_millis(400), Duration::from_secs(3600)),
        60,
    ));
    let waiting = {
        let (verifier, slow) = (verifier.clone(), slow.clone());
        tokio::spawn(async move { verifier.jwks.key(&slow, "ci-rs256").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // While the slow issuer's fetch hangs, a healthy issuer's token verifies at once.
    let started = std::time::Instant::now();
    verifier.verify(&ci.mint(&[CREDIT_RISK]).await).await.expect("the healthy issuer's token");
    assert!(started.elapsed() < Duration::from_secs(2), "waited {:?} behind the slow issuer", started.elapsed());
    // The slow fetch gives up (its timeout); the next tokens of that issuer are refused at once, unfetched.
    let failed = waiting.await.unwrap();
    assert_eq!(failed, Err(server::ci_tokens::CiTokenError::JwksUnavailable));
    let fetches = verifier.jwks.fetches();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        assert_eq!(verifier.jwks.key(&slow, "ci-rs256").await, Err(server::ci_tokens::CiTokenError::JwksUnavailable));
        assert!(started.elapsed() < Duration::from_millis(200), "refused from the failure's backoff");
    }
    assert_eq!(verifier.jwks.fetches(), fetches, "a failing issuer is not asked at every token");
    held.abort();
}
