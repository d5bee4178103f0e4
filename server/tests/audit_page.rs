//! The audit and events pages for people (issue 15): audit entries as rows filtered in the store by project,
//! person, action and time (on both databases), a bad filter named, never an empty list; the filtered entries
//! exported as CSV (formula-safe) and JSON, bounded and refused to who may not read the log; events filtered by
//! type, version and delivery state, each linked to its version.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Db, TestPortal};
use governance::audit::{AuditEntry, AuditRecord};
use governance::decision::{DecisionRequest, Verdict};
use governance::ports::Window;
use governance::{Stage, Subject};
use tower::ServiceExt;

async fn get(app: &TestPortal, cookie: &str, uri: &str) -> (StatusCode, String) {
    app.send(Request::get(uri).header("accept", "text/html").header("cookie", cookie).body(Body::empty()).unwrap())
        .await
}

/// The JSON export of `filter` (a query string), as Gina downloads it.
async fn exported(app: &TestPortal, cookie: &str, filter: &str) -> Vec<serde_json::Value> {
    let (status, body) = get(app, cookie, &format!("/audit/export?format=json&{filter}")).await;
    assert_eq!(status, StatusCode::OK, "{filter}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("the export is JSON");
    json["entries"].as_array().expect("entries").clone()
}

/// Gina rejects pd-model v2 for Prod with `justification`.
async fn gina_rejects(app: &TestPortal, justification: &str) -> String {
    let candidate = app.version("pd-model", 2, true).await;
    let gina = server::demo::people().into_iter().find(|p| p.subject.as_str() == "gina").expect("gina");
    let request = DecisionRequest {
        stage: Stage::Prod,
        verdict: Verdict::Reject,
        justification: justification.into(),
        evidence_digest: app.evidence_digest(&candidate).await,
        seen_test_run: None,
    };
    app.portal.state.service.decide(&gina, &candidate.id, request).await.expect("the rejection");
    candidate.id.to_string()
}

on_both_databases!(the_audit_log_filters_by_project_person_action_and_time_in_the_store);

async fn the_audit_log_filters_by_project_person_action_and_time_in_the_store(db: Db) {
    let app = common::spawn_on(&db).await;
    let cookie = app.sign_in("gina").await;
    let version = gina_rejects(&app, "Latency regressed in the last run.").await;
    let all = exported(&app, &cookie, "").await;

    // A project: the project's own entries and its versions', nobody else's.
    let credit = exported(&app, &cookie, "project=credit-risk").await;
    let support = exported(&app, &cookie, "project=support-assistant").await;
    assert!(credit.iter().any(|e| e["target"] == version.as_str()), "the decision is credit-risk's");
    assert!(!support.iter().any(|e| e["target"] == version.as_str()), "and not support-assistant's");
    assert!(
        !support.is_empty() && credit.len() + support.len() <= all.len(),
        "{} {} {}",
        credit.len(),
        support.len(),
        all.len()
    );
    let service = &app.portal.state.service;
    for e in &credit {
        let target = e["target"].as_str().unwrap();
        if target != "credit-risk" {
            let v = service.version(&common::reader(), &governance::VersionId(target.into())).await;
            assert_eq!(v.expect("a version").project.as_str(), "credit-risk", "{e}");
        }
    }

    // A person and an action family: Gina's decisions, one of them the rejection with its persona and why.
    let ginas = exported(&app, &cookie, "person=gina&action=decision").await;
    assert!(ginas.iter().all(|e| e["actor"] == "gina" && e["action"].as_str().unwrap().starts_with("decision.")));
    let rejection = ginas.iter().find(|e| e["target"] == version.as_str()).expect("the rejection");
    assert_eq!(rejection["action"], "decision.reject");
    assert_eq!(rejection["who"], "Gina Governance");
    assert_eq!(rejection["persona"], "Governance Engineer");
    assert_eq!(rejection["justification"], "Latency regressed in the last run.");
    assert!(exported(&app, &cookie, "person=gina&action=decision.approve")
        .await
        .iter()
        .all(|e| e["action"] == "decision.approve"));

    // Time: today holds the rejection, a day long past holds nothing.
    let today = service.now().format("%Y-%m-%d").to_string();
    let todays = exported(&app, &cookie, &format!("from={today}&to={today}&person=gina")).await;
    assert!(todays.iter().any(|e| e["target"] == version.as_str()));
    assert!(exported(&app, &cookie, "from=2001-01-01&to=2001-01-02").await.is_empty());

    // The page shows the same rows: who, persona, action, the target linked, the justification.
    let (status, html) = get(&app, &cookie, "/audit?person=gina&action=decision.reject").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("{} entries match.", ginas.iter().filter(|e| e["action"] == "decision.reject").count())),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/versions/{version}\"")), "the target is linked");
    assert!(html.contains(">pd-model v2, central<!></a>"), "by the name people know it by");
    assert!(html.contains("Governance Engineer") && html.contains("Latency regressed in the last run."));
    assert!(html.contains("<details>"), "the sealed detail is folded away");
    assert!(html.contains("Hash chain verified"));
}

#[tokio::test]
async fn a_bad_filter_is_named_and_lists_nothing() {
    let app = common::spawn().await;
    let cookie = app.sign_in("gina").await;
    for (query, field, says) in [
        ("action=Decision.Approve", "action", "is not an action"),
        ("project=no-such-project", "project", "names no project of the portal: no-such-project"),
        ("from=2026-12-02&to=2026-12-01", "to", "is before from"),
        ("from=yesterday", "from", "is neither a day"),
        ("person=%3Cscript%3Ealert(1)%3C%2Fscript%3E&to=2026-02-30", "to", "is neither a day"),
    ] {
        let (status, html) = get(&app, &cookie, &format!("/audit?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(html.contains(&format!("The filter's {field} {says}")), "{query}: {html}");
        assert!(!html.contains("data-testid=\"audit-row\""), "{query}: nothing listed");
        assert!(!html.contains("<script>alert(1)"), "{query}: what was typed is text");
        let (status, body) = get(&app, &cookie, &format!("/audit/export?format=csv&{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(body.contains(says), "{query}: {body}");
    }
}

#[tokio::test]
async fn the_csv_export_is_formula_safe_and_matches_the_page() {
    let app = common::spawn().await;
    let cookie = app.sign_in("gina").await;
    let version = gina_rejects(&app, "=HYPERLINK(\"http://evil.example\",\"see\"), \"quoted\"").await;
    let (status, csv) = get(&app, &cookie, "/audit/export?format=csv&person=gina&action=decision.reject").await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "\"seq\",\"at\",\"actor\",\"who\",\"persona\",\"action\",\"target_kind\",\"target\",\"justification\",\"detail\",\"prev_hash\",\"hash\"");
    let row = lines.iter().find(|l| l.contains(&version)).expect("the rejection's row");
    assert!(row.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"see\"\"), \"\"quoted\"\"\","), "{row}");
    // No field of any row starts a formula.
    for line in &lines {
        assert!(
            !line.starts_with("\"=") && !line.contains(",\"=") && !line.contains(",\"+") && !line.contains(",\"@"),
            "{line}"
        );
    }
    // As many rows as the page says match, and each row's hash is the chain's.
    let (_, html) = get(&app, &cookie, "/audit?person=gina&action=decision.reject").await;
    assert!(html.contains(&format!("{} entries match.", lines.len() - 1)));
    let chain = app.portal.state.service.ports_for_tests().ledger.audit(Window::new(0, 200)).await.unwrap().items;
    let sealed = chain.iter().find(|e| e.record.target == version && e.record.action == "decision.reject").unwrap();
    assert!(row.contains(&format!("\"{}\"", sealed.hash)));
}

#[tokio::test]
async fn only_who_may_read_the_log_exports_it_and_an_export_is_bounded() {
    let app = common::spawn().await;
    let response = app
        .router
        .clone()
        .oneshot(Request::get("/audit/export?format=csv").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed out: sent to sign in");
    assert!(response.headers()["location"].to_str().unwrap().starts_with("/sign-in"));
    let dana = app.sign_in("dana").await;
    let (status, body) = get(&app, &dana, "/audit/export?format=json").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a Data Scientist: {body}");
    let gina = app.sign_in("gina").await;
    let (status, body) = get(&app, &gina, "/audit/export?format=xml").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("expected csv or json"));
    let (status, _) = get(&app, &gina, "/audit/export?format=csv&person=a&person=b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a field twice");

    // Past the bound, the export is refused with how many match; a narrower filter still exports. The
    // entries are sealed into the chain in one transaction (appending them one by one takes long).
    let service = &app.portal.state.service;
    let last = service.ports_for_tests().ledger.audit(Window::new(0, 1)).await.unwrap().items.remove(0);
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    let mut tx = pool.begin().await.unwrap();
    let (mut seq, mut prev) = (last.seq, last.hash);
    for i in 0..governance::service::AUDIT_EXPORT_LIMIT {
        seq += 1;
        let record = AuditRecord {
            at: service.now(),
            actor: Subject("portal:load".into()),
            action: "version.register".into(),
            target: format!("mv-load-{i}"),
            detail: serde_json::json!({}),
        };
        let entry = AuditEntry::seal(seq, &prev, record);
        sqlx::query("INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(entry.seq as i64)
            .bind(server::store::ts_for_tests(entry.record.at))
            .bind(&entry.record.actor.0)
            .bind(&entry.record.action)
            .bind(&entry.record.target)
            .bind(entry.record.detail.to_string())
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut *tx)
            .await
            .unwrap();
        prev = entry.hash;
    }
    tx.commit().await.unwrap();
    let (status, body) = get(&app, &gina, "/audit/export?format=csv").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("an export holds at most 10000"), "{body}");
    let (status, csv) = get(&app, &gina, "/audit/export?format=csv&person=gina").await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let (status, html) = get(&app, &gina, "/audit?person=portal%3Aload").await;
    assert_eq!(status, StatusCode::OK);
    // The log counts exactly however long it is: the pager says how many, not "more than".
    assert!(html.contains("1-50 of 10,000<") && !html.contains("more than"), "exact count");
    // The log still verifies: the entries were sealed into the chain like any other.
    let (_, v) = app.portal.state.service.audit(&common::reader(), Window::new(0, 1)).await.unwrap();
    assert_eq!(v.broken, None);
}

#[tokio::test]
async fn the_events_page_filters_by_type_version_and_delivery_and_links_each_to_its_version() {
    let app = common::spawn().await;
    let cookie = app.sign_in("gina").await;
    let version = gina_rejects(&app, "Latency regressed in the last run.").await;
    let (status, html) = get(&app, &cookie, "/events?type=ModelRejected").await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<&str> = html.split("<tr class=\"border-b border-slate-200\">").skip(1).collect();
    assert!(!rows.is_empty(), "{html}");
    assert!(rows.iter().all(|r| r.contains(">ModelRejected<")), "only rejections");
    assert!(rows.iter().any(|r| r.contains(&format!("href=\"/versions/{version}\""))), "linked to the version");

    let (_, html) = get(&app, &cookie, &format!("/events?version={version}")).await;
    let rows: Vec<&str> = html.split("<tr class=\"border-b border-slate-200\">").skip(1).collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.contains(&format!("href=\"/versions/{version}\""))));

    // Nothing is dead in the demo: the filter says so rather than listing everything.
    let (_, html) = get(&app, &cookie, "/events?delivery=Dead").await;
    assert!(html.contains("No event matches this filter."), "{html}");
    for (query, field) in [("type=ModelApprovedd", "type"), ("delivery=dead", "delivery")] {
        let (status, html) = get(&app, &cookie, &format!("/events?{query}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!("The filter's {field} is not")), "{query}");
        assert!(!html.contains("<tr class=\"border-b border-slate-200\">"), "{query}: nothing listed");
    }
}
