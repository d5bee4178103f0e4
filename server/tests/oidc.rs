//! Sign-in through a real OIDC provider started on 127.0.0.1: personas from groups, the "no access" page,
//! refused callbacks (wrong state, replayed code, bad nonce) and ID tokens (expired, foreign-signed), session
//! cookies, rotation, expiry and sign-out at the provider.

mod common;

use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use common::browser::{authorize, location, set_cookie, set_cookie_line};
use common::fixtures;
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// Who the portal says is signed in with `cookie`, as the header shows it (JSON of `current_user`).
async fn current_user(app: &common::TestPortal, cookie: &str) -> serde_json::Value {
    let request = Request::post("/fn/current_user")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let (_, body) = app.send(request).await;
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

#[tokio::test]
async fn people_in_different_groups_get_their_personas() {
    let app = common::spawn_with_identity().await;
    for (user, project, personas) in [
        ("alice", "credit-risk", vec!["DataScientist", "GovernanceEngineer"]),
        ("alice", "policy-search", vec!["GovernanceEngineer"]),
        ("bob", "credit-risk", vec!["DataScientist"]),
        ("erin", "support-assistant", vec!["AiEngineer"]),
    ] {
        let cookie = app.oidc_sign_in(user).await;
        let me = current_user(&app, &cookie).await;
        assert_eq!(me["principal"]["subject"], user, "{me}");
        assert_eq!(me["principal"]["display_name"], user);
        assert_eq!(me["principal"]["memberships"][project], serde_json::json!(personas), "{user}: {me}");
        assert_eq!(me["principal"]["admin"], false, "{user}: {me}");
    }
    // Carol's group grants Admin: an organisation role, in no project's personas.
    let carol = app.oidc_sign_in("carol").await;
    let me = current_user(&app, &carol).await;
    assert_eq!(me["principal"]["admin"], true, "{me}");
    assert_eq!(me["principal"]["memberships"], serde_json::json!({}), "{me}");
    // Bob's groups give him nothing in policy-search.
    let bob = app.oidc_sign_in("bob").await;
    assert!(current_user(&app, &bob).await["principal"]["memberships"].get("policy-search").is_none());
    // Signed in, the inbox opens and names the person.
    let response = app.get("/inbox", &[&bob]).await;
    assert_eq!(response.status(), 200);
    let html = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).to_string();
    assert!(html.contains("Inbox") && html.contains("bob"), "the inbox names bob");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_rotated_at_sign_in() {
    let app = common::spawn_with_identity().await;
    let started = app.start_oidc().await;
    let callback = authorize(&started.auth_url, "alice").await;
    // An earlier session of this browser (say, development sign-in) ends when the new one starts.
    let earlier = app.sign_in("dana").await;
    let response = app.callback(&callback, &[&started.flow_cookie, &earlier]).await;
    let line = set_cookie_line(&response, "portal_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(line.contains(attribute), "{line} lacks {attribute}");
    }
    assert!(!line.contains("Secure"), "plain HTTP in this test: {line}");
    let session = set_cookie(&response, "portal_session").unwrap();
    assert_ne!(session, earlier, "a fresh id at sign-in");
    assert!(current_user(&app, &earlier).await["principal"].is_null(), "the earlier session ended");
    assert_eq!(current_user(&app, &session).await["principal"]["subject"], "alice");
    // The sign-in's own cookie is cleared.
    assert!(set_cookie_line(&response, "portal_sign_in").unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn a_person_with_no_mapped_group_sees_no_access() {
    let app = common::spawn_with_identity().await;
    let started = app.start_oidc().await;
    let callback = authorize(&started.auth_url, "zed").await;
    let response = app.callback(&callback, &[&started.flow_cookie]).await;
    assert_eq!(location(&response), "/no-access");
    assert!(set_cookie(&response, "portal_session").is_none(), "no session without a persona");
    let page = app.get("/no-access", &[]).await;
    assert_eq!(page.status(), 200);
    let html = String::from_utf8_lossy(&page.into_body().collect().await.unwrap().to_bytes()).to_string();
    assert!(html.contains("No access") && html.contains("none of your groups gives you a role"), "{html}");
}

/// Asserts a callback was refused: back to the sign-in page with `code`, and no session.
fn assert_refused(response: &axum::http::Response<Body>, code: &str) {
    assert_eq!(location(response), format!("/sign-in?error={code}"));
    assert!(set_cookie(response, "portal_session").is_none(), "no session after a refused sign-in");
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused() {
    let app = common::spawn_with_identity().await;
    let started = app.start_oidc().await;
    let callback = authorize(&started.auth_url, "alice").await;
    let mut forged_url = url::Url::parse(&callback).unwrap();
    let code = forged_url.query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string();
    forged_url.query_pairs_mut().clear().append_pair("code", &code).append_pair("state", "attacker-state");
    assert_refused(&app.callback(forged_url.as_str(), &[&started.flow_cookie]).await, "state");
    // Without this browser's sign-in cookie (a login CSRF attempt), nothing happens either.
    let started = app.start_oidc().await;
    let callback = authorize(&started.auth_url, "alice").await;
    assert_refused(&app.callback(&callback, &[]).await, "expired");
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let app = common::spawn_with_identity().await;
    let started = app.start_oidc().await;
    let callback = authorize(&started.auth_url, "alice").await;
    let first = app.callback(&callback, &[&started.flow_cookie]).await;
    assert_eq!(location(&first), "/inbox");
    // The same callback again: the sign-in it belonged to is used up.
    assert_refused(&app.callback(&callback, &[&started.flow_cookie]).await, "expired");
    // The used code inside a new sign-in of this browser: the provider refuses it.
    let again = app.start_oidc().await;
    let state =
        url::Url::parse(&again.auth_url).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string();
    let mut replay = url::Url::parse(fixtures::REDIRECT_URL).unwrap();
    replay.query_pairs_mut().append_pair("code", &code).append_pair("state", &state);
    assert_refused(&app.callback(replay.as_str(), &[&again.flow_cookie]).await, "refused");
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let app = common::spawn_with_identity().await;
    let started = app.start_oidc().await;
    // The authorization request is altered on its way to the provider: the ID token carries another nonce.
    let mut url = url::Url::parse(&started.auth_url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.to_string(), if k == "nonce" { "attacker-nonce".to_string() } else { v.to_string() }))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = authorize(url.as_str(), "alice").await;
    assert_refused(&app.callback(&callback, &[&started.flow_cookie]).await, "id_token");
}

/// An ID token straight from `provider` (code flow with PKCE, as flow.sh does), for `nonce`.
async fn id_token_from(provider: &str, user: &str, nonce: &str) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let verifier = b64(&rand_bytes());
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    let mut auth = url::Url::parse(&format!("{provider}/auth")).unwrap();
    auth.query_pairs_mut()
        .append_pair("client_id", "portal")
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", fixtures::REDIRECT_URL)
        .append_pair("scope", "openid email profile groups")
        .append_pair("state", "s")
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let callback = authorize(auth.as_str(), user).await;
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{provider}/token"))
        .basic_auth("portal", Some("portal-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", fixtures::REDIRECT_URL),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["id_token"].as_str().unwrap_or_else(|| panic!("no id_token: {answer}")).to_string()
}

fn rand_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    let seed = Sha256::digest(format!("{:?}", std::time::SystemTime::now()).as_bytes());
    out.copy_from_slice(&seed);
    out
}

#[tokio::test]
async fn expired_and_foreign_signed_id_tokens_are_refused() {
    let app = common::spawn_with_identity().await;
    let provider = app.provider.as_ref().unwrap().url.clone();
    let oidc = app.portal.state.identity.oidc.clone().unwrap();
    let now = chrono::Utc::now();
    let token = id_token_from(&provider, "alice", "n-1").await;
    let signed_in = oidc.verify_id_token(&token, "n-1", now).await.expect("a fresh token of the provider verifies");
    assert_eq!(signed_in.groups, ["ml-approvers", "data-scientists"]);
    // The same token two hours later (the provider's ID tokens live one hour).
    let err = oidc.verify_id_token(&token, "n-1", now + chrono::Duration::hours(2)).await.unwrap_err();
    assert_eq!(err.code(), "id_token");
    assert!(err.to_string().contains("expired"), "{err}");
    // A provider claiming the same issuer but signing with its own key (same kid, other key).
    let impostor = fixtures::oidc_provider(Some(&provider)).await;
    let foreign = id_token_from(&impostor.url, "alice", "n-2").await;
    let err = oidc.verify_id_token(&foreign, "n-2", now).await.unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
}

#[tokio::test]
async fn sign_out_ends_the_session_and_signs_out_at_the_provider() {
    let app = common::spawn_with_identity().await;
    let cookie = app.oidc_sign_in("alice").await;
    let request = Request::post("/fn/sign_out")
        .header("cookie", &cookie)
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let to = location(&response);
    let provider = &app.provider.as_ref().unwrap().url;
    assert!(to.starts_with(&format!("{provider}/session/end?")), "RP-initiated logout: {to}");
    assert!(to.contains("id_token_hint=") && to.contains("post_logout_redirect_uri="), "{to}");
    assert!(set_cookie_line(&response, "portal_session").unwrap().contains("Max-Age=0"));
    assert!(current_user(&app, &cookie).await["principal"].is_null(), "the session ended on the server");
}

#[tokio::test]
async fn sessions_end_after_their_idle_time_and_their_lifetime() {
    let app = common::spawn_with_identity().await;
    let cookie = app.oidc_sign_in("bob").await;
    let id = cookie.trim_start_matches("portal_session=");
    let store = &app.portal.state.store;
    let idle = chrono::Duration::minutes(60);
    let now = chrono::Utc::now();
    assert!(store.session(id, now + chrono::Duration::minutes(59), idle).await.unwrap().is_some());
    // Seen at +59 min: alive at +118 min, but not after 61 idle minutes, and never past 12 hours.
    assert!(store.session(id, now + chrono::Duration::minutes(118), idle).await.unwrap().is_some());
    assert!(store.session(id, now + chrono::Duration::minutes(180), idle).await.unwrap().is_none());
    let lifetime = chrono::Duration::days(2);
    assert!(store.session(id, now + chrono::Duration::hours(13), lifetime).await.unwrap().is_none());
}

#[tokio::test]
async fn cookies_are_secure_when_the_portal_is_served_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(dir.path(), vec![]);
    let mut oidc = common::oidc_settings("https://login.example.com");
    oidc.redirect_url = "https://portal.example.com/auth/callback".into();
    settings.oidc = Some(oidc);
    let portal = server::build(settings).await.unwrap();
    let router = server::routes::router(portal.state.clone());
    let request = Request::post("/fn/sign_in")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("subject=gina"))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let line = set_cookie_line(&response, "portal_session").expect("a session cookie");
    assert!(line.contains("; Secure") && line.contains("HttpOnly") && line.contains("SameSite=Lax"), "{line}");
}

#[tokio::test]
async fn production_mode_signs_people_in_through_oidc_only() {
    let provider = fixtures::oidc_provider(None).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(dir.path(), vec![]);
    settings.mode = server::settings::Mode::Production;
    settings.project_tokens.clear();
    settings.demo_data = Some(true);
    settings.oidc = Some(common::oidc_settings(&provider.url));
    let portal = server::build(settings).await.unwrap();
    let router = server::routes::router(portal.state.clone());
    let app = common::TestPortal { portal, router, dir, provider: Some(provider), ci: None };
    // The sign-in page offers the organisation's account and no demo users.
    let page = app.get("/sign-in", &[]).await;
    let html = String::from_utf8_lossy(&page.into_body().collect().await.unwrap().to_bytes()).to_string();
    assert!(html.contains("Sign in with your organisation account") && html.contains("href=\"/auth/login\""));
    assert!(!html.contains("Sign in as Gina Governance") && !html.contains("Development sign-in"), "no demo users");
    let (status, _) = app
        .send(
            Request::post("/fn/sign_in")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("subject=gina"))
                .unwrap(),
        )
        .await;
    assert_eq!(status, 403, "development sign-in is refused");
    let alice = app.oidc_sign_in("alice").await;
    let me = current_user(&app, &alice).await;
    assert_eq!(me["principal"]["subject"], "alice");
    assert_eq!(me["development"], false);
}
