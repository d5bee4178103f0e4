//! The read cache: the registry page and the API lists answered again from memory, never older than the last
//! change, never to anyone but who asked, never past their age, never with a used script nonce.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::decision::{DecisionRequest, Verdict};
use governance::Stage;
use http_body_util::BodyExt;
use server::read_cache::STATUS_HEADER;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    cache: String,
    csp: String,
    body: String,
}

async fn get(app: &common::TestPortal, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri).header("accept", "text/html");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.router.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("answer");
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (status, cache, csp) = (response.status(), header(STATUS_HEADER), header("content-security-policy"));
    let body = String::from_utf8_lossy(&response.into_body().collect().await.expect("body").to_bytes()).to_string();
    Answer { status, cache, csp, body }
}

async fn page(app: &common::TestPortal, cookie: &str, uri: &str) -> Answer {
    get(app, uri, &[("cookie", cookie)]).await
}

/// The script nonce a page's CSP allows, and how often the body uses it.
fn nonce(answer: &Answer) -> (String, usize) {
    let nonce = answer.csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap_or("").to_string();
    let uses = if nonce.is_empty() { 0 } else { answer.body.matches(&format!("nonce=\"{nonce}\"")).count() };
    (nonce, uses)
}

/// The page without its nonce, to compare two answers' content.
fn content(answer: &Answer) -> String {
    let (nonce, _) = nonce(answer);
    answer.body.replace(&nonce, "NONCE")
}

on_both_databases!(the_registry_page_is_answered_again_with_a_fresh_nonce_until_something_it_shows_changes);

async fn the_registry_page_is_answered_again_with_a_fresh_nonce_until_something_it_shows_changes(db: common::Db) {
    let app = common::spawn_on(&db).await;
    let dana = app.sign_in("dana").await;
    let first = page(&app, &dana, "/").await;
    assert_eq!((first.status, first.cache.as_str()), (StatusCode::OK, "miss"));
    let again = page(&app, &dana, "/").await;
    assert_eq!((again.status, again.cache.as_str()), (StatusCode::OK, "hit"));
    assert_eq!(content(&first), content(&again), "the same page");
    let ((n1, uses1), (n2, uses2)) = (nonce(&first), nonce(&again));
    assert!(uses1 > 0 && uses1 == uses2, "the hydration scripts carry the CSP's nonce: {uses1} and {uses2}");
    assert_ne!(n1, n2, "no two answers share a script nonce");

    // A registration through the API: the next page shows it.
    let body = serde_json::json!({
        "model_group": "pd-model", "description": "registered-while-cached",
        "artifact_uri": "s3://ml-artifacts/pd-model/run-9/model.tar.gz", "container_image": "xgb:1",
        "metrics": {"auc": 0.8}
    });
    let request = Request::post("/api/v1/projects/credit-risk/versions")
        .header("authorization", format!("Bearer {}", common::TOKEN))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, text) = app.send(request).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let after = page(&app, &dana, "/?group=pd-model").await;
    assert_eq!(after.cache, "miss");
    assert!(after.body.contains("registered-while-cached"), "the new version is listed");

    // A decision: the status the page shows moves with it.
    let hit = page(&app, &dana, "/?group=pd-model").await;
    assert_eq!(hit.cache, "hit");
    let dev = app.version("pd-model", 3, false).await;
    let person = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
    let decision = DecisionRequest {
        stage: Stage::Dev,
        verdict: Verdict::Reject,
        justification: "The calibration drifts.".into(),
        evidence_digest: app.evidence_digest(&dev).await,
        seen_test_run: None,
    };
    app.portal.state.service.decide(&person, &dev.id, decision).await.expect("rejected");
    let after = page(&app, &dana, "/?group=pd-model").await;
    assert_eq!(after.cache, "miss", "a decision moves the read generation");
    assert_ne!(content(&hit), content(&after), "the rejection shows");

    // A change made in the database by anything at all (here, plain SQL) moves the generation too.
    let hit = page(&app, &dana, "/?group=pd-model").await;
    assert_eq!(hit.cache, "hit");
    let outside = "UPDATE model_versions SET description = 'changed-outside-the-service' WHERE id = $1";
    match &db {
        common::Db::Sqlite => {
            let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
            sqlx::query(outside).bind(&dev.id.0).execute(pool).await.expect("update");
        }
        common::Db::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
            sqlx::query(outside).bind(&dev.id.0).execute(&pool).await.expect("update");
        }
    }
    let after = page(&app, &dana, "/?group=pd-model").await;
    assert_eq!(after.cache, "miss");
    assert!(after.body.contains("changed-outside-the-service"));
}

#[tokio::test]
async fn a_cached_page_reaches_no_one_but_who_asked_and_no_ended_session() {
    let app = common::spawn().await;
    let dana = app.sign_in("dana").await;
    let erin = app.sign_in("erin").await;
    assert_eq!(page(&app, &dana, "/").await.cache, "miss");
    assert_eq!(page(&app, &dana, "/").await.cache, "hit");
    let theirs = page(&app, &erin, "/").await;
    assert_eq!(theirs.cache, "miss", "another person's answer is their own");
    assert!(theirs.body.contains("Erin"), "erin's page names erin");

    // Signed out: the same cookie reaches the sign-in page, not the cached answer.
    let request = Request::post("/fn/sign_out").header("cookie", &dana).body(Body::empty()).expect("request");
    let response = app.router.clone().oneshot(request).await.expect("signed out");
    assert!(response.status().is_redirection() || response.status().is_success(), "{}", response.status());
    let after = page(&app, &dana, "/").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "an ended session is sent to sign in");
    assert_eq!(after.cache, "");

    // Another filter or another offset is another answer; an unknown parameter is never cached.
    assert_eq!(page(&app, &erin, "/?stage=Test").await.cache, "miss");
    assert_eq!(page(&app, &erin, "/?stage=Test&offset=20").await.cache, "miss");
    assert_eq!(page(&app, &erin, "/?__flash=abc").await.cache, "");
}

#[tokio::test]
async fn an_answer_is_served_again_for_two_seconds_of_the_portal_s_clock_at_most() {
    let app = common::spawn().await;
    let dana = app.sign_in("dana").await;
    assert_eq!(page(&app, &dana, "/").await.cache, "miss");
    assert_eq!(page(&app, &dana, "/").await.cache, "hit");
    app.portal.state.settings.clock_shift.advance(chrono::Duration::seconds(3));
    assert_eq!(page(&app, &dana, "/").await.cache, "miss", "what moves with time alone is at most 2 s old");
}

#[tokio::test]
async fn the_api_lists_are_cached_per_caller_and_a_refused_credential_gets_its_refusal() {
    let app = common::spawn().await;
    let token = format!("Bearer {}", common::TOKEN);
    let other = format!("Bearer {}", common::OTHER_TOKEN);
    let list = "/api/v1/versions?limit=50";
    let first = get(&app, list, &[("authorization", &token)]).await;
    assert_eq!((first.status, first.cache.as_str()), (StatusCode::OK, "miss"));
    let again = get(&app, list, &[("authorization", &token)]).await;
    assert_eq!((again.status, again.cache.as_str()), (StatusCode::OK, "hit"));
    assert_eq!(first.body, again.body);
    let theirs = get(&app, list, &[("authorization", &other)]).await;
    assert_eq!(theirs.cache, "miss", "another project's token");
    assert_ne!(theirs.body, first.body, "each token sees its own project's versions");
    let refused = get(&app, list, &[("authorization", "Bearer not-a-token")]).await;
    assert_eq!((refused.status, refused.cache.as_str()), (StatusCode::UNAUTHORIZED, ""));
    let anonymous = get(&app, list, &[]).await;
    assert_eq!((anonymous.status, anonymous.cache.as_str()), (StatusCode::UNAUTHORIZED, ""), "{}", anonymous.body);
    assert_eq!(get(&app, "/api/v1/model-groups", &[("authorization", &token)]).await.cache, "miss");
    assert_eq!(get(&app, "/api/v1/model-groups", &[("authorization", &token)]).await.cache, "hit");
}
