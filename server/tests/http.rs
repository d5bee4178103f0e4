//! HTTP tests of the router: every server function and API route x every persona, machine and anonymous
//! (the authorization matrix), asserting the status and that nothing changed when refused; bad input.
//! People sign in through development sign-in and through a real OIDC provider (`oidc-*`); machines use a
//! static development token or a CI OIDC token from a real issuer (`ci-oidc*`).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::access::{allowed, On};
use common::{TestPortal, OTHER_TOKEN, TOKEN};
use governance::ports::Window;
use governance::Stage;

/// Who calls.
const PEOPLE: [&str; 5] = ["dana", "erin", "gina", "hugo", "ada"];
const ACTORS: [&str; 12] = [
    "anonymous",
    "dana",
    "erin",
    "gina",
    "hugo",
    "ada",
    "oidc-alice",
    "oidc-erin",
    "ci",
    "ci-other",
    "ci-oidc",
    "ci-oidc-other",
];

/// A digest of everything a request could change (sessions aside).
async fn fingerprint(app: &TestPortal) -> Vec<i64> {
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM model_versions",
        "SELECT COALESCE(SUM(revision), 0) FROM model_versions",
        "SELECT COUNT(*) FROM decisions",
        "SELECT COUNT(*) FROM audit_log",
        "SELECT COUNT(*) FROM events",
        "SELECT COUNT(*) FROM test_runs",
        "SELECT COUNT(*) FROM monitoring_points",
        "SELECT COUNT(*) FROM deployment_configs",
        "SELECT COUNT(*) FROM deployment_requests WHERE status != 'Requested'",
        "SELECT COUNT(*) FROM deliveries WHERE state = 'Pending'",
        "SELECT COALESCE(SUM(LENGTH(model_card)), 0) FROM model_versions",
    ] {
        out.push(sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap());
    }
    out
}

struct Caller {
    cookie: Option<String>,
    bearer: Option<String>,
}

async fn caller(app: &TestPortal, actor: &str) -> Caller {
    let machine = |token: String| Caller { cookie: None, bearer: Some(token) };
    match actor {
        "anonymous" => Caller { cookie: None, bearer: None },
        "ci" => machine(TOKEN.into()),
        "ci-other" => machine(OTHER_TOKEN.into()),
        // acme/credit-risk's test environment: every action in credit-risk (see common::trust_policies).
        "ci-oidc" => machine(app.ci_token(&[("repository", "acme/credit-risk"), ("environment", "test")]).await),
        "ci-oidc-other" => machine(app.ci_token(&[("repository", "acme/policy-search")]).await),
        oidc if oidc.starts_with("oidc-") => {
            Caller { cookie: Some(app.oidc_sign_in(&oidc["oidc-".len()..]).await), bearer: None }
        }
        person => Caller { cookie: Some(app.sign_in(person).await), bearer: None },
    }
}

fn request(caller: &Caller, method: &str, uri: &str, content_type: &str, body: String) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(c) = &caller.cookie {
        r = r.header("cookie", c);
    }
    if let Some(t) = &caller.bearer {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if !content_type.is_empty() {
        r = r.header("content-type", content_type);
    }
    r.body(Body::from(body)).unwrap()
}

/// One row of the matrix: which actors may, what the others get, and whether success changes state.
struct Row {
    name: &'static str,
    method: &'static str,
    uri: String,
    content_type: &'static str,
    body: String,
    /// Worked out from the authorization table (`common::access`), never listed by hand.
    allowed: Vec<&'static str>,
    ok: StatusCode,
    writes: bool,
}

/// Who may call a server function (`/fn/{name}`) on `on`, by the table.
fn may_call(name: &str, on: &On) -> Vec<&'static str> {
    allowed(&format!("/fn/{name}"), on, &ACTORS)
}

/// Who may call an API route (`METHOD path` as routed), by the table.
fn may_use(route: &str) -> Vec<&'static str> {
    allowed(route, &On::default(), &ACTORS)
}

/// What a refused actor gets: 401 when nobody is signed in (server functions ignore bearer tokens), else 403.
fn refusal(row: &Row, actor: &str) -> StatusCode {
    let server_fn = row.uri.starts_with("/fn/");
    match actor {
        "anonymous" => StatusCode::UNAUTHORIZED,
        "ci" | "ci-other" | "ci-oidc" | "ci-oidc-other" if server_fn => StatusCode::UNAUTHORIZED,
        _ => StatusCode::FORBIDDEN,
    }
}

async fn run(app: &TestPortal, row: Row) {
    let before = fingerprint(app).await;
    // Refused actors first, on the same state; then the allowed ones.
    let mut order: Vec<&str> = ACTORS.iter().copied().filter(|a| !row.allowed.contains(a)).collect();
    order.extend(row.allowed.iter().copied());
    for actor in order {
        let c = caller(app, actor).await;
        let (status, body) = app.send(request(&c, row.method, &row.uri, row.content_type, row.body.clone())).await;
        if row.allowed.contains(&actor) {
            assert_eq!(status, row.ok, "{} as {actor}: {body}", row.name);
            if row.writes {
                // Only the first allowed actor writes; the state then moves on.
                assert_ne!(fingerprint(app).await, before, "{} as {actor} changed nothing", row.name);
                return;
            }
        } else {
            assert_eq!(status, refusal(&row, actor), "{} as {actor}: {body}", row.name);
            assert!(
                body.contains("message")
                    || body.contains("Sign in")
                    || body.contains("Only")
                    || body.contains("NotSignedIn")
                    || body.contains("Denied"),
                "{} as {actor}: no reason in {body}",
                row.name
            );
            assert_eq!(fingerprint(app).await, before, "{} as {actor} changed state", row.name);
        }
    }
    if !row.writes {
        assert_eq!(fingerprint(app).await, before, "{} is a read but changed state", row.name);
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&")
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

#[tokio::test]
async fn server_functions_that_read_need_a_signed_in_person() {
    let app = common::spawn_with_identity().await;
    let v = app.version("pd-model", 2, true).await;
    let event = app.portal.state.service.ports_for_tests().ledger.events(None, Window::new(0, 1)).await.unwrap().items
        [0]
    .envelope
    .id
    .clone();
    let rows = [
        (
            "registry",
            form(&[
                ("filter[project]", ""),
                ("filter[stage]", ""),
                ("filter[status]", ""),
                ("filter[search]", ""),
                ("filter[offset]", "0"),
            ]),
        ),
        ("version_page", form(&[("id", v.id.as_str())])),
        ("inbox", String::new()),
        ("events", form(&[("offset", "0")])),
        ("event", form(&[("id", event.as_str())])),
        ("audit", form(&[("offset", "0")])),
        ("compare", form(&[("a", v.id.as_str()), ("b", "")])),
    ];
    for (name, body) in rows {
        run(
            &app,
            Row {
                name,
                method: "POST",
                uri: format!("/fn/{name}"),
                content_type: FORM,
                body,
                allowed: may_call(name, &On::default()),
                ok: StatusCode::OK,
                writes: false,
            },
        )
        .await;
    }
    for name in ["current_user", "demo_people"] {
        run(
            &app,
            Row {
                name,
                method: "POST",
                uri: format!("/fn/{name}"),
                content_type: FORM,
                body: String::new(),
                allowed: may_call(name, &On::default()),
                ok: StatusCode::OK,
                writes: false,
            },
        )
        .await;
    }
}

async fn decide_row(
    app: &TestPortal,
    name: &'static str,
    group: &str,
    number: u32,
    central: bool,
    stage: Stage,
) -> Row {
    let v = app.version(group, number, central).await;
    let digest = app.evidence_digest(&v).await;
    Row {
        name,
        method: "POST",
        uri: "/fn/decide".into(),
        content_type: FORM,
        body: form(&[
            ("version", v.id.as_str()),
            ("stage", stage.as_str()),
            ("verdict", "Approve"),
            ("justification", "Evidence reviewed."),
            ("evidence_digest", &digest),
        ]),
        allowed: may_call("decide", &On { project: v.project.clone(), stage, ..On::default() }),
        ok: StatusCode::OK,
        writes: true,
    }
}

#[tokio::test]
async fn only_the_stage_persona_may_decide() {
    let app = common::spawn_with_identity().await;
    run(&app, decide_row(&app, "decide Dev", "pd-model", 3, false, Stage::Dev).await).await;
    let app = common::spawn_with_identity().await;
    let v = app.version("support-llm", 1, true).await;
    let erin = server::demo::people().into_iter().find(|p| p.subject.as_str() == "erin").unwrap();
    let config = governance::deployment::DeploymentConfig {
        instance_type: "ml.g5.xlarge".into(),
        initial_instance_count: 1,
        autoscaling_min: 1,
        autoscaling_max: 2,
        variants: vec![governance::deployment::ProductionVariant { name: "champion".into(), weight: 100 }],
        data_capture_percent: 10,
    };
    app.portal.state.service.save_deployment_config(&erin, &v.id, governance::Environment::Test, config).await.unwrap();
    run(&app, decide_row(&app, "decide Test", "support-llm", 1, true, Stage::Test).await).await;
    let app = common::spawn_with_identity().await;
    run(&app, decide_row(&app, "decide Prod", "pd-model", 2, true, Stage::Prod).await).await;
}

#[tokio::test]
async fn only_ai_engineers_save_deployment_configs() {
    let app = common::spawn_with_identity().await;
    let v = app.version("support-llm", 1, true).await;
    let body = form(&[
        ("version", v.id.as_str()),
        ("environment", "Test"),
        ("instance_type", "ml.g5.xlarge"),
        ("initial_instance_count", "1"),
        ("autoscaling_min", "1"),
        ("autoscaling_max", "2"),
        ("variants", "champion:100"),
        ("data_capture_percent", "10"),
    ]);
    run(
        &app,
        Row {
            name: "save_deployment_config",
            method: "POST",
            uri: "/fn/save_deployment_config".into(),
            content_type: FORM,
            body,
            allowed: may_call("save_deployment_config", &On { project: v.project.clone(), ..On::default() }),
            ok: StatusCode::OK,
            writes: true,
        },
    )
    .await;
}

#[tokio::test]
async fn only_data_scientists_edit_the_model_card() {
    let app = common::spawn_with_identity().await;
    let v = app.version("pd-model", 3, false).await;
    let body = form(&[
        ("version", v.id.as_str()),
        ("intended_use", "Score applications."),
        ("limitations", "Retail only."),
        ("risk_rating", "High"),
        ("training_data", "2024-2026 applications."),
        ("evaluation", "AUC 0.84 on holdout."),
        ("owner", "risk@example.com"),
    ]);
    run(
        &app,
        Row {
            name: "save_model_card",
            method: "POST",
            uri: "/fn/save_model_card".into(),
            content_type: FORM,
            body,
            allowed: may_call("save_model_card", &On::default()),
            ok: StatusCode::OK,
            writes: true,
        },
    )
    .await;
    assert_eq!(app.reload(&v).await.model_card.evaluation, "AUC 0.84 on holdout.");
}

#[tokio::test]
async fn only_admins_redeliver_events() {
    let app = common::spawn_with_identity().await;
    while app.portal.dispatcher.tick().await > 0 {}
    let event = app.portal.state.service.ports_for_tests().ledger.events(None, Window::new(0, 1)).await.unwrap().items
        [0]
    .envelope
    .id
    .clone();
    let body = form(&[("event", event.as_str()), ("target", "portal-consumer")]);
    run(
        &app,
        Row {
            name: "redeliver",
            method: "POST",
            uri: "/fn/redeliver".into(),
            content_type: FORM,
            body,
            allowed: may_call("redeliver", &On::default()),
            ok: StatusCode::OK,
            writes: true,
        },
    )
    .await;
}

fn register_body() -> String {
    serde_json::json!({
        "model_group": "pd-model",
        "artifact_uri": "s3://ml-artifacts/pd-model/run-x/model.tar.gz",
        "container_image": "xgb:1",
        "metrics": {"auc": 0.8}
    })
    .to_string()
}

#[tokio::test]
async fn api_writes_need_the_project_token() {
    let app = common::spawn_with_identity().await;
    run(
        &app,
        Row {
            name: "register",
            method: "POST",
            uri: "/api/v1/projects/credit-risk/versions".into(),
            content_type: JSON,
            body: register_body(),
            allowed: may_use("POST /api/v1/projects/{project}/versions"),
            ok: StatusCode::CREATED,
            writes: true,
        },
    )
    .await;

    let app = common::spawn_with_identity().await;
    let v = app.version("pd-model", 2, true).await;
    let junit = r#"<testsuite name="it"><testcase name="invoke" time="0.1"/></testsuite>"#;
    let body = serde_json::json!({"junit_xml": junit, "performance": {"latency_p99_ms": 100.0}}).to_string();
    run(
        &app,
        Row {
            name: "test-runs",
            method: "POST",
            uri: format!("/api/v1/versions/{}/test-runs", v.id),
            content_type: JSON,
            body,
            allowed: may_use("POST /api/v1/versions/{id}/test-runs"),
            ok: StatusCode::CREATED,
            writes: true,
        },
    )
    .await;

    let app = common::spawn_with_identity().await;
    let v = app.version("pd-model", 1, true).await;
    let body = serde_json::json!({"metric": "ModelLatency p99 (ms)", "endpoint": "pd-model-prod", "variant": "champion", "threshold": 300.0, "points": [{"at": "2026-11-26T10:00:00Z", "value": 120.0}]}).to_string();
    run(
        &app,
        Row {
            name: "monitoring",
            method: "POST",
            uri: format!("/api/v1/versions/{}/monitoring", v.id),
            content_type: JSON,
            body,
            allowed: may_use("POST /api/v1/versions/{id}/monitoring"),
            ok: StatusCode::NO_CONTENT,
            writes: true,
        },
    )
    .await;

    let app = common::spawn_with_identity().await;
    while app.portal.dispatcher.tick().await > 0 {} // the consumer makes the deployment requests
    let v = app.version("pd-model", 2, true).await;
    let request =
        app.portal.state.service.ports_for_tests().evidence.deployment_requests(&v.id).await.unwrap().remove(0);
    let body = serde_json::json!({"status": "Succeeded", "message": "endpoint InService"}).to_string();
    run(
        &app,
        Row {
            name: "deployment status",
            method: "POST",
            uri: format!("/api/v1/deployments/{}/status", request.id),
            content_type: JSON,
            body,
            allowed: may_use("POST /api/v1/deployments/{id}/status"),
            ok: StatusCode::OK,
            writes: true,
        },
    )
    .await;
}

#[tokio::test]
async fn api_reads_are_for_people_and_the_project_machine() {
    let app = common::spawn_with_identity().await;
    let v = app.version("pd-model", 2, true).await;
    let uris = [
        ("GET /api/v1/versions", "/api/v1/versions?project=credit-risk".to_string()),
        ("GET /api/v1/versions/{id}", format!("/api/v1/versions/{}", v.id)),
        ("GET /api/v1/versions/{id}/decisions", format!("/api/v1/versions/{}/decisions", v.id)),
        ("GET /api/v1/versions/{id}/test-runs", format!("/api/v1/versions/{}/test-runs", v.id)),
        ("GET /api/v1/versions/{id}/deployments", format!("/api/v1/versions/{}/deployments", v.id)),
        ("GET /api/v1/model-groups", "/api/v1/model-groups?project=credit-risk".to_string()),
        ("GET /api/v1/decisions", "/api/v1/decisions?project=credit-risk".to_string()),
        ("GET /api/v1/events", format!("/api/v1/events?version={}", v.id)),
    ];
    for (route, uri) in uris {
        run(
            &app,
            Row {
                name: "read",
                method: "GET",
                uri,
                content_type: "",
                body: String::new(),
                allowed: may_use(route),
                ok: StatusCode::OK,
                writes: false,
            },
        )
        .await;
    }
    run(
        &app,
        Row {
            name: "openapi",
            method: "GET",
            uri: "/api/v1/openapi.json".into(),
            content_type: "",
            body: String::new(),
            allowed: may_use("GET /api/v1/openapi.json"),
            ok: StatusCode::OK,
            writes: false,
        },
    )
    .await;
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    let spec = server::api::openapi::spec();
    let paths = spec["paths"].as_object().unwrap();
    let source = include_str!("../src/api/mod.rs");
    let routed: Vec<&str> =
        source.lines().filter_map(|l| l.trim().strip_prefix(".route(\"")).filter_map(|l| l.split('"').next()).collect();
    for path in &routed {
        if *path != "/api/v1/openapi.json" {
            assert!(paths.contains_key(*path), "{path} is routed but not documented");
        }
    }
    for path in paths.keys() {
        assert!(routed.contains(&path.as_str()), "{path} is documented but not routed");
    }
}

#[tokio::test]
async fn bad_api_input_names_what_was_wrong_and_changes_nothing() {
    let app = common::spawn().await;
    let ci = Caller { cookie: None, bearer: Some(TOKEN.into()) };
    let uri = "/api/v1/projects/credit-risk/versions";
    let before = fingerprint(&app).await;
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("{not json".into(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        (
            r#"{"model_group":"pd-model","artifact_uri":"s3://a/b","container_image":"x","surprise":1}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "surprise",
        ),
        (
            r#"{"model_group":"PD Model","artifact_uri":"s3://a/b","container_image":"x"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "model_group",
        ),
        (
            r#"{"model_group":"pd-model","artifact_uri":"not a uri","container_image":"x"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "artifact_uri",
        ),
        (
            format!(
                r#"{{"model_group":"pd-model","artifact_uri":"s3://a/b","container_image":"x","description":"{}"}}"#,
                "d".repeat(2001)
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "description",
        ),
        (
            format!(
                r#"{{"model_group":"pd-model","artifact_uri":"s3://a/b","container_image":"x","description":"{}"}}"#,
                "d".repeat(3 * 1024 * 1024)
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
    ];
    for (body, status, mentions) in cases {
        let (got, text) = app.send(request(&ci, "POST", uri, JSON, body)).await;
        assert_eq!(got, status, "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        assert!(json["code"].is_string() && json["message"].is_string(), "{text}");
        assert!(text.contains(mentions), "{text} should mention {mentions}");
    }
    let (status, text) = app.send(request(&ci, "GET", "/api/v1/versions/mv-nope", "", String::new())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    let v = app.version("pd-model", 2, true).await;
    let (status, text) = app
        .send(request(
            &ci,
            "POST",
            &format!("/api/v1/versions/{}/test-runs", v.id),
            JSON,
            r#"{"junit_xml":"<testsuite"}"#.into(),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("junit_xml"), "{text}");
    let bad = Caller { cookie: None, bearer: Some("forged".into()) };
    let (status, _) = app.send(request(&bad, "POST", uri, JSON, register_body())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(fingerprint(&app).await, before);
}

#[tokio::test]
async fn bad_form_input_names_the_field_and_changes_nothing() {
    let app = common::spawn().await;
    let v = app.version("support-llm", 1, true).await;
    let erin = Caller { cookie: Some(app.sign_in("erin").await), bearer: None };
    let before = fingerprint(&app).await;
    let base = [
        ("environment", "Test"),
        ("instance_type", "ml.m5.large"),
        ("initial_instance_count", "1"),
        ("autoscaling_min", "1"),
        ("autoscaling_max", "2"),
        ("variants", "champion:100"),
        ("data_capture_percent", "10"),
    ];
    for (field, value) in [
        ("instance_type", "m5.large"),
        ("initial_instance_count", "many"),
        ("autoscaling_max", "0"),
        ("variants", "champion:90"),
        ("data_capture_percent", "300"),
        ("environment", "Staging"),
    ] {
        let mut pairs: Vec<(&str, &str)> = vec![("version", v.id.as_str())];
        pairs.extend(base.iter().map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) }));
        let (status, text) = app.send(request(&erin, "POST", "/fn/save_deployment_config", FORM, form(&pairs))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {text}");
        assert!(text.contains(&format!("\"field\":\"{field}\"")), "{field}: {text}");
        assert!(text.contains(value), "the typed value comes back: {text}");
    }
    let dana = Caller { cookie: Some(app.sign_in("dana").await), bearer: None };
    let dev = app.version("pd-model", 3, false).await;
    let card = form(&[
        ("version", dev.id.as_str()),
        ("risk_rating", "Extreme"),
        ("intended_use", "typed text"),
        ("limitations", ""),
        ("training_data", ""),
        ("evaluation", ""),
        ("owner", ""),
    ]);
    let (status, text) = app.send(request(&dana, "POST", "/fn/save_model_card", FORM, card)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("\"field\":\"risk_rating\"") && text.contains("typed text"), "{text}");
    let gina = Caller { cookie: Some(app.sign_in("gina").await), bearer: None };
    let p = app.version("pd-model", 2, true).await;
    let digest = app.evidence_digest(&p).await;
    for (justification, status) in
        [("", StatusCode::UNPROCESSABLE_ENTITY), (&*"x".repeat(2001), StatusCode::UNPROCESSABLE_ENTITY)]
    {
        let body = form(&[
            ("version", p.id.as_str()),
            ("stage", "Prod"),
            ("verdict", "Approve"),
            ("justification", justification),
            ("evidence_digest", &digest),
        ]);
        let (got, text) = app.send(request(&gina, "POST", "/fn/decide", FORM, body)).await;
        assert_eq!(got, status, "{text}");
        assert!(text.contains("justification"), "{text}");
    }
    let body = form(&[
        ("version", p.id.as_str()),
        ("stage", "Prod"),
        ("verdict", "Approve"),
        ("justification", "Looks right."),
        ("evidence_digest", "stale"),
        ("seen_test_run", "run-seen-before"),
    ]);
    let (got, text) = app.send(request(&gina, "POST", "/fn/decide", FORM, body)).await;
    assert_eq!(got, StatusCode::CONFLICT, "{text}");
    assert!(text.contains("New test results arrived"), "{text}");
    assert_eq!(fingerprint(&app).await, before);
}

#[tokio::test]
async fn pages_redirect_anonymous_visitors_and_unknown_versions_are_404() {
    let app = common::spawn().await;
    let anon = Caller { cookie: None, bearer: None };
    let page = |c: &Caller, uri: &str| {
        let mut r = request(c, "GET", uri, "", String::new());
        r.headers_mut().insert("accept", "text/html".parse().unwrap());
        r
    };
    let response = tower::ServiceExt::oneshot(app.router.clone(), page(&anon, "/inbox")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in");
    let gina = Caller { cookie: Some(app.sign_in("gina").await), bearer: None };
    let (status, body) = app.send(page(&gina, "/versions/mv-nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("was not found"));
    let (status, body) = app.send(page(&gina, "/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("pd-model v2"), "Gina's inbox lists the version awaiting Prod");
    let (status, _) = app.send(page(&anon, "/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.send(page(&anon, "/readyz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"ready": true, "backends": {"database": "ok"}})
    );
}

#[tokio::test]
async fn development_sign_in_is_refused_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(dir.path(), vec![]);
    settings.mode = server::settings::Mode::Production;
    let portal = server::build(settings).await.unwrap();
    let router = server::routes::router(portal.state.clone());
    let response = tower::ServiceExt::oneshot(
        router,
        Request::post("/fn/sign_in").header("content-type", FORM).body(Body::from("subject=gina")).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("set-cookie").is_none());
    let _ = PEOPLE;
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_responses_carry_security_headers() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    let p = app.version("pd-model", 2, true).await;
    let digest = app.evidence_digest(&p).await;
    let body = form(&[
        ("version", p.id.as_str()),
        ("stage", "Prod"),
        ("verdict", "Approve"),
        ("justification", "Looks right."),
        ("evidence_digest", &digest),
    ]);
    let before = fingerprint(&app).await;
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
        // The right host over the other scheme is another origin.
        ("origin", "https://127.0.0.1:3000"),
    ] {
        let request = Request::post("/fn/decide")
            .header("host", "127.0.0.1:3000")
            .header("cookie", &gina)
            .header("content-type", FORM)
            .header(name, value)
            .body(Body::from(body.clone()))
            .unwrap();
        let (status, text) = app.send(request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {value}: {text}");
        assert_eq!(fingerprint(&app).await, before, "{name}: {value}");
    }
    // Without a Host header (HTTP/1.0, h2c) an Origin matches nothing.
    let request = Request::post("/fn/decide")
        .header("cookie", &gina)
        .header("content-type", FORM)
        .header("origin", "https://evil.example")
        .body(Body::from(body.clone()))
        .unwrap();
    let (status, text) = app.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no Host: {text}");
    assert_eq!(fingerprint(&app).await, before);
    // The same post from the portal's own page goes through.
    let request = Request::post("/fn/decide")
        .header("host", "127.0.0.1:3000")
        .header("origin", "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &gina)
        .header("content-type", FORM)
        .body(Body::from(body))
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn a_version_compares_with_the_one_in_prod() {
    let app = common::spawn().await;
    let gina = Caller { cookie: Some(app.sign_in("gina").await), bearer: None };
    let challenger = app.version("pd-model", 2, true).await;
    let page = |uri: String| {
        let mut r = request(&gina, "GET", &uri, "", String::new());
        r.headers_mut().insert("accept", "text/html".parse().unwrap());
        r
    };
    let (status, body) = app.send(page(format!("/compare?a={}", challenger.id))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("pd-model v1") && body.contains("pd-model v2"), "champion and challenger side by side");
    assert!(body.contains("differs"));
    // A group with nothing in Prod says so.
    let lonely = app.version("support-llm", 1, true).await;
    let (status, body) = app.send(page(format!("/compare?a={}", lonely.id))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("in Prod to compare with"), "{}", &body[..body.len().min(300)]);
}

/// The version page as `who` sees it.
async fn version_page_html(app: &common::TestPortal, who: &str, id: &str, query: &str) -> (StatusCode, String) {
    let caller = Caller { cookie: Some(app.sign_in(who).await), bearer: None };
    let mut r = request(&caller, "GET", &format!("/versions/{id}{query}"), "", String::new());
    r.headers_mut().insert("accept", "text/html".parse().unwrap());
    app.send(r).await
}

#[tokio::test]
async fn the_version_page_shows_the_training_run_and_the_test_run_filters() {
    let app = common::spawn().await;
    let v1 = app.version("pd-model", 1, true).await;
    let (status, body) = version_page_html(&app, "gina", v1.id.as_str(), "").await;
    assert_eq!(status, StatusCode::OK);
    for text in ["Training run", "learning_rate", "train_loss per step", "pd-model v1", "FINISHED", "Metric history"] {
        assert!(body.contains(text), "the page shows {text:?}");
    }
    // Filtering cases by status is a link that works without JavaScript.
    let (status, body) = version_page_html(&app, "gina", v1.id.as_str(), "?cases=failed").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("failed (0)"), "the failed filter is selected with its count");
    // (The data for hydration carries every case; the table rows are what a reader sees.)
    assert!(!body.contains("<td>golden_set_predictions<!></td>"), "passing cases are filtered out");
    let (_, all) = version_page_html(&app, "gina", v1.id.as_str(), "?cases=all").await;
    assert!(all.contains("<td>golden_set_predictions<!></td>"), "and shown with every status");
    // A time range outside the demo data shows the empty state, not an error.
    let (status, body) = version_page_html(&app, "gina", v1.id.as_str(), "?range=1h").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Last hour"));
}

#[tokio::test]
async fn a_long_case_table_is_read_a_page_at_a_time_failures_first() {
    let app = common::spawn().await;
    let v = app.version("pd-model", 2, true).await;
    // 250 cases, the last three failing: they lead the first page.
    let cases: String = (0..250)
        .map(|i| {
            let failure = if i >= 247 { r#"<failure message="boom"/>"# } else { "" };
            // Durations that do not follow the names: case_i takes (i * 7) % 250 ms.
            let time = f64::from((i * 7) % 250) / 1000.0;
            format!(r#"<testcase classname="load" name="case_{i:03}" time="{time}">{failure}</testcase>"#)
        })
        .collect();
    let junit = format!(r#"<testsuite name="load">{cases}</testsuite>"#);
    let ci = Caller { cookie: None, bearer: Some(TOKEN.into()) };
    let body = serde_json::json!({ "junit_xml": junit, "performance": {} }).to_string();
    let uri = format!("/api/v1/versions/{}/test-runs", v.id);
    let (status, text) = app.send(request(&ci, "POST", &uri, "application/json", body)).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");

    let rows = |html: &str| html.matches("<td>case_").count();
    let (status, first) = version_page_html(&app, "gina", v.id.as_str(), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&first), 100, "one page of cases");
    assert!(first.contains("1-100 of 250"), "the pager says where the reader is");
    let boom = first.find("<td>case_247").expect("a failing case on the first page");
    assert!(boom < first.find("<td>case_000").expect("a passing case"), "failures first");
    assert!(first.contains("case_offset=100"), "a link to the next page");

    let (_, last) = version_page_html(&app, "gina", v.id.as_str(), "?cases=all&case_offset=200").await;
    assert_eq!(rows(&last), 50);
    assert!(last.contains("201-250 of 250"));
    // An offset past the end shows the first page rather than nothing.
    let (_, past) = version_page_html(&app, "gina", v.id.as_str(), "?case_offset=9000").await;
    assert!(past.contains("1-100 of 250"));

    // Sorted by a header's link (no JavaScript needed): the slowest case first, the sort kept across pages.
    let (_, slowest) = version_page_html(&app, "gina", v.id.as_str(), "?case_sort=duration&case_sort_dir=desc").await;
    let first_case = |html: &str| html[html.find("<td>case_").expect("a case") + 4..][..8].to_string();
    assert_eq!(first_case(&slowest), "case_107", "107 * 7 % 250 = 249 ms, the slowest");
    assert!(slowest.contains("aria-sort=\"descending\""));
    assert!(
        slowest.contains("case_sort=duration&amp;case_sort_dir=desc&amp;case_offset=100"),
        "the next page keeps the sort"
    );
    let (_, by_name) = version_page_html(&app, "gina", v.id.as_str(), "?case_sort=case&case_sort_dir=desc").await;
    assert_eq!(first_case(&by_name), "case_249");
    // A crafted sort falls back to failures first.
    let (_, crafted) = version_page_html(&app, "gina", v.id.as_str(), "?case_sort=%3Cscript%3E").await;
    assert_eq!(first_case(&crafted), "case_247");
}

#[tokio::test]
async fn an_unreachable_mlflow_leaves_the_rest_of_the_version_page_working() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: the connection is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut settings = common::settings(dir.path(), vec![]);
    settings.mlflow = Some(server::settings::MlflowSettings {
        tracking_uri: format!("http://{closed}"),
        timeout_ms: 2000,
        connect_timeout_ms: 500,
        reuse_connections: true,
        username: None,
        password: None,
        token: None,
    });
    let portal = server::build(settings).await.unwrap();
    let router = server::routes::router(portal.state.clone());
    let app = common::TestPortal { portal, router, dir, provider: None, ci: None };
    let v1 = app.version("pd-model", 1, true).await;
    let (status, body) = version_page_html(&app, "gina", v1.id.as_str(), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("cannot be shown right now"), "the run section says MLflow is down");
    assert!(body.contains("unreachable"), "and why");
    assert!(body.contains("Integration test runs") && body.contains("Deployment config"), "the rest of the page works");
}

#[tokio::test]
async fn pages_carry_a_nonce_csp_and_cross_site_writes_are_refused_everywhere() {
    let app = common::spawn_with_identity().await;
    let gina = app.sign_in("gina").await;
    let response = app.get("/inbox", &[&gina]).await;
    let headers = response.headers().clone();
    let html =
        String::from_utf8_lossy(&http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes())
            .to_string();
    let csp = headers["content-security-policy"].to_str().unwrap().to_string();
    for directive in
        ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "'wasm-unsafe-eval'"]
    {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }
    // Neither inline scripts (without the nonce) nor inline styles are allowed.
    for name in ["script-src", "style-src"] {
        let directive = csp.split(';').map(str::trim).find(|d| d.starts_with(name)).expect(name);
        assert!(!directive.contains("unsafe-inline"), "{csp}");
    }
    // Sign-out posts a form that redirects to the identity provider.
    assert!(csp.contains(&format!("form-action 'self' {}", app.provider.as_ref().unwrap().url)), "{csp}");
    // Every inline script (hydration, resolved resources) carries this response's nonce.
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a nonce");
    let scripts = html.matches("<script").count();
    assert!(
        scripts > 0
            && html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts - html.matches("<script src").count()
    );
    assert!(headers.get(app::server::NONCE_HEADER).is_none(), "the internal header does not leave");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // A cross-site write to the API or to sign-in is refused like one to a server function.
    let before = fingerprint(&app).await;
    for uri in ["/api/v1/projects/credit-risk/versions", "/auth/login", "/fn/sign_out"] {
        let request = Request::post(uri)
            .header("host", "127.0.0.1:3000")
            .header("origin", "https://evil.example")
            .header("cookie", &gina)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", JSON)
            .body(Body::from(register_body()))
            .unwrap();
        let (status, _) = app.send(request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
    }
    assert_eq!(fingerprint(&app).await, before);
    let (status, _) =
        app.send(request(&Caller { cookie: Some(gina), bearer: None }, "GET", "/inbox", "", String::new())).await;
    assert_eq!(status, StatusCode::OK, "the session survived the refused sign-out");
}

#[tokio::test]
async fn template_project_and_catalog_server_functions_follow_the_matrix() {
    let app = common::spawn_with_identity().await;
    for (name, body) in [
        ("templates", String::new()),
        ("template_page", form(&[("id", "rag")])),
        ("projects_page", String::new()),
        ("published_template", form(&[("id", "rag")])),
        ("catalog_page", String::new()),
        ("dataset_requests", String::new()),
    ] {
        let row = Row {
            name,
            method: "POST",
            uri: format!("/fn/{name}"),
            content_type: FORM,
            body,
            allowed: may_call(name, &On::default()),
            ok: StatusCode::OK,
            writes: false,
        };
        run(&app, row).await;
    }
    let template = form(&[
        ("id", "tiny"),
        ("creating", "true"),
        ("form[name]", "Tiny"),
        ("form[kind]", "RAG"),
        ("form[owner]", "ML platform"),
        ("form[prod_quorum]", "1"),
        ("form[f0_path]", "build/a.txt"),
        ("form[f0_content]", "{{ project.id }}"),
        ("form[f1_path]", "deploy/b.txt"),
        ("form[f1_content]", "b"),
    ]);
    let rows = [
        ("save_template", template),
        ("set_template_status", form(&[("id", "rag"), ("version", "1"), ("to", "Deprecate")])),
        (
            "create_project",
            form(&[
                ("template", "classical-regression"),
                ("form[id]", "churn"),
                ("form[name]", "Churn"),
                ("form[param_model_group]", "churn-model"),
            ]),
        ),
        (
            "request_subscription",
            form(&[("project", "credit-risk"), ("dataset", "loan-applications"), ("justification", "Features.")]),
        ),
        (
            "register_dataset",
            form(&[
                ("form[id]", "events"),
                ("form[name]", "Events"),
                ("form[classification]", "Internal"),
                ("form[location]", "s3://lake/events/"),
                ("form[schema]", "id: string"),
            ]),
        ),
    ];
    for (name, body) in rows {
        let row = Row {
            name,
            method: "POST",
            uri: format!("/fn/{name}"),
            content_type: FORM,
            body,
            allowed: may_call(name, &On::default()),
            ok: StatusCode::OK,
            writes: true,
        };
        run(&app, row).await;
    }
}

#[test]
fn every_server_function_and_api_route_is_in_the_table() {
    // The server function modules the table reads are all of them.
    let modules: Vec<&str> = include_str!("../../app/src/server_fns/mod.rs")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();
    assert_eq!(modules, common::access::server_fn_modules(), "a server function module the table does not read");
    let routed = common::access::routed_endpoints();
    assert!(routed.len() > 40, "every server function and route was found: {routed:?}");
    let missing: Vec<&String> = routed.iter().filter(|e| common::access::access(e, &On::default()).is_none()).collect();
    assert!(missing.is_empty(), "routed but missing from the authorization table: {missing:?}");
}

#[test]
fn no_request_path_reaches_a_port_around_the_service() {
    // The service's ports are private; its test accessor is for tests only.
    let mut offenders = Vec::new();
    for root in ["../app/src", "src"] {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("a source folder") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && std::fs::read_to_string(&path).expect("source").contains("ports_for_tests")
                {
                    offenders.push(path);
                }
            }
        }
    }
    assert!(offenders.is_empty(), "these reach the ports around the service: {offenders:?}");
}

/// Projects and members, which a refused project creation must leave as they were.
async fn projects_fingerprint(app: &TestPortal) -> (i64, i64, String) {
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap() };
    let members: String = sqlx::query_scalar(
        "SELECT COALESCE(GROUP_CONCAT(project || '/' || subject || '=' || personas, ';'), '') FROM project_members",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    (count("SELECT COUNT(*) FROM project_setups").await, count("SELECT COUNT(*) FROM datasets").await, members)
}

fn new_project_form(id: &str, members: &str) -> String {
    form(&[
        ("template", "classical-regression"),
        ("form[id]", id),
        ("form[name]", "Escalation attempt"),
        ("form[param_model_group]", "churn-model"),
        ("form[members]", members),
    ])
}

#[tokio::test]
async fn nobody_becomes_admin_through_a_projects_members_nor_grants_herself_a_persona() {
    let app = common::spawn().await;
    let dana = Caller { cookie: Some(app.sign_in("dana").await), bearer: None };
    let before = (fingerprint(&app).await, projects_fingerprint(&app).await);
    for (members, says) in [
        ("dana: Admin", "organisation role"),
        ("dana: admin", "organisation role"),
        ("dana: Data Scientist, ADMIN", "organisation role"),
        ("erin: AI Engineer\ndana: Admin", "organisation role"),
        ("mallory: Admin", "organisation role"),
        ("dana: Governance Engineer", "cannot give yourself the Governance Engineer persona"),
        ("dana: AI Engineer", "cannot give yourself the AI Engineer persona"),
    ] {
        for endpoint in ["/fn/check_project", "/fn/create_project"] {
            let (status, text) =
                app.send(request(&dana, "POST", endpoint, FORM, new_project_form("escalate", members))).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{endpoint} {members:?}: {text}");
            assert!(text.contains("\"field\":\"members\"") && text.contains(says), "{endpoint} {members:?}: {text}");
        }
    }
    assert_eq!((fingerprint(&app).await, projects_fingerprint(&app).await), before, "nothing changed");

    // Granting others project personas is allowed; the project is made.
    let (status, text) = app
        .send(request(&dana, "POST", "/fn/create_project", FORM, new_project_form("churn", "erin: AI Engineer")))
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // A store holding Admin among a project's members (written before the rule, or by hand) makes nobody Admin.
    sqlx::query("UPDATE project_members SET personas = '[\"DataScientist\",\"Admin\"]' WHERE subject = 'dana'")
        .execute(app.portal.state.store.sqlite_pool().expect("the SQLite store"))
        .await
        .unwrap();
    let dana = Caller { cookie: Some(app.sign_in("dana").await), bearer: None };
    let before = fingerprint(&app).await;
    let template = form(&[("id", "mine"), ("creating", "true"), ("form[name]", "Mine"), ("form[prod_quorum]", "1")]);
    for endpoint in ["/fn/save_template", "/fn/check_template"] {
        let (status, text) = app.send(request(&dana, "POST", endpoint, FORM, template.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint}: {text}");
        assert!(text.contains("Only an Admin"), "{endpoint}: {text}");
    }
    let (status, text) = app
        .send(request(
            &dana,
            "POST",
            "/fn/set_template_status",
            FORM,
            form(&[("id", "rag"), ("version", "1"), ("to", "Deprecate")]),
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    let event = app.portal.state.service.ports_for_tests().ledger.events(None, Window::new(0, 1)).await.unwrap().items
        [0]
    .envelope
    .id
    .clone();
    let (status, text) = app
        .send(request(
            &dana,
            "POST",
            "/fn/redeliver",
            FORM,
            form(&[("event", event.as_str()), ("target", "portal-consumer")]),
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert_eq!(fingerprint(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn a_dataset_location_belongs_to_one_producer_and_nobody_approves_her_own_request() {
    let app = common::spawn().await;
    let dana = Caller { cookie: Some(app.sign_in("dana").await), bearer: None };
    let dataset = |id: &str, location: &str| {
        form(&[
            ("form[id]", id),
            ("form[name]", "Mine"),
            ("form[classification]", "Internal"),
            ("form[location]", location),
            ("form[schema]", "id: string"),
        ])
    };
    let before = (fingerprint(&app).await, projects_fingerprint(&app).await);
    // Gina produces loan-applications (glue://curated.loan_applications), Erin support-tickets
    // (s3://datalake-curated/support-tickets/): the same location, one inside, one around, are theirs.
    for (location, owner) in [
        ("glue://curated.loan_applications", "loan-applications (producer gina)"),
        ("s3://datalake-curated/support-tickets/", "support-tickets (producer erin)"),
        ("s3://datalake-curated/support-tickets", "support-tickets (producer erin)"),
        ("s3://datalake-curated/support-tickets/2026/", "support-tickets (producer erin)"),
        ("s3://datalake-curated/", "support-tickets (producer erin)"),
    ] {
        let (status, text) =
            app.send(request(&dana, "POST", "/fn/register_dataset", FORM, dataset("mine", location))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{location}: {text}");
        assert!(text.contains("\"field\":\"location\"") && text.contains(owner), "{location}: {text}");
    }
    assert_eq!((fingerprint(&app).await, projects_fingerprint(&app).await), before, "nothing changed");

    // A neighbouring prefix is another location: Dana may produce it, then asks access for her project.
    let (status, text) = app
        .send(request(
            &dana,
            "POST",
            "/fn/register_dataset",
            FORM,
            dataset("tickets-raw", "s3://datalake-curated/support-tickets-raw/"),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // Editing her own dataset onto another producer's data is refused the same way.
    let mut onto = dataset("tickets-raw", "glue://curated.loan_applications");
    onto.push_str("&form%5Bmode%5D=edit");
    let (status, text) = app.send(request(&dana, "POST", "/fn/register_dataset", FORM, onto)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "edit: {text}");
    assert!(text.contains("loan-applications (producer gina)"), "edit: {text}");
    let ask = form(&[("project", "credit-risk"), ("dataset", "tickets-raw"), ("justification", "Features.")]);
    let (status, text) = app.send(request(&dana, "POST", "/fn/request_subscription", FORM, ask)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let id: String = sqlx::query_scalar("SELECT id FROM subscriptions WHERE dataset = 'tickets-raw'")
        .fetch_one(app.portal.state.store.sqlite_pool().expect("the SQLite store"))
        .await
        .unwrap();
    let decide = |to: &str| form(&[("id", id.as_str()), ("decision", to), ("reason", "Checked.")]);
    let before = fingerprint(&app).await;
    let (status, text) = app.send(request(&dana, "POST", "/fn/decide_subscription", FORM, decide("Approved"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the requester never approves her own request: {text}");
    assert!(text.contains("Separation of duties"), "{text}");
    let gina = Caller { cookie: Some(app.sign_in("gina").await), bearer: None };
    let (status, text) = app.send(request(&gina, "POST", "/fn/decide_subscription", FORM, decide("Approved"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("Only an Admin (the producer requested it)"), "{text}");
    assert_eq!(fingerprint(&app).await, before, "nothing changed");
    let ada = Caller { cookie: Some(app.sign_in("ada").await), bearer: None };
    let (status, text) = app.send(request(&ada, "POST", "/fn/decide_subscription", FORM, decide("Approved"))).await;
    assert_eq!(status, StatusCode::OK, "a second person decides: {text}");
}

#[tokio::test]
async fn a_policy_that_requires_lineage_refuses_prod_for_a_version_without_it() {
    let app = common::spawn().await;
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    sqlx::query("UPDATE projects SET policy = json_set(policy, '$.lineage_required', json('[\"Prod\"]')) WHERE id = 'credit-risk'")
        .execute(pool)
        .await
        .unwrap();
    let v = app.version("pd-model", 2, true).await;
    // A version CI registered without naming its training data or its training run.
    sqlx::query("UPDATE model_versions SET lineage = json_set(lineage, '$.training_data', json('[]'), '$.mlflow_run_id', NULL) WHERE id = ?")
        .bind(v.id.as_str())
        .execute(pool)
        .await
        .unwrap();
    let gina = Caller { cookie: Some(app.sign_in("gina").await), bearer: None };
    let (_, page) = app.send(request(&gina, "POST", "/fn/version_page", FORM, form(&[("id", v.id.as_str())]))).await;
    assert!(
        page.contains("Lineage recorded") && page.contains("missing: training data references and the training run"),
        "{page}"
    );
    let digest = app.evidence_digest(&v).await;
    let before = fingerprint(&app).await;
    let body = form(&[
        ("version", v.id.as_str()),
        ("stage", "Prod"),
        ("verdict", "Approve"),
        ("justification", "Evidence reviewed."),
        ("evidence_digest", &digest),
    ]);
    let (status, text) = app.send(request(&gina, "POST", "/fn/decide", FORM, body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("Gate not met: Lineage recorded"), "{text}");
    assert_eq!(fingerprint(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn a_person_reads_only_the_records_of_projects_she_is_a_member_of() {
    let app = common::spawn().await;
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    // Paula is a Data Scientist of policy-search only.
    sqlx::query(
        "INSERT INTO people (subject, display_name, memberships, admin) VALUES ('paula', 'Paula', '{\"policy-search\":[\"DataScientist\"]}', 0)",
    )
    .execute(pool)
    .await
    .unwrap();
    let paula = Caller { cookie: Some(app.sign_in("paula").await), bearer: None };
    let credit = app.version("pd-model", 2, true).await;
    let before = fingerprint(&app).await;
    let refused = [
        ("POST", "/fn/version_page".to_string(), form(&[("id", credit.id.as_str())])),
        ("POST", "/fn/compare".to_string(), form(&[("a", credit.id.as_str()), ("b", "")])),
        ("POST", "/fn/events".to_string(), form(&[("offset", "0")])),
        ("POST", "/fn/audit".to_string(), form(&[("offset", "0")])),
        ("GET", format!("/api/v1/versions/{}", credit.id), String::new()),
        ("GET", format!("/api/v1/versions/{}/decisions", credit.id), String::new()),
        ("GET", format!("/api/v1/versions/{}/test-runs", credit.id), String::new()),
        ("GET", format!("/api/v1/events?version={}", credit.id), String::new()),
        ("GET", "/api/v1/versions?project=credit-risk".to_string(), String::new()),
        ("GET", "/api/v1/decisions?project=credit-risk".to_string(), String::new()),
    ];
    for (method, uri, body) in refused {
        let content_type = if method == "POST" { FORM } else { "" };
        let (status, text) = app.send(request(&paula, method, &uri, content_type, body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {text}");
    }
    // Lists name only her project's records, and count only them.
    let (status, text) = app.send(request(&paula, "GET", "/api/v1/versions?limit=200", "", String::new())).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let page: serde_json::Value = serde_json::from_str(&text).unwrap();
    let projects: std::collections::BTreeSet<&str> =
        page["items"].as_array().unwrap().iter().filter_map(|v| v["project"].as_str()).collect();
    assert_eq!(projects, ["policy-search"].into(), "{text}");
    assert_eq!(page["total"].as_u64(), Some(page["items"].as_array().unwrap().len() as u64));
    for uri in ["/api/v1/model-groups", "/api/v1/decisions"] {
        let (status, text) = app.send(request(&paula, "GET", uri, "", String::new())).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(!text.contains("credit-risk") && !text.contains("support-assistant"), "{uri}: {text}");
    }
    let (_, text) = app
        .send(request(
            &paula,
            "POST",
            "/fn/registry",
            FORM,
            form(&[
                ("filter[project]", ""),
                ("filter[stage]", ""),
                ("filter[status]", ""),
                ("filter[search]", ""),
                ("filter[offset]", "0"),
            ]),
        ))
        .await;
    assert!(!text.contains(credit.id.as_str()), "the registry page lists no credit-risk version: {text}");
    assert_eq!(fingerprint(&app).await, before, "reads change nothing");
}

/// A body that starts and never finishes, as a stalled or hostile client sends it.
fn stalled_body() -> Body {
    let first =
        futures_util::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"model_group\":")) });
    Body::from_stream(futures_util::StreamExt::chain(first, futures_util::stream::pending()))
}

#[tokio::test]
async fn large_and_stalled_bodies_are_refused_without_being_read() {
    let app = common::spawn().await;
    let uri = "/api/v1/projects/credit-risk/versions";
    // A declared 50 MB body: 413 at once, naming the limit, before a byte is read.
    for path in [uri, "/fn/decide"] {
        let request = Request::post(path)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", JSON)
            .header("content-length", (50 * 1024 * 1024).to_string())
            .body(stalled_body())
            .unwrap();
        let started = std::time::Instant::now();
        let (status, text) = app.send(request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {text}");
        assert!(text.contains("the limit is 2097152 bytes"), "{path}: {text}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{path}: answered at once");
    }
    // No token: refused before the body is read (it never finishes).
    let request = Request::post(uri).header("content-type", JSON).body(stalled_body()).unwrap();
    let answered = tokio::time::timeout(std::time::Duration::from_secs(5), app.send(request)).await;
    let (status, _) = answered.expect("answered without waiting for the body");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // With a token, a body that stalls is given up on after the body timeout, not held forever.
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", JSON)
        .body(stalled_body())
        .unwrap();
    let limit = server::api::BODY_TIMEOUT + std::time::Duration::from_secs(5);
    let answered = tokio::time::timeout(limit, app.send(request)).await;
    let (status, text) = answered.expect("the stalled body is given up on");
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{text}");
    assert!(text.contains("did not arrive within 15 s"), "{text}");
}

#[tokio::test]
async fn malformed_server_function_bodies_are_bad_requests_not_server_errors() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    let before = fingerprint(&app).await;
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("not UTF-8", FORM, vec![b'v', b'e', b'r', b's', b'i', b'o', b'n', b'=', 0xff, 0xfe, b'&']),
        ("a JSON body", JSON, br#"{"version": 1}"#.to_vec()),
        ("missing fields", FORM, b"version=x".to_vec()),
        ("wrong types", FORM, b"offset=minus-one".to_vec()),
        ("a 3 MB form", FORM, format!("version={}", "x".repeat(3 * 1024 * 1024)).into_bytes()),
    ];
    for (name, content_type, body) in cases {
        let uri = if name == "wrong types" { "/fn/events" } else { "/fn/decide" };
        let request = Request::post(uri)
            .header("cookie", &gina)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, text) = app.send(request).await;
        assert!(status.is_client_error(), "{name}: {status} {text}");
        assert_eq!(fingerprint(&app).await, before, "{name}");
    }
}

#[tokio::test]
async fn a_group_name_too_long_for_the_central_registry_is_refused_with_its_limit() {
    let app = common::spawn().await;
    let ci = Caller { cookie: None, bearer: Some(TOKEN.into()) };
    let before = fingerprint(&app).await;
    let body = serde_json::json!({
        "model_group": "g".repeat(44), "artifact_uri": "s3://a/b", "container_image": "x"
    })
    .to_string();
    let (status, text) = app.send(request(&ci, "POST", "/api/v1/projects/credit-risk/versions", JSON, body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("model_group") && text.contains("at most 43") && text.contains("63"), "{text}");
    assert_eq!(fingerprint(&app).await, before);
}

/// Search goes through the database's full-text index (three characters or more) and takes any text as text:
/// quotes, FTS operators and LIKE wildcards find what they say, never a query of their own; the exact group
/// filter lists one group only, where a search for its name also finds names that contain it.
#[tokio::test]
async fn search_takes_any_text_as_text_and_the_group_filter_is_exact() {
    let app = common::spawn().await;
    let list = |query: &str| {
        let app = &app;
        let uri = format!("/api/v1/versions?{query}");
        async move {
            let request = axum::http::Request::get(&uri)
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .body(axum::body::Body::empty())
                .unwrap();
            let (status, body) = app.send(request).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            let page: serde_json::Value = serde_json::from_str(&body).unwrap();
            page["total"].as_u64().unwrap()
        }
    };
    let group = list("project=credit-risk&model_group=pd-model&limit=1").await;
    assert!(group >= 2, "the demo's pd-model versions");
    // A substring, in any case, through the trigram index.
    assert_eq!(list("project=credit-risk&search=pd-mod").await, group);
    assert_eq!(list("project=credit-risk&search=PD-MODEL").await, group);
    // FTS syntax and wildcards are text: nothing matches them, nothing fails.
    for hostile in ["pd\" OR \"x", "\"", "*", "NEAR(pd model)", "pd-model AND x", ")", "'", "%", "_", "%%%", "模型"] {
        let encoded = url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>();
        assert_eq!(list(&format!("project=credit-risk&search={encoded}")).await, 0, "{hostile:?} matched something");
    }
    // Two characters: a scan, same answer.
    assert!(list("project=credit-risk&search=pd").await >= group);
    // The exact filter does not take a prefix.
    assert_eq!(list("project=credit-risk&model_group=pd").await, 0);
}
