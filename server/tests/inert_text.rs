//! Text people and machines type is rendered as text: a script payload in every free-text field shows up
//! escaped on the pages that display it, never as markup.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TOKEN;

const PAYLOAD: &str = r#"<script>alert('xss')</script><img src=x onerror=alert(1)>"'&"#;

fn api(uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn page(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri).header("accept", "text/html").header("cookie", cookie).body(Body::empty()).unwrap()
}

/// The page never carries the payload as markup; where it `shows` it, it is escaped text.
fn assert_inert(where_: &str, html: &str, shows: bool) {
    for raw in ["<script>alert(", "<img src=x"] {
        assert!(!html.contains(raw), "{where_}: {raw:?} reached the page as markup");
    }
    if shows {
        assert!(html.contains("&lt;script&gt;alert("), "{where_}: the payload is shown, escaped");
    }
}

#[tokio::test]
async fn script_payloads_in_every_free_text_field_are_rendered_inert() {
    let app = common::spawn().await;
    let p = PAYLOAD;
    let card = serde_json::json!({
        "intended_use": p, "limitations": p, "risk_rating": "Low", "training_data": p, "evaluation": p, "owner": p
    });
    let (status, body) = app
        .send(api(
            "/api/v1/projects/credit-risk/versions",
            serde_json::json!({
                "model_group": "pd-model", "description": p, "mlflow_run_id": p, "training_data": [p],
                "code_commit": p, "artifact_uri": format!("s3://bucket/{p}"), "container_image": p,
                "metrics": {"auc": 0.8}, "model_card": card
            }),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let version: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = version["id"].as_str().unwrap().to_string();
    let junit = format!(
        r#"<testsuite name="it"><testcase classname="{c}" name="{c}"><failure message="{c}">{c}</failure></testcase></testsuite>"#,
        c = p
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    );
    // Test runs and monitoring belong to a version approved for Test.
    let tested = app.version("pd-model", 2, true).await.id.to_string();
    let (status, body) = app
        .send(api(
            &format!("/api/v1/versions/{tested}/test-runs"),
            serde_json::json!({"junit_xml": junit, "ci_run": p, "performance": {"latency_p99_ms": 1.0}}),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .send(api(
            &format!("/api/v1/versions/{tested}/monitoring"),
            serde_json::json!({"metric": p, "endpoint": p, "variant": p, "points": [{"at": "2026-11-26T10:00:00Z", "value": 1.0}]}),
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // A person's justification: Dana rejects the version in Dev.
    let dana = app.sign_in("dana").await;
    let v = app
        .portal
        .state
        .service
        .ports_for_tests()
        .registry
        .version(&governance::VersionId(id.clone()))
        .await
        .unwrap()
        .unwrap();
    let digest = app.evidence_digest(&v).await;
    let form = [
        ("version", id.as_str()),
        ("stage", "Dev"),
        ("verdict", "Reject"),
        ("justification", p),
        ("evidence_digest", &digest),
    ];
    let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let request = Request::post("/fn/decide")
        .header("cookie", &dana)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let gina = app.sign_in("gina").await;
    let pages = [
        (format!("/versions/{id}"), true),
        (format!("/versions/{tested}"), true),
        ("/?search=pd-model".to_string(), false),
        ("/inbox".to_string(), false),
        ("/audit".to_string(), false),
        ("/events".to_string(), false),
    ];
    for (uri, shows) in pages {
        let (status, html) = app.send(page(&uri, &gina)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_inert(&uri, &html, shows);
    }
    // Each field of the version page: the page carries the escaped payload once per field that shows it.
    let (_, html) = app.send(page(&format!("/versions/{id}"), &gina)).await;
    let shown = html.matches("&lt;script&gt;alert(").count();
    assert!(shown >= 8, "description, run, data, commit, image, card fields, justification: {shown}");
    let (_, html) = app.send(page(&format!("/versions/{tested}"), &gina)).await;
    assert!(html.matches("&lt;script&gt;alert(").count() >= 3, "test case, failure, monitoring names");
}
