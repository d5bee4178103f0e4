//! The continuous governance cycle through the router: a sustained breach opens one review of a Prod version,
//! pushes add to it, an acknowledgement lasts until its expiry (a moved clock) and the review re-opens while
//! the breach goes on; a rollback moves Prod back to the earlier version under the rules (quorum, fresh
//! evidence, a justification) with its events, audit entries and the earlier version's Prod deployment; a
//! retired version cannot be rolled back to.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use common::{Db, TestPortal, TOKEN};
use governance::model::ModelVersion;
use governance::ports::{EventFilter, Window};
use governance::review::{Review, ReviewStatus};
use governance::{ApprovalStatus, Stage};

const SERIES: &str = "ModelLatency p90 (ms)";
const FORM: &str = "application/x-www-form-urlencoded";

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
        .collect::<Vec<_>>()
        .join("&")
}

/// Pushes points of `metric` on pd-model-prod/champion, `(minutes from now, value)` each, as CI.
async fn push(app: &TestPortal, v: &ModelVersion, metric: &str, threshold: f64, points: &[(i64, f64)]) -> StatusCode {
    let now = app.portal.state.service.now();
    let points: Vec<_> = points
        .iter()
        .map(|(m, value)| serde_json::json!({ "at": now + Duration::minutes(*m), "value": value }))
        .collect();
    let body = serde_json::json!({
        "metric": metric, "endpoint": "pd-model-prod", "variant": "champion", "threshold": threshold, "points": points,
    });
    let request = Request::post(format!("/api/v1/versions/{}/monitoring", v.id))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(request).await.0
}

async fn post(app: &TestPortal, cookie: &str, endpoint: &str, body: String) -> (StatusCode, String) {
    let request = Request::post(format!("/fn/{endpoint}"))
        .header("cookie", cookie)
        .header("content-type", FORM)
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

/// The reviews of `v` about `metric`.
async fn reviews(app: &TestPortal, v: &ModelVersion, metric: &str) -> Vec<Review> {
    let all = app.portal.state.service.reviews_of(&common::reader(), v).await.expect("reviews");
    all.into_iter().filter(|r| r.breach().is_some_and(|b| b.metric == metric)).collect()
}

/// The events of `v` of one type, oldest first.
async fn events(app: &TestPortal, v: &ModelVersion, detail_type: &str) -> Vec<serde_json::Value> {
    let filter = EventFilter { version: Some(v.id.clone()), detail_type: Some(detail_type.into()), delivery: None };
    let page = app.portal.state.service.ports_for_tests().ledger.event_log(&filter, Window::new(0, 200)).await.unwrap();
    page.items.into_iter().rev().map(|r| r.envelope.detail).collect()
}

async fn dispatch(app: &TestPortal) {
    let schedule = server::dispatch::Schedule { max_attempts: 10, max_backoff: std::time::Duration::from_secs(300) };
    let dispatcher = server::dispatch::Dispatcher::new(&app.portal.state.service, &[], None, schedule).unwrap();
    while dispatcher.tick().await > 0 {}
}

async fn inbox_html(app: &TestPortal, cookie: &str) -> String {
    let request =
        Request::get("/inbox").header("accept", "text/html").header("cookie", cookie).body(Body::empty()).unwrap();
    let (status, html) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    html
}

async fn a_sustained_breach_opens_one_review_that_later_pushes_add_to(db: Db) {
    let app = common::spawn_on(&db).await;
    let v1 = app.version("pd-model", 1, true).await;
    assert_eq!((v1.stage, v1.status), (Stage::Prod, ApprovalStatus::Approved));

    // One point over the threshold, then ten minutes over: not sustained for the 15-minute window.
    assert_eq!(push(&app, &v1, SERIES, 250.0, &[(-1, 400.0)]).await, StatusCode::NO_CONTENT);
    assert_eq!(
        push(&app, &v1, SERIES, 250.0, &[(-40, 100.0), (-10, 300.0), (-5, 320.0), (0, 310.0)]).await,
        StatusCode::NO_CONTENT
    );
    assert!(reviews(&app, &v1, SERIES).await.is_empty(), "no review before the window is full");

    // A point twenty minutes ago completes the run: exactly one review, one ReviewOpened.
    push(&app, &v1, SERIES, 250.0, &[(-20, 280.0)]).await;
    let opened = reviews(&app, &v1, SERIES).await;
    assert_eq!(opened.len(), 1, "{opened:?}");
    let review = &opened[0];
    assert_eq!(review.status, ReviewStatus::Open);
    assert_eq!(review.breach().unwrap().worst, 400.0, "the worst point of the run, the lone one included");
    assert_eq!(
        review.breach().unwrap().since.timestamp() / 60,
        (app.portal.state.service.now() - Duration::minutes(20)).timestamp() / 60
    );
    let opened_events = events(&app, &v1, "ReviewOpened").await;
    let ours: Vec<_> = opened_events.iter().filter(|e| e["metric"] == SERIES).collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(ours[0]["reviewId"], review.id.as_str());
    assert_eq!(ours[0]["value"], 400.0);

    // Later pushes add to the same review; the same push twice, and two pushes at once, open nothing more.
    push(&app, &v1, SERIES, 250.0, &[(1, 450.0)]).await;
    push(&app, &v1, SERIES, 250.0, &[(1, 450.0)]).await;
    let (a, b) =
        tokio::join!(push(&app, &v1, SERIES, 250.0, &[(2, 460.0)]), push(&app, &v1, SERIES, 250.0, &[(2, 470.0)]));
    assert_eq!((a, b), (StatusCode::NO_CONTENT, StatusCode::NO_CONTENT));
    let after = reviews(&app, &v1, SERIES).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(after[0].breach().unwrap().worst >= 460.0, "the worst point so far: {}", after[0].breach().unwrap().worst);
    assert_eq!(events(&app, &v1, "ReviewOpened").await.iter().filter(|e| e["metric"] == SERIES).count(), 1);

    // Two series opened at once by concurrent pushes: one review each.
    let sustained = [(-30, 9.0), (-15, 9.0), (0, 9.0)];
    let (a, b) =
        tokio::join!(push(&app, &v1, "Errors A", 5.0, &sustained), push(&app, &v1, "Errors A", 5.0, &sustained));
    assert_eq!((a, b), (StatusCode::NO_CONTENT, StatusCode::NO_CONTENT));
    assert_eq!(reviews(&app, &v1, "Errors A").await.len(), 1);

    // The Governance Engineers of the project find it in their inbox, with the breach; a Data Scientist does not.
    let hugo = app.sign_in("hugo").await;
    let html = inbox_html(&app, &hugo).await;
    assert!(
        html.contains("Reviews of Prod versions") && html.contains(&format!("{SERIES} on pd-model-prod/champion")),
        "{html}"
    );
    // Each review with its series' chart: the threshold drawn, the breach's points marked, in words too.
    let page = scraper::Html::parse_document(&html);
    let charts = scraper::Selector::parse(r#"[data-testid="review-chart"]"#).unwrap();
    let drawn: Vec<String> = page.select(&charts).map(|c| c.text().collect::<String>()).collect();
    assert!(
        drawn.iter().any(|c| c.contains(&format!("{SERIES} — pd-model-prod")) && c.contains("above threshold")),
        "{drawn:?}"
    );
    let dana = app.sign_in("dana").await;
    assert!(!inbox_html(&app, &dana).await.contains("Reviews of Prod versions"));

    // The series back under its threshold by itself: shown as cleared, still for a person to close.
    push(&app, &v1, SERIES, 250.0, &[(3, 120.0)]).await;
    let cleared = &reviews(&app, &v1, SERIES).await[0];
    assert_eq!(cleared.status, ReviewStatus::Open);
    assert!(cleared.breach().unwrap().cleared_at.is_some());
    assert!(inbox_html(&app, &hugo).await.contains("cleared by itself"));

    // A version not in Prod is not reviewed, however long it breaches.
    let v2 = app.version("pd-model", 2, true).await;
    push(&app, &v2, SERIES, 250.0, &[(-30, 900.0), (-15, 900.0), (0, 900.0)]).await;
    assert!(reviews(&app, &v2, SERIES).await.is_empty());
}

#[tokio::test]
async fn an_acknowledgement_lasts_until_its_expiry_and_the_review_reopens_while_the_breach_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let settings = common::settings(dir.path(), vec![]);
    let clock = settings.clock_shift.clone();
    let portal = server::build(settings).await.unwrap();
    let router = server::routes::router(portal.state.clone());
    let app = TestPortal { portal, router, dir, provider: None, ci: None };
    let v1 = app.version("pd-model", 1, true).await;
    push(&app, &v1, SERIES, 250.0, &[(-30, 400.0), (-15, 400.0), (0, 400.0)]).await;
    let review = reviews(&app, &v1, SERIES).await.remove(0);
    let hugo = app.sign_in("hugo").await;
    let ack = |days: &str, justification: &str| {
        form(&[("review", review.id.as_str()), ("justification", justification), ("days", days)])
    };

    // Refused, nothing changed: a Data Scientist; a bad number of days (named); no justification.
    let dana = app.sign_in("dana").await;
    assert_eq!(post(&app, &dana, "acknowledge_review", ack("1", "Known spike")).await.0, StatusCode::FORBIDDEN);
    for days in ["0", "91", "soon"] {
        let (status, body) = post(&app, &hugo, "acknowledge_review", ack(days, "Known spike")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{days}: {body}");
        assert!(body.contains("days"), "{body}");
    }
    assert_eq!(post(&app, &hugo, "acknowledge_review", ack("1", "")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reviews(&app, &v1, SERIES).await[0].status, ReviewStatus::Open);

    // Acknowledged for a day: out of the inbox, an event and an audit entry; a second acknowledgement is refused.
    let (status, body) = post(&app, &hugo, "acknowledge_review", ack("1", "Month-end batch load")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let acknowledged = reviews(&app, &v1, SERIES).await.remove(0);
    assert_eq!(acknowledged.status, ReviewStatus::Acknowledged);
    let until = acknowledged.acknowledged_until().expect("an expiry");
    assert_eq!((until - app.portal.state.service.now()).num_hours(), 23);
    assert!(!inbox_html(&app, &hugo).await.contains(&format!("{SERIES} on pd-model-prod")));
    let decided = events(&app, &v1, "ReviewDecided").await;
    assert!(decided
        .iter()
        .any(|e| e["outcome"] == "Acknowledged" && e["decidedBy"] == "hugo" && e["acknowledgedUntil"].is_string()));
    assert_eq!(post(&app, &hugo, "acknowledge_review", ack("1", "Again")).await.0, StatusCode::CONFLICT);

    // Breaching on within the day: still acknowledged.
    push(&app, &v1, SERIES, 250.0, &[(1, 500.0)]).await;
    assert_eq!(reviews(&app, &v1, SERIES).await[0].status, ReviewStatus::Acknowledged);

    // Two days on, still breaching over the window: re-opened, back in the inbox.
    clock.advance(Duration::days(2));
    push(&app, &v1, SERIES, 250.0, &[(-30, 410.0), (-15, 420.0), (0, 430.0)]).await;
    let reopened = reviews(&app, &v1, SERIES).await;
    assert_eq!(reopened.len(), 1, "the same review re-opens");
    assert_eq!((reopened[0].status, reopened[0].reopened), (ReviewStatus::Open, 1));
    let opened = events(&app, &v1, "ReviewOpened").await;
    assert!(opened.iter().any(|e| e["metric"] == SERIES && e["reopened"] == 1), "{opened:?}");
    let hugo = app.sign_in("hugo").await;
    assert!(inbox_html(&app, &hugo).await.contains("re-opened"));

    // Acknowledged again, and at its expiry the series is back under: closed as cleared.
    assert_eq!(post(&app, &hugo, "acknowledge_review", ack("1", "Capacity added")).await.0, StatusCode::OK);
    clock.advance(Duration::days(2));
    push(&app, &v1, SERIES, 250.0, &[(0, 100.0)]).await;
    let closed = reviews(&app, &v1, SERIES).await.remove(0);
    assert_eq!(closed.status, ReviewStatus::Closed);
    assert_eq!(closed.last_decision().map(|d| d.outcome), Some(governance::review::ReviewOutcome::Cleared));
}

async fn a_rollback_moves_prod_back_to_the_earlier_version_under_the_rules(db: Db) {
    let app = common::spawn_on(&db).await;
    // Credit risk asks two Governance Engineers for Prod (and so for a rollback).
    let store = &app.portal.state.store;
    let credit = governance::ProjectId("credit-risk".into());
    let mut project = app.portal.state.service.ports_for_tests().directory.project(&credit).await.unwrap().unwrap();
    project.policy.prod_quorum = 2;
    store.upsert_project(&project).await.unwrap();
    let (v1, v2) = (app.version("pd-model", 1, true).await, app.version("pd-model", 2, true).await);
    // v2 signed off by gina and hugo: both in Prod, v2 the newest.
    let service = &app.portal.state.service;
    for who in ["gina", "hugo"] {
        let person = server::demo::people().into_iter().find(|p| p.subject.as_str() == who).unwrap();
        let request = governance::decision::DecisionRequest {
            stage: Stage::Prod,
            verdict: governance::decision::Verdict::Approve,
            justification: "All gates met.".into(),
            evidence_digest: app.evidence_digest(&v2).await,
            seen_test_run: None,
        };
        service.decide(&person, &v2.id, request).await.expect("Prod sign-off");
    }
    dispatch(&app).await;
    assert_eq!(app.reload(&v2).await.status, ApprovalStatus::Approved);
    push(&app, &v2, SERIES, 250.0, &[(-30, 400.0), (-15, 400.0), (0, 400.0)]).await;
    let review = reviews(&app, &v2, SERIES).await.remove(0);

    let digest = app.evidence_digest(&v1).await;
    let rollback = |to: &str, justification: &str, digest: &str| {
        form(&[
            ("version", v2.id.as_str()),
            ("to", to),
            ("justification", justification),
            ("evidence_digest", digest),
            ("review", review.id.as_str()),
        ])
    };
    let before = revisions(&app, &v1, &v2).await;
    let gina = app.sign_in("gina").await;
    let erin = app.sign_in("erin").await;
    // Refusals change nothing: the wrong persona, no justification, stale evidence, a version that does not
    // exist, the version itself, a later one.
    let refusals = [
        (&erin, rollback(v1.id.as_str(), "Latency breach", &digest), StatusCode::FORBIDDEN, "Governance Engineer"),
        (&gina, rollback(v1.id.as_str(), "", &digest), StatusCode::UNPROCESSABLE_ENTITY, "ustification"),
        (&gina, rollback(v1.id.as_str(), "Latency breach", "sha256:stale"), StatusCode::CONFLICT, "evidence changed"),
        (&gina, rollback("mv-nope", "Latency breach", &digest), StatusCode::UNPROCESSABLE_ENTITY, "names no version"),
        (&gina, rollback(v2.id.as_str(), "Latency breach", &digest), StatusCode::FORBIDDEN, "not earlier"),
    ];
    for (cookie, body, status, says) in refusals {
        let (got, text) = post(&app, cookie, "roll_back", body).await;
        assert_eq!(got, status, "{text}");
        assert!(text.contains(says), "{says}: {text}");
    }
    assert_eq!(revisions(&app, &v1, &v2).await, before);

    // The first Governance Engineer signs: short of the quorum, nothing moves.
    let (status, text) =
        post(&app, &gina, "roll_back", rollback(v1.id.as_str(), "p90 latency over 250 ms since v2", &digest)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(app.reload(&v2).await.status, ApprovalStatus::Approved);
    let signoff = events(&app, &v2, "RollbackSignoffRecorded").await;
    assert_eq!((signoff.len(), signoff[0]["signed"].as_u64(), signoff[0]["required"].as_u64()), (1, Some(1), Some(2)));
    let (again, text) = post(&app, &gina, "roll_back", rollback(v1.id.as_str(), "Once more", &digest)).await;
    assert_eq!(again, StatusCode::FORBIDDEN, "the same person twice: {text}");

    // The second completes it: v2 rejected, v1 the group's Prod version with its Prod deployment requested.
    let hugo = app.sign_in("hugo").await;
    let (status, text) = post(&app, &hugo, "roll_back", rollback(v1.id.as_str(), "Agreed: back to v1", &digest)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let (v1_now, v2_now) = (app.reload(&v1).await, app.reload(&v2).await);
    assert_eq!((v2_now.stage, v2_now.status), (Stage::Prod, ApprovalStatus::Rejected));
    assert_eq!((v1_now.stage, v1_now.status), (Stage::Prod, ApprovalStatus::Approved));
    let rolled = events(&app, &v2, "ModelRolledBack").await;
    assert_eq!(rolled.len(), 1);
    assert_eq!(rolled[0]["rolledBackTo"]["versionId"], v1.id.as_str());
    assert_eq!(rolled[0]["rolledBackBy"], "hugo");
    assert_eq!(rolled[0]["reviewId"], review.id.as_str());
    assert_eq!(rolled[0]["evidenceDigest"], digest.as_str());
    assert_eq!(reviews(&app, &v2, SERIES).await[0].status, ReviewStatus::Closed);
    dispatch(&app).await;
    dispatch(&app).await;
    let requested: Vec<_> = events(&app, &v1, "DeploymentRequested").await;
    let trigger = rolled_event_id(&app, &v2).await;
    let after_rollback: Vec<_> = requested.iter().filter(|e| e["triggeringEvent"] == trigger.as_str()).collect();
    assert_eq!(after_rollback.len(), 1, "one Prod deployment of v1: {requested:?}");
    assert_eq!(after_rollback[0]["environment"], "Prod");
    // Both audit entries name the rollback.
    let log = service
        .audit_log(&common::reader(), &governance::ledger_filters::AuditQuery::default(), Window::new(0, 200))
        .await
        .unwrap();
    let rollbacks = log.rows.items.iter().filter(|r| r.entry.record.action == "decision.rollback").count();
    assert_eq!(rollbacks, 2, "the sign-off and the rollback");
    // Both timelines show it.
    let hugo_principal = server::demo::people().into_iter().find(|p| p.subject.as_str() == "hugo").unwrap();
    let page = service.version_page(&hugo_principal, &v2.id, Default::default()).await.unwrap();
    let titles: Vec<String> = page.timeline.into_iter().map(|e| e.title).collect();
    assert!(titles.iter().any(|t| t.starts_with("Rolled back to v1 by Hugo")), "{titles:?}");
    let page = service.version_page(&hugo_principal, &v1.id, Default::default()).await.unwrap();
    assert!(page.timeline.iter().any(|e| e.title == "Prod deployment requested"), "{:?}", page.timeline);

    // Retired, v1 cannot be rolled back to: the panel says why.
    let digest = app.evidence_digest(&v1).await;
    let retire = form(&[
        ("version", v1.id.as_str()),
        ("justification", "Superseded; data no longer allowed"),
        ("evidence_digest", &digest),
    ]);
    let (status, text) = post(&app, &hugo, "retire", retire.clone()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(app.reload(&v1).await.status, ApprovalStatus::Rejected);
    assert_eq!(events(&app, &v1, "ModelRetired").await.len(), 1);
    assert_eq!(post(&app, &hugo, "retire", retire).await.0, StatusCode::CONFLICT, "retired once");
}

async fn revisions(app: &TestPortal, a: &ModelVersion, b: &ModelVersion) -> (u64, u64) {
    (app.reload(a).await.revision, app.reload(b).await.revision)
}

async fn rolled_event_id(app: &TestPortal, v: &ModelVersion) -> String {
    let filter =
        EventFilter { version: Some(v.id.clone()), detail_type: Some("ModelRolledBack".into()), delivery: None };
    let page = app.portal.state.service.ports_for_tests().ledger.event_log(&filter, Window::new(0, 1)).await.unwrap();
    page.items[0].envelope.id.to_string()
}

#[tokio::test]
async fn the_production_panel_offers_what_the_person_may_decide() {
    let app = common::spawn().await;
    let v1 = app.version("pd-model", 1, true).await;
    let page = |who: &str| {
        let person = server::demo::people().into_iter().find(|p| p.subject.as_str() == who).unwrap();
        let service = app.portal.state.service.clone();
        let id = v1.id.clone();
        async move {
            service.version_page(&person, &id, Default::default()).await.unwrap().production.expect("a Prod version")
        }
    };
    // The demo's champion breaches its p99 latency and drift thresholds for hours: two open reviews.
    let hugo = page("hugo").await;
    let open: Vec<_> = hugo
        .reviews
        .iter()
        .filter(|r| r.status == ReviewStatus::Open)
        .filter_map(|r| r.breach().map(|b| b.metric.clone()))
        .collect();
    assert_eq!(open.len(), 2, "{open:?}");
    assert!(hugo.retire.is_ok() && hugo.acknowledge.is_ok());
    assert!(hugo.rollback_targets.is_empty(), "v1 is the first Prod version of its group");
    let dana = page("dana").await;
    assert!(dana.retire.as_ref().is_err_and(|r| r.contains("Governance Engineer")), "{:?}", dana.retire);
    assert!(dana.acknowledge.is_err());
}

async fn html(app: &TestPortal, cookie: &str, path: &str) -> String {
    let request =
        Request::get(path).header("accept", "text/html").header("cookie", cookie).body(Body::empty()).unwrap();
    let (status, html) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    html
}

#[tokio::test]
async fn a_prod_sign_off_comes_due_for_recertification_and_is_recertified_under_the_quorum() {
    let dir = tempfile::tempdir().unwrap();
    let settings = common::settings(dir.path(), vec![]);
    let clock = settings.clock_shift.clone();
    let portal = server::build(settings).await.unwrap();
    let router = server::routes::router(portal.state.clone());
    let app = TestPortal { portal, router, dir, provider: None, ci: None };
    let service = app.portal.state.service.clone();
    let credit = governance::ProjectId("credit-risk".into());
    let mut project = service.ports_for_tests().directory.project(&credit).await.unwrap().unwrap();
    project.policy.recertify_after_days = 90;
    project.policy.recertify_notice_days = 14;
    project.policy.prod_quorum = 2;
    app.portal.state.store.upsert_project(&project).await.unwrap();
    let v1 = app.version("pd-model", 1, true).await;
    let decisions = service.ports_for_tests().registry.decisions(&v1.id).await.unwrap();
    let signed_off = governance::review::signed_off_at(&decisions).expect("v1 was signed off in the portal");
    let due = signed_off + Duration::days(90);
    let recertifications = |app: &TestPortal| {
        let (service, v1) = (app.portal.state.service.clone(), v1.clone());
        async move {
            let all = service.reviews_of(&common::reader(), &v1).await.unwrap();
            all.into_iter().filter(|r| r.recertification().is_some()).collect::<Vec<Review>>()
        }
    };
    let (mut hugo, mut gina) = (app.sign_in("hugo").await, app.sign_in("gina").await);
    let recertify = |justification: &str, digest: &str| {
        form(&[("version", v1.id.as_str()), ("justification", justification), ("evidence_digest", digest)])
    };

    // Not due yet: the sweep opens nothing, the panel says when it will, and a re-certification is refused.
    assert_eq!(service.sweep_recertifications().await.unwrap().opened, 0);
    let digest = app.evidence_digest(&v1).await;
    let (status, body) = post(&app, &gina, "recertify", recertify("All fine", &digest)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("No re-certification is due"), "{body}");
    let page = html(&app, &hugo, &format!("/versions/{}", v1.id)).await;
    assert!(page.contains(&format!("the sign-off holds until {}", due.format("%Y-%m-%d"))), "the due date shown");

    // Thirteen days before it is due: one review opens (a second sweep opens no other), with its event.
    clock.advance(due - service.now() - Duration::days(13));
    // Sessions end with the moved clock: sign in again.
    hugo = app.sign_in("hugo").await;
    assert_eq!(service.sweep_recertifications().await.unwrap().opened, 1);
    assert_eq!(service.sweep_recertifications().await.unwrap().opened, 0, "one active review per version");
    let review = recertifications(&app).await.remove(0);
    assert_eq!(review.status, ReviewStatus::Open);
    let opened = events(&app, &v1, "RecertificationDue").await;
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["reviewId"], review.id.as_str());
    let inbox = inbox_html(&app, &hugo).await;
    assert!(inbox.contains(&format!("Re-certification due {}", due.format("%Y-%m-%d"))), "listed in the inbox");
    assert!(inbox.contains("due in 12 d") || inbox.contains("due in 13 d"), "its age");
    assert!(!inbox.contains("re-certification overdue"), "not overdue yet");
    assert!(!inbox_html(&app, &app.sign_in("dana").await).await.contains("Re-certification due"), "Governance only");

    // Past the due date: overdue, counted on the inbox and marked on the registry.
    clock.advance(Duration::days(15));
    (hugo, gina) = (app.sign_in("hugo").await, app.sign_in("gina").await);
    let inbox = inbox_html(&app, &hugo).await;
    assert!(inbox.contains("1 re-certification overdue"), "counted");
    assert!(html(&app, &hugo, "/?stage=Prod").await.contains("re-certification overdue"), "marked on the registry");

    // Refused, nothing recorded: a Data Scientist; acknowledging it; while breach reviews are open; stale
    // evidence; no justification.
    let dana = app.sign_in("dana").await;
    assert_eq!(post(&app, &dana, "recertify", recertify("All fine", &digest)).await.0, StatusCode::FORBIDDEN);
    let ack = form(&[("review", review.id.as_str()), ("justification", "Later"), ("days", "7")]);
    let (status, body) = post(&app, &hugo, "acknowledge_review", ack).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("re-certification"), "{body}");
    let digest = app.evidence_digest(&v1).await;
    let (status, body) = post(&app, &gina, "recertify", recertify("All fine", &digest)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("decide it first"), "the demo's breach reviews are open: {body}");
    for breach in service.reviews_of(&common::reader(), &v1).await.unwrap() {
        if breach.breach().is_some() && breach.status == ReviewStatus::Open {
            let ack = form(&[("review", breach.id.as_str()), ("justification", "Known load test"), ("days", "30")]);
            assert_eq!(post(&app, &hugo, "acknowledge_review", ack).await.0, StatusCode::OK);
        }
    }
    let digest = app.evidence_digest(&v1).await;
    assert_eq!(post(&app, &gina, "recertify", recertify("All fine", "sha256:stale")).await.0, StatusCode::CONFLICT);
    assert_eq!(post(&app, &gina, "recertify", recertify("", &digest)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(events(&app, &v1, "ModelRecertified").await.is_empty());

    // The quorum of two: gina's sign-off is recorded, gina again is refused, hugo's completes it.
    let (status, body) =
        post(&app, &gina, "recertify", recertify("Latest run passed; breaches acknowledged", &digest)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = events(&app, &v1, "ModelRecertified").await;
    assert_eq!((first[0]["signed"].as_u64(), first[0]["required"].as_u64()), (Some(1), Some(2)));
    assert!(first[0].get("nextDueAt").is_none(), "not complete");
    assert_eq!(recertifications(&app).await[0].status, ReviewStatus::Open, "still awaits the quorum");
    let digest = app.evidence_digest(&v1).await;
    let (status, body) = post(&app, &gina, "recertify", recertify("Again", &digest)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("already re-certified"), "{body}");
    let (status, body) = post(&app, &hugo, "recertify", recertify("Agreed: evidence holds", &digest)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let now = service.now();
    let done = events(&app, &v1, "ModelRecertified").await;
    assert_eq!(done[1]["signed"].as_u64(), Some(2));
    let next: chrono::DateTime<chrono::Utc> = serde_json::from_value(done[1]["nextDueAt"].clone()).unwrap();
    assert!(((next - now).num_minutes() - 90 * 24 * 60).abs() <= 1, "the sign-off holds for another period: {next}");
    let closed = recertifications(&app).await.remove(0);
    assert_eq!(closed.status, ReviewStatus::Closed);
    assert_eq!(closed.last_decision().map(|d| d.outcome), Some(governance::review::ReviewOutcome::Recertified));
    assert!(events(&app, &v1, "ReviewDecided").await.iter().any(|e| e["outcome"] == "Recertified"));
    assert_eq!(app.reload(&v1).await.status, ApprovalStatus::Approved, "the version stays in Prod");

    // Out of the inbox and off the registry's marks; on the timeline and in the audit log; the next sweep
    // opens nothing until the next period nears.
    assert!(!inbox_html(&app, &hugo).await.contains("Re-certification due"));
    assert!(!html(&app, &hugo, "/?stage=Prod").await.contains("re-certification overdue"));
    let page = html(&app, &hugo, &format!("/versions/{}", v1.id)).await;
    assert!(page.contains("Re-certified for Prod by"), "on the timeline");
    let audit = service.ports_for_tests().ledger.audit_of(&[v1.id.to_string()]).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.record.action == "decision.recertify").count(), 2);
    assert_eq!(service.sweep_recertifications().await.unwrap().opened, 0);
    clock.advance(Duration::days(77));
    assert_eq!(service.sweep_recertifications().await.unwrap().opened, 1, "the next period's review");
}

on_both_databases!(
    a_sustained_breach_opens_one_review_that_later_pushes_add_to,
    a_rollback_moves_prod_back_to_the_earlier_version_under_the_rules,
);
