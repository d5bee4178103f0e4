//! A list's total without counting its rows on every page: maintained counts for the filters they hold, a
//! bounded count ("more than 10,000") for a search; both checked against the rows themselves.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::decision::{DecisionRequest, Verdict};
use governance::ids::ModelGroupName;
use governance::ports::{VersionQuery, Window, COUNT_BOUND};
use governance::{ApprovalStatus, ProjectId, Stage};

/// Every filter combination the counts serve, read through the service and counted from the table.
async fn assert_totals_agree(app: &common::TestPortal, when: &str) {
    let service = &app.portal.state.service;
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    let queries: Vec<(VersionQuery, String)> = vec![
        (VersionQuery::default(), "1 = 1".into()),
        (
            VersionQuery { project: Some(ProjectId("credit-risk".into())), ..Default::default() },
            "project = 'credit-risk'".into(),
        ),
        (VersionQuery { stage: Some(Stage::Dev), ..Default::default() }, "stage = 'Dev'".into()),
        (
            VersionQuery { stage: Some(Stage::Dev), status: Some(ApprovalStatus::Approved), ..Default::default() },
            "stage = 'Dev' AND status = 'Approved'".into(),
        ),
        (VersionQuery { central: Some(true), ..Default::default() }, "registry = 'central'".into()),
        (
            VersionQuery { group: Some(ModelGroupName("pd-model".into())), central: Some(false), ..Default::default() },
            "group_name = 'pd-model' AND registry = 'dev'".into(),
        ),
    ];
    for (query, sql) in queries {
        let page = service
            .versions(&common::reader(), &VersionQuery { window: Window::new(0, 1), ..query.clone() })
            .await
            .expect("a list");
        let counted: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM model_versions WHERE {sql}"))
            .fetch_one(pool)
            .await
            .expect("count");
        assert_eq!(page.total, counted as u64, "{when}: the total of {sql}");
    }
}

#[tokio::test]
async fn list_totals_come_from_maintained_counts_and_stay_exact_through_registrations_and_decisions() {
    let app = common::spawn().await;
    assert_totals_agree(&app, "the demo data").await;

    let bearer = format!("Bearer {}", common::TOKEN);
    let body = serde_json::json!({
        "model_group": "pd-model", "artifact_uri": "s3://ml-artifacts/pd-model/run-9/model.tar.gz",
        "container_image": "xgb:1", "metrics": {"auc": 0.8}
    });
    let request = Request::post("/api/v1/projects/credit-risk/versions")
        .header("authorization", &bearer)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, text) = app.send(request).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_totals_agree(&app, "after a registration").await;

    // A Dev approval moves a version's status and makes its central copy.
    let dev = app.version("pd-model", 3, false).await;
    let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
    let request = DecisionRequest {
        stage: Stage::Dev,
        verdict: Verdict::Approve,
        justification: "Beats the baseline.".into(),
        evidence_digest: app.evidence_digest(&dev).await,
        seen_test_run: None,
    };
    app.portal.state.service.decide(&dana, &dev.id, request).await.expect("approved");
    app.portal.dispatcher.tick().await;
    assert_totals_agree(&app, "after a Dev approval and its central copy").await;
}

#[tokio::test]
async fn a_search_past_ten_thousand_matches_reads_more_than_10000_and_pages_on() {
    let app = common::spawn().await;
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    let before = app.portal.state.service.versions(&common::reader(), &VersionQuery::default()).await.expect("list");
    let bulk = COUNT_BOUND + 50;
    // Written straight into the table (the triggers keep the counts and the search index), so the test does
    // not register 10,050 versions one by one.
    sqlx::query(
        "INSERT INTO model_versions (id, project, group_name, number, registry, stage, status, revision, description,
                                     registered_by, registered_at, lineage, metrics, model_card)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         SELECT 'bulk-' || i, v.project, 'bulkgroup', i, 'dev', 'Dev', 'PendingManualApproval', 1,
                'bulk import ' || i, v.registered_by, v.registered_at, v.lineage, v.metrics, v.model_card
         FROM n, (SELECT * FROM model_versions WHERE project = 'credit-risk' LIMIT 1) v",
    )
    .bind(bulk as i64)
    .execute(pool)
    .await
    .expect("bulk versions");

    let service = &app.portal.state.service;
    let all = service.versions(&common::reader(), &VersionQuery::default()).await.expect("list");
    assert_eq!(all.total, before.total + bulk, "without a search the total stays exact past the bound");
    let search = VersionQuery { search: Some("bulk import".into()), ..Default::default() };
    let found = service.versions(&common::reader(), &search).await.expect("search");
    assert_eq!(found.total, COUNT_BOUND + 1, "a search counts no further than the bound");
    assert!(!found.total_is_exact());
    let far = service
        .versions(&common::reader(), &VersionQuery { window: Window::new(bulk - 10, 20), ..search.clone() })
        .await
        .expect("a far page");
    assert_eq!(far.items.len(), 10, "the rows past the bound are still reachable");
    let few = service
        .versions(&common::reader(), &VersionQuery { search: Some("bulk import 1004".into()), ..Default::default() })
        .await
        .expect("search");
    assert_eq!(few.total, 11, "a search below the bound is exact (1004 and 10040-10049)");

    let cookie = app.sign_in("gina").await;
    let page = Request::get("/?search=bulk%20import").header("cookie", cookie).body(Body::empty()).expect("request");
    let (status, html) = app.send(page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1-20 of more than 10,000"), "the pager says the total is a lower bound");
    assert!(html.contains("Next page"), "and pages on");
}
