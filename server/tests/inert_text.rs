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

/// The page a refused plain form post is sent back to, as the browser follows the portal's own redirect.
fn page_back(uri: &str, cookie: &str) -> Request<Body> {
    let mut request = page(uri, cookie);
    request.headers_mut().insert("sec-fetch-site", "same-origin".parse().unwrap());
    request
}

/// The page, read by an HTML parser as a browser reads it, never carries the payload as markup: no script runs
/// it and no element carries its handler. Where it `shows` it, the payload is in the page's text as typed.
fn assert_inert(where_: &str, html: &str, shows: bool) {
    let doc = scraper::Html::parse_document(html);
    let scripts = scraper::Selector::parse("script").unwrap();
    for script in doc.select(&scripts) {
        // The page's hydration data carries the payload as JSON, with `<` escaped; the payload as code would
        // be a script of its own.
        let code: String = script.text().collect();
        assert!(!code.trim_start().starts_with("alert("), "{where_}: the payload became a script");
        assert!(
            !code.contains("<script>alert(") && !code.contains("</script>"),
            "{where_}: a script was broken out of"
        );
    }
    let handlers = scraper::Selector::parse("[onerror], img[src=x]").unwrap();
    assert_eq!(doc.select(&handlers).count(), 0, "{where_}: the payload became an element with a handler");
    if shows {
        let text: String = doc.root_element().text().collect();
        assert!(text.contains(PAYLOAD), "{where_}: the payload is shown as the text it is");
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
    // Each field of the version page: the page's text carries the payload once per field that shows it.
    let shown = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        let text: String = doc.root_element().text().collect();
        text.matches("<script>alert(").count()
    };
    let (_, html) = app.send(page(&format!("/versions/{id}"), &gina)).await;
    let count = shown(&html);
    assert!(count >= 8, "description, run, data, commit, image, card fields, justification: {count}");
    let (_, html) = app.send(page(&format!("/versions/{tested}"), &gina)).await;
    assert!(shown(&html) >= 3, "test case, failure, monitoring names");
}

/// Text built to leave a textarea and restyle the approval panel (scripts are stopped by the CSP; styles and
/// markup must be stopped by escaping).
const BREAKOUT: &str =
    "</textarea><style>form button{order:-1}</style><button name=verdict value=Approve>Reject for Prod</button><!--";

/// The text of every `<textarea>` named `name` on the page, as a browser's parser reads it, and the page's
/// `<style>` and `<button>` elements.
fn parsed(html: &str) -> scraper::Html {
    scraper::Html::parse_document(html)
}

fn textareas(doc: &scraper::Html, name: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(&format!("textarea[name=\"{name}\"]")).unwrap();
    doc.select(&selector).map(|t| t.text().collect::<String>()).collect()
}

fn count(doc: &scraper::Html, css: &str) -> usize {
    doc.select(&scraper::Selector::parse(css).unwrap()).count()
}

#[tokio::test]
async fn a_textarea_holds_exactly_its_text_whether_stored_or_reflected() {
    let app = common::spawn().await;
    let b = BREAKOUT;
    // Stored: a model card sent by CI through the API.
    let card = serde_json::json!({
        "intended_use": b, "limitations": b, "risk_rating": "Low", "training_data": b, "evaluation": b, "owner": "o"
    });
    let (status, body) = app
        .send(api(
            "/api/v1/projects/credit-risk/versions",
            serde_json::json!({
                "model_group": "pd-model", "artifact_uri": "s3://bucket/m.tar.gz", "container_image": "xgb:1",
                "metrics": {"auc": 0.8}, "model_card": card
            }),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_str().unwrap().to_string();
    let dana = app.sign_in("dana").await;
    let (status, html) = app.send(page(&format!("/versions/{id}"), &dana)).await;
    assert_eq!(status, StatusCode::OK);
    let doc = parsed(&html);
    for field in ["intended_use", "limitations", "training_data", "evaluation"] {
        assert_eq!(textareas(&doc, field), vec![b.to_string()], "{field}: the card's text, all of it, as text");
    }
    assert_eq!(count(&doc, "body style"), 0, "no style element reached the page");
    let reject_buttons = doc
        .select(&scraper::Selector::parse("button").unwrap())
        .filter(|e| e.text().any(|t| t.contains("Reject for Prod")))
        .count();
    assert_eq!(reject_buttons, 0, "no button was added");

    // Reflected: a refused plain form post brings the typed text back into the form (JavaScript off).
    let typed = format!("{b} (typed)");
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("version", id.as_str()),
            ("intended_use", typed.as_str()),
            ("limitations", "l"),
            ("risk_rating", "Extreme"),
            ("training_data", "t"),
            ("evaluation", "e"),
            ("owner", "o"),
        ])
        .finish();
    let request = Request::post("/fn/save_model_card")
        .header("cookie", &dana)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("referer", format!("http://localhost/versions/{id}"))
        .body(Body::from(form))
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    let back = response.headers().get("location").map(|l| l.to_str().unwrap().to_string());
    let back = back.expect("a plain form post is sent back to its page");
    // The address carries neither the error nor what was typed: only the id of the error kept on the server.
    assert!(!back.contains("__err") && !back.contains("__path"), "{back}");
    let decoded: String = url::form_urlencoded::parse(back.as_bytes()).map(|(k, v)| format!("{k}={v}")).collect();
    assert!(!decoded.contains("textarea") && !decoded.contains("Reject"), "no typed text in {back}");
    assert!(back.contains("__flash="), "{back}");
    let path = back.trim_start_matches("http://localhost");
    let (status, html) = app.send(page_back(path, &dana)).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let doc = parsed(&html);
    assert_eq!(textareas(&doc, "intended_use"), vec![typed.clone()], "what was typed comes back as text");
    assert_eq!(count(&doc, "[role=alert]#error-risk-rating"), 1, "the error is shown, naming the field");
    assert_eq!(count(&doc, "body style"), 0);
    // A reload shows the same form again.
    let (_, again) = app.send(page(path, &dana)).await;
    assert_eq!(textareas(&parsed(&again), "intended_use"), vec![typed.clone()]);

    // The same address opened by anyone else (a crafted link sent to a reviewer) shows the card as stored and
    // no error: the kept error belongs to the session that posted it.
    let gina = app.sign_in("gina").await;
    let (status, theirs) = app.send(page(path, &gina)).await;
    assert_eq!(status, StatusCode::OK);
    let doc = parsed(&theirs);
    let text: String = doc.root_element().text().collect();
    assert!(text.contains(b) && !text.contains("(typed)"), "the stored card, not the typed one");
    assert_eq!(count(&doc, "[role=alert]#error-risk-rating"), 0, "no error shown to another person");

    // Leptos's own parameters, crafted into a link, are dropped before any page is drawn.
    let crafted = format!("/versions/{id}?__path=/fn/save_model_card&__err=eyJJbnRlcm5hbCI6bnVsbH0");
    let response = tower::ServiceExt::oneshot(app.router.clone(), page(&crafted, &gina)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "a link from outside");
    let clean = response.headers()["location"].to_str().unwrap().to_string();
    assert!(!clean.contains("__err") && !clean.contains("__path"), "{clean}");
}

#[tokio::test]
async fn test_evidence_is_stored_and_shown_exactly_as_ci_sent_it_and_a_hostile_report_harms_nobody() {
    let app = common::spawn().await;
    let tested = app.version("pd-model", 2, true).await.id.to_string();
    let uri = format!("/api/v1/versions/{tested}/test-runs");
    // 250 nested suites in 8 KB: refused with the limit named, and the portal goes on serving.
    let deep = format!("{}<testcase name=\"c\"/>{}", "<testsuite name=\"s\">".repeat(250), "</testsuite>".repeat(250));
    assert!(deep.len() < 9_000);
    let (status, body) = app.send(api(&uri, serde_json::json!({"junit_xml": deep}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("deeper than 32 levels"), "{body}");
    // A failure message with every awkward kind of text, sent escaped as XML requires.
    let claim = "expected auc >= 0.75 & < 1, \"quoted\" 'single' <b>not bold</b> 😀 \u{202E}rtl\nsecond line";
    let xml_text = claim.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let junit = format!(
        "<testsuite name=\"it\"><testcase name=\"auc\"><failure message=\"{}\"><![CDATA[cdata <kept> & raw]]></failure></testcase></testsuite>",
        xml_text.replace('"', "&quot;").replace('\n', "&#10;")
    );
    let (status, body) = app.send(api(&uri, serde_json::json!({"junit_xml": junit}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let expected = format!("{claim}\ncdata <kept> & raw");
    let run: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(run["cases"][0]["message"], expected, "stored as sent");
    // The version page shows that text, read as a browser reads it.
    let gina = app.sign_in("gina").await;
    let (status, html) = app.send(page(&format!("/versions/{tested}?cases=failed"), &gina)).await;
    assert_eq!(status, StatusCode::OK);
    let doc = parsed(&html);
    let text: String = doc.root_element().text().collect();
    assert!(text.contains("expected auc >= 0.75 & < 1, \"quoted\" 'single' <b>not bold</b> 😀"), "shown as sent");
    assert_eq!(count(&doc, "td b, li b, pre b"), 0, "the markup in the message is text");
}

fn post_form(uri: &str, cookie: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    Request::post(uri)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn script_payloads_in_the_free_text_of_templates_projects_and_the_catalog_are_rendered_inert() {
    let app = common::spawn().await;
    let p = PAYLOAD;
    let ada = app.sign_in("ada").await;
    let dana = app.sign_in("dana").await;
    let gina = app.sign_in("gina").await;
    let content = format!("{{{{ project.id }}}} {p}");
    let schema = format!("col: {p}");
    let sent = [
        (
            "/fn/save_template",
            &ada,
            vec![
                ("id", "hostile"),
                ("creating", "true"),
                ("form[name]", p),
                ("form[kind]", p),
                ("form[description]", p),
                ("form[owner]", p),
                ("form[prod_quorum]", "1"),
                ("form[f0_path]", "build/a.txt"),
                ("form[f0_content]", content.as_str()),
                ("form[f1_path]", "deploy/b.txt"),
                ("form[f1_content]", p),
            ],
        ),
        (
            "/fn/register_dataset",
            &dana,
            vec![
                ("form[id]", "hostile-data"),
                ("form[name]", p),
                ("form[description]", p),
                ("form[classification]", "Internal"),
                ("form[location]", "s3://lake/hostile/"),
                ("form[schema]", schema.as_str()),
            ],
        ),
        (
            "/fn/create_project",
            &dana,
            vec![
                ("template", "classical-regression"),
                ("form[id]", "hostile-project"),
                ("form[name]", p),
                ("form[description]", p),
                ("form[param_model_group]", "churn-model"),
            ],
        ),
        (
            "/fn/request_subscription",
            &dana,
            vec![("project", "credit-risk"), ("dataset", "loan-applications"), ("justification", p)],
        ),
    ];
    for (uri, who, pairs) in &sent {
        let (status, body) = app.send(post_form(uri, who, pairs)).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    let pages = [
        ("/templates/hostile", &ada),
        ("/templates", &ada),
        ("/datasets", &dana),
        ("/projects/hostile-project", &dana),
        ("/projects", &dana),
        ("/inbox", &gina),
    ];
    for (uri, who) in pages {
        let (status, html) = app.send(page(uri, who)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_inert(uri, &html, true);
    }
}

#[tokio::test]
async fn a_refused_field_is_marked_invalid_described_by_its_alert_and_focused() {
    let app = common::spawn().await;
    let hugo = app.sign_in("hugo").await;
    let v = app.version("pd-model", 2, true).await;
    let digest = app.evidence_digest(&v).await;
    // A plain form post (JavaScript off) with a justification too short to say why.
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("version", v.id.as_str()),
            ("stage", "Prod"),
            ("verdict", "Reject"),
            ("justification", "no"),
            ("evidence_digest", digest.as_str()),
        ])
        .finish();
    let request = Request::post("/fn/decide")
        .header("cookie", &hugo)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("referer", format!("http://localhost/versions/{}", v.id))
        .body(Body::from(form))
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    let back = response.headers()["location"].to_str().unwrap().trim_start_matches("http://localhost").to_string();
    let (_, html) = app.send(page_back(&back, &hugo)).await;
    let doc = parsed(&html);
    let field = doc
        .select(&scraper::Selector::parse("textarea[name=\"justification\"]").unwrap())
        .next()
        .expect("the justification field");
    assert_eq!(field.value().attr("aria-invalid"), Some("true"));
    assert_eq!(field.value().attr("aria-describedby"), Some("error-justification"));
    assert!(field.value().attr("autofocus").is_some(), "the field takes the focus");
    let alert = doc.select(&scraper::Selector::parse("#error-justification[role=alert]").unwrap()).next();
    let alert: String = alert.expect("the alert it points at").text().collect();
    assert!(alert.contains("at least 5 characters"), "{alert}");
    // The other fields are not marked.
    assert_eq!(count(&doc, "[aria-invalid=\"true\"]"), 1);
}

/// The pages style only through the site's stylesheet (the CSP refuses inline styles): no element carries a
/// style attribute and no `<style>` element is drawn, charts included, so text that escaped its escaping
/// could not restyle anything either.
#[tokio::test]
async fn no_page_carries_an_inline_style_charts_included() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    let deployed = app.version("pd-model", 1, true).await;
    let trained = app.version("pd-model", 2, true).await;
    for uri in [
        "/".to_string(),
        "/inbox".to_string(),
        format!("/versions/{}", deployed.id),
        format!("/versions/{}", trained.id),
        format!("/compare?a={}&b={}", deployed.id, trained.id),
        "/templates".to_string(),
        "/datasets".to_string(),
    ] {
        let (status, html) = app.send(page(&uri, &gina)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let doc = parsed(&html);
        assert_eq!(count(&doc, "[style]"), 0, "{uri}: an element with a style attribute");
        assert_eq!(count(&doc, "style"), 0, "{uri}: a style element");
        if uri.starts_with("/versions/") && uri.ends_with(deployed.id.as_str()) {
            assert!(count(&doc, "[data-testid=chart] svg polyline") >= 2, "{uri}: the monitoring charts are drawn");
            // Every point's value is its tooltip.
            assert!(count(&doc, "[data-testid=chart] circle > title") > 0, "{uri}: points carry their values");
        }
    }
}

/// JSON nested 10,000 deep (20 KB) is refused with the reason, where it is the body and where it is a field's
/// value, and the portal goes on serving.
#[tokio::test]
async fn json_nested_ten_thousand_deep_is_refused_and_the_portal_serves_on() {
    let app = common::spawn().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let in_a_field = format!(
        r#"{{"model_group":"pd-model","artifact_uri":"s3://b/m","container_image":"x:1","metrics":{{}},"extra":{deep}}}"#
    );
    for body in [deep.clone(), in_a_field] {
        let request = Request::post("/api/v1/projects/credit-risk/versions")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let (status, answer) = app.send(request).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer.contains("the body is not valid"), "the reason is named: {answer}");
    }
    let dana = app.sign_in("dana").await;
    let request = Request::post("/fn/save_model_card")
        .header("cookie", &dana)
        .header("content-type", "application/json")
        .body(Body::from(deep))
        .unwrap();
    let (status, answer) = app.send(request).await;
    assert!(status.is_client_error(), "{status} {answer}");
    let (status, _) = app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

/// What the version page names, it links, and only where the link leads somewhere: the comparison with the
/// group's Prod version (not on that version itself), a CI run that is a web address (never another scheme), the
/// event's version from the event page; and numbers are written once, the same way (no float noise).
#[tokio::test]
async fn the_version_page_links_what_it_names_and_writes_numbers_once() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    let prod = app.version("pd-model", 1, true).await;
    let candidate = app.version("pd-model", 2, true).await;
    let (_, html) = app.send(page(&format!("/versions/{}", candidate.id), &gina)).await;
    let compare = format!("a[href='/compare?a={}&b={}']", candidate.id, prod.id);
    assert_eq!(count(&parsed(&html), &compare), 1, "the candidate compares with the version in Prod");
    let (_, html) = app.send(page(&format!("/versions/{}", prod.id), &gina)).await;
    assert_eq!(count(&parsed(&html), "a[href^='/compare']"), 0, "the Prod version has nothing in Prod to compare with");

    let junit = r#"<testsuite name="it"><testcase name="ok"/></testsuite>"#;
    let runs = format!("/api/v1/versions/{}/test-runs", candidate.id);
    let (status, body) =
        app.send(api(&runs, serde_json::json!({"junit_xml": junit, "ci_run": "https://ci.example.com/runs/42"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, html) = app.send(page(&format!("/versions/{}", candidate.id), &gina)).await;
    assert_eq!(count(&parsed(&html), "a[href='https://ci.example.com/runs/42']"), 1, "a web address is a link");
    let (status, body) =
        app.send(api(&runs, serde_json::json!({"junit_xml": junit, "ci_run": "javascript:alert(1)"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, html) = app.send(page(&format!("/versions/{}", candidate.id), &gina)).await;
    let doc = parsed(&html);
    assert_eq!(count(&doc, "a[href^='javascript']"), 0, "another scheme is never a link");
    let main: String = doc.select(&scraper::Selector::parse("main").unwrap()).flat_map(|m| m.text()).collect();
    assert!(main.contains("CI run javascript:alert(1)"), "but it is shown as text");

    // A breach whose value carries float noise reads as the number it is.
    let push = serde_json::json!({
        "metric": "drift", "endpoint": "pd-model-prod", "threshold": 0.2,
        "points": [{"at": chrono::Utc::now().to_rfc3339(), "value": 0.21700000000000003}]
    });
    let (status, body) = app.send(api(&format!("/api/v1/versions/{}/monitoring", prod.id), push)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, html) = app.send(page(&format!("/versions/{}", prod.id), &gina)).await;
    let doc = parsed(&html);
    let main: String = doc.select(&scraper::Selector::parse("main").unwrap()).flat_map(|m| m.text()).collect();
    assert!(main.contains("0.217 over threshold 0.2"), "the alarm on the timeline");
    assert!(!main.contains("0.21700000000000003"), "no float noise on the page");

    // The event page links to its version.
    let events = Request::get(format!("/api/v1/events?version={}", prod.id))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (status, body) = app.send(events).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    let event = listed["items"][0]["envelope"]["id"].as_str().expect("an event of the version").to_string();
    let (status, html) = app.send(page(&format!("/events/{event}"), &gina)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&parsed(&html), &format!("a[href='/versions/{}']", prod.id)), 1, "the event links to its version");
}

/// An event whose webhook is down shows, per target, its attempts, the last error and when it is tried next.
#[tokio::test]
async fn an_event_page_shows_when_a_failed_delivery_is_tried_next() {
    let dir = tempfile::tempdir().expect("temp dir");
    let down = server::settings::WebhookTarget {
        name: "ops".into(),
        url: "http://127.0.0.1:9/hook".into(),
        secret: server::settings::Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
    };
    let portal = server::build(common::settings(dir.path(), vec![down])).await.expect("portal builds");
    let router = server::routes::router(portal.state.clone());
    let app = common::TestPortal { portal, router, dir, provider: None, ci: None };
    app.portal.dispatcher.tick().await;
    let v = app.version("pd-model", 1, true).await;
    let events = Request::get(format!("/api/v1/events?version={}", v.id))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (_, body) = app.send(events).await;
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    let failed = listed["items"]
        .as_array()
        .and_then(|items| {
            items.iter().find(|i| {
                i["deliveries"].as_array().is_some_and(|d| d.iter().any(|d| d["target"] == "ops" && d["attempts"] == 1))
            })
        })
        .map(|i| i["envelope"]["id"].as_str().unwrap_or_default().to_string())
        .expect("an event the webhook failed once");
    let gina = app.sign_in("gina").await;
    let (status, html) = app.send(page(&format!("/events/{failed}"), &gina)).await;
    assert_eq!(status, StatusCode::OK);
    let doc = parsed(&html);
    let row = doc
        .select(&scraper::Selector::parse("tr").unwrap())
        .find(|tr| tr.text().any(|t| t.trim() == "ops"))
        .expect("the webhook's row");
    let text: String = row.text().collect();
    assert!(text.contains("could not reach"), "the last error: {text}");
    let next: String =
        row.select(&scraper::Selector::parse("[data-testid=next-attempt]").unwrap()).flat_map(|e| e.text()).collect();
    assert!(next.contains("UTC"), "when it is tried next: {text}");
}

/// A variant of the restyling case the issue did not list: markup in a monitoring series' names, which the
/// charts draw inside SVG (`<title>` tooltips, the legend, the caption): text, no style, no element added.
#[tokio::test]
async fn markup_in_a_monitoring_series_is_drawn_as_text_in_the_charts() {
    let app = common::spawn().await;
    let prod = app.version("pd-model", 1, true).await;
    let hostile = "</title><style>svg{display:none}</style><b>x</b>";
    let push = serde_json::json!({
        "metric": format!("drift {hostile}"), "endpoint": "pd-model-prod", "variant": hostile, "threshold": 0.2,
        "points": [{"at": chrono::Utc::now().to_rfc3339(), "value": 0.5}]
    });
    let (status, body) = app.send(api(&format!("/api/v1/versions/{}/monitoring", prod.id), push)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let gina = app.sign_in("gina").await;
    let (_, html) = app.send(page(&format!("/versions/{}", prod.id), &gina)).await;
    let doc = parsed(&html);
    assert_eq!(count(&doc, "style"), 0, "no style element");
    assert_eq!(count(&doc, "[data-testid=chart] b"), 0, "no element from the name");
    let titles: Vec<String> = doc
        .select(&scraper::Selector::parse("[data-testid=chart] title").unwrap())
        .map(|t| t.text().collect())
        .collect();
    assert!(titles.iter().any(|t| t.starts_with(hostile)), "the tooltip names the series as sent: {titles:?}");
}
