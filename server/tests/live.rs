//! Live updates: an open version page's event stream says `changed` when a test run, a decision or a
//! deployment status arrives, resumes from the revision the browser last saw, and refuses whoever may not
//! read the page.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// An open event stream: what has arrived so far.
struct Stream {
    body: Body,
    text: String,
}

impl Stream {
    /// Reads until an event of `kind` arrives, or `within` passes: the event's id and data.
    async fn next(&mut self, kind: &str, within: Duration) -> Option<(String, String)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(found) = take_event(&mut self.text, kind) {
                return Some(found);
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame()).await.ok()??.ok()?;
            if let Ok(data) = frame.into_data() {
                self.text.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }
}

/// Takes the first complete event of `kind` off `text` (dropping what came before it).
fn take_event(text: &mut String, kind: &str) -> Option<(String, String)> {
    while let Some(end) = text.find("\n\n") {
        let event: String = text.drain(..end + 2).collect();
        let field =
            |name: &str| event.lines().find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.trim().to_string()));
        if field("event").as_deref() == Some(kind) {
            return Some((field("id").unwrap_or_default(), field("data").unwrap_or_default()));
        }
    }
    None
}

async fn open(app: &common::TestPortal, uri: &str, cookie: Option<&str>, last: Option<&str>) -> (StatusCode, Stream) {
    let mut request = Request::get(uri).header("accept", "text/event-stream");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(last) = last {
        request = request.header("last-event-id", last);
    }
    let response = app.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    (status, Stream { body: response.into_body(), text: String::new() })
}

fn post_run(version: &str) -> Request<Body> {
    let junit = r#"<testsuite name="it"><testcase name="ok"/></testsuite>"#;
    Request::post(format!("/api/v1/versions/{version}/test-runs"))
        .header("authorization", format!("Bearer {}", common::TOKEN))
        .header("content-type", "application/json")
        .body(Body::from(serde_json::json!({"junit_xml": junit, "ci_run": "ci-7"}).to_string()))
        .unwrap()
}

/// The revision the version page was drawn at, as the page carries it to its stream.
async fn drawn_at(app: &common::TestPortal, cookie: &str, version: &str) -> String {
    let (status, html) = app
        .send(
            Request::get(format!("/versions/{version}"))
                .header("accept", "text/html")
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let at = html
        .find("data-follow=\"/live/versions/")
        .and_then(|at| html[at..].find("since=").map(|s| at + s))
        .expect("the page names the stream it follows and its revision")
        + "since=".len();
    html[at..at + 64].to_string()
}

const WAIT: Duration = Duration::from_secs(8);

#[tokio::test]
async fn an_open_version_page_hears_of_a_test_run_and_resumes_from_its_last_revision() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    let candidate = app.version("pd-model", 2, true).await;
    let uri = format!("/live/versions/{}", candidate.id);
    let drawn = drawn_at(&app, &gina, candidate.id.as_str()).await;

    let (status, mut stream) = open(&app, &format!("{uri}?since={drawn}"), Some(&gina), None).await;
    assert_eq!(status, StatusCode::OK);
    let (id, _) = stream.next("following", WAIT).await.expect("the stream says where it starts");
    assert_eq!(id, drawn, "it starts from the revision the page was drawn at");
    assert_eq!(stream.next("changed", Duration::from_secs(3)).await, None, "nothing changed, nothing said");

    let (status, body) = app.send(post_run(candidate.id.as_str())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (changed, data) = stream.next("changed", WAIT).await.expect("a test run reaches the open page");
    assert_eq!(changed, data);
    assert_ne!(changed, drawn);
    assert_eq!(drawn_at(&app, &gina, candidate.id.as_str()).await, changed, "the page reloaded shows that revision");

    // A browser that lost its stream reconnects with the last revision it was sent: a change made while it
    // was away is told at once; with nothing new, nothing is.
    drop(stream);
    let (status, body) = app.send(post_run(candidate.id.as_str())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, mut resumed) = open(&app, &uri, Some(&gina), Some(&changed)).await;
    let (again, _) = resumed.next("changed", WAIT).await.expect("the change made while away");
    assert_ne!(again, changed);
    let (_, mut current) = open(&app, &uri, Some(&gina), Some(&again)).await;
    assert_eq!(current.next("changed", Duration::from_secs(3)).await, None);

    // A revision that is not one is ignored (the page is taken as drawn now), never echoed into the stream.
    let (status, mut crafted) = open(&app, &format!("{uri}?since=%0Aevent:%20changed"), Some(&gina), None).await;
    assert_eq!(status, StatusCode::OK);
    let (id, _) = crafted.next("following", WAIT).await.expect("following");
    assert_eq!(id, again);
}

#[tokio::test]
async fn a_decision_reaches_the_page_and_the_inbox_and_signing_out_ends_the_stream() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    let candidate = app.version("pd-model", 2, true).await;
    let (_, mut page) = open(&app, &format!("/live/versions/{}", candidate.id), Some(&gina), None).await;
    let (_, mut inbox) = open(&app, "/live/inbox", Some(&gina), None).await;
    page.next("following", WAIT).await.expect("following the page");
    inbox.next("following", WAIT).await.expect("following the inbox");

    // Gina rejects for Prod: the version page and her inbox both hear of it.
    let digest = app.evidence_digest(&candidate).await;
    let gina_principal = server::demo::people().into_iter().find(|p| p.subject.as_str() == "gina").expect("gina");
    let request = governance::decision::DecisionRequest {
        stage: governance::Stage::Prod,
        verdict: governance::decision::Verdict::Reject,
        justification: "Latency regressed in the last run.".into(),
        evidence_digest: digest,
        seen_test_run: None,
    };
    app.portal.state.service.decide(&gina_principal, &candidate.id, request).await.expect("the rejection");
    page.next("changed", WAIT).await.expect("the decision reaches the page");
    inbox.next("changed", WAIT).await.expect("the decision reaches the inbox");

    let (status, _) =
        app.send(Request::post("/fn/sign_out").header("cookie", &gina).body(Body::empty()).unwrap()).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (_, said) = page.next("gone", WAIT).await.expect("a signed-out session's stream ends");
    assert_eq!(said, "signed out");
}

#[tokio::test]
async fn only_who_may_read_the_page_may_follow_it() {
    let app = common::spawn().await;
    let candidate = app.version("pd-model", 2, true).await;
    let uri = format!("/live/versions/{}", candidate.id);
    // A refusal is the stream's `gone` at once (an HTTP error would be a console error on every page drawn
    // just before a sign-out), saying why; nothing else is streamed.
    let refused = |uri: String, cookie: Option<String>| {
        let app = &app;
        async move {
            let (status, stream) = open(app, &uri, cookie.as_deref(), None).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            let body = tokio::time::timeout(Duration::from_secs(2), stream.body.collect())
                .await
                .expect("a refused stream ends at once")
                .expect("the stream's body");
            let mut text = String::from_utf8_lossy(&body.to_bytes()).into_owned();
            assert!(!text.contains("following"), "{uri}: {text}");
            take_event(&mut text, "gone").expect("a refusal is `gone`").1
        }
    };
    assert_eq!(refused(uri.clone(), None).await, "sign in to follow a page's changes");
    // Someone of another project only: refused as the page is, and nothing streamed.
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    sqlx::query(
        "INSERT INTO people (subject, display_name, memberships, admin) VALUES ('paula', 'Paula', '{\"policy-search\":[\"DataScientist\"]}', 0)",
    )
    .execute(pool)
    .await
    .unwrap();
    let outsider = app.sign_in("paula").await;
    let (_, page) = app
        .send(
            Request::get(format!("/versions/{}", candidate.id))
                .header("accept", "text/html")
                .header("cookie", &outsider)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let said = refused(uri.clone(), Some(outsider.clone())).await;
    assert!(!said.contains("pd-model"), "{said}");
    assert!(!page.contains("/live/versions/"), "a refused page follows nothing");
    let gina = app.sign_in("gina").await;
    let missing = refused("/live/versions/no-such-version".into(), Some(gina)).await;
    assert!(missing.contains("not found"), "{missing}");
    // A project she is no member of is refused before it is looked up: whether it exists is not told.
    let other = refused("/live/projects/no-such-project".into(), Some(outsider.clone())).await;
    let real = refused("/live/projects/credit-risk".into(), Some(outsider)).await;
    // The same refusal for both, naming only the id asked for.
    assert_eq!(other.replace("no-such-project", "credit-risk"), real);
}
