//! What operators see: `GET /metrics` (route templates, decisions, versions awaiting, the outbox per target,
//! bounded labels, the optional bearer token), scraped by a real Prometheus server and queried; and JSON log
//! lines carrying the request id.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::decision::{DecisionRequest, Verdict};
use governance::Stage;
use server::settings::{Secret, WebhookTarget};

/// A webhook nobody listens on: its deliveries stay pending, so the outbox figures have something to show.
fn dead_hook() -> WebhookTarget {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    WebhookTarget {
        name: "ops-hook".into(),
        url: format!("http://127.0.0.1:{port}/hook"),
        secret: Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
    }
}

async fn portal_with(settings: impl FnOnce(&mut server::settings::Settings)) -> common::TestPortal {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = common::settings(dir.path(), vec![dead_hook()]);
    settings(&mut s);
    let portal = server::build(s).await.expect("portal builds");
    let router = server::routes::router(portal.state.clone());
    common::TestPortal { portal, router, dir, provider: None, ci: None }
}

async fn get(app: &common::TestPortal, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::empty()).expect("request")).await
}

/// The value of the sample `name{labels}` in a scrape, where the labels are given in Prometheus's order.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
}

async fn approve_dev(app: &common::TestPortal, number: u32) {
    let dev = app.version("pd-model", number, false).await;
    let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
    let digest = app.evidence_digest(&dev).await;
    let request = DecisionRequest {
        stage: Stage::Dev,
        verdict: Verdict::Approve,
        justification: "Beats the baseline.".into(),
        evidence_digest: digest,
        seen_test_run: None,
    };
    app.portal.state.service.decide(&dana, &dev.id, request).await.expect("a Dev approval");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_read_decisions_awaiting_and_the_outbox() {
    let app = portal_with(|_| {}).await;
    let cookie = app.sign_in("gina").await;
    let v = app.version("pd-model", 3, false).await;
    for _ in 0..3 {
        let (status, _) = get(&app, &format!("/versions/{}", v.id), &[("cookie", &cookie)]).await;
        assert_eq!(status, StatusCode::OK);
    }
    // Many unknown paths, one label: a scanner cannot grow the series without bound.
    for i in 0..40 {
        get(&app, &format!("/no-such-page-{i}.txt"), &[]).await;
    }
    let (_, before) = get(&app, "/metrics", &[]).await;
    let decided_before =
        sample(&before, "portal_decisions_total{stage=\"Dev\",verdict=\"Approve\"}").unwrap_or_default();
    approve_dev(&app, 3).await;

    let (status, scrape) = get(&app, "/metrics", &[]).await;
    assert_eq!(status, StatusCode::OK);
    // Route templates, never ids.
    assert_eq!(
        sample(&scrape, "portal_http_requests_total{method=\"GET\",route=\"/versions/{id}\",status=\"200\"}"),
        Some(3.0),
        "{scrape}"
    );
    assert!(!scrape.contains(v.id.as_str()), "no version id in a label");
    assert!(!scrape.contains("no-such-page"), "no raw path in a label");
    assert_eq!(
        sample(&scrape, "portal_http_requests_total{method=\"GET\",route=\"fallback\",status=\"404\"}"),
        Some(40.0)
    );
    assert!(scrape
        .contains("portal_http_request_duration_seconds_bucket{method=\"GET\",route=\"/versions/{id}\",le=\"0.25\"}"));
    // Read from the database: the decision just made, what awaits each stage, and each target's outbox.
    assert_eq!(
        sample(&scrape, "portal_decisions_total{stage=\"Dev\",verdict=\"Approve\"}"),
        Some(decided_before + 1.0),
        "{scrape}"
    );
    let service = &app.portal.state.service;
    for (stage, total) in service.awaiting_totals().await.expect("totals") {
        assert_eq!(
            sample(&scrape, &format!("portal_versions_awaiting_decision{{stage=\"{stage}\"}}")),
            Some(total as f64),
            "{stage}"
        );
    }
    let pending = service
        .events(&common::reader(), None, governance::ports::Window::new(0, 200))
        .await
        .expect("events")
        .items
        .iter()
        .filter(|e| {
            e.deliveries.iter().any(|d| d.target == "ops-hook" && d.state == governance::ports::DeliveryState::Pending)
        })
        .count();
    assert!(pending > 0);
    assert_eq!(sample(&scrape, "portal_outbox_pending{target=\"ops-hook\"}"), Some(pending as f64));
    let age = sample(&scrape, "portal_outbox_oldest_pending_age_seconds{target=\"ops-hook\"}").expect("an age");
    assert!(age >= 0.0, "{age}");
    assert_eq!(sample(&scrape, "portal_outbox_dead_letters{target=\"ops-hook\"}"), Some(0.0));
    assert!(scrape.contains("portal_db_pool_connections{state=\"idle\"}"));
    assert!(scrape.contains("# TYPE portal_decisions_total counter"));
}

#[tokio::test]
async fn metrics_need_the_bearer_token_when_one_is_set() {
    let app = portal_with(|s| s.metrics_token = Some(Secret("scrape-secret".into()))).await;
    let (status, body) = get(&app, "/metrics", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = get(&app, "/metrics", &[("authorization", "Bearer scrape-secre")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a prefix of the token is not the token");
    let (status, body) = get(&app, "/metrics", &[("authorization", "Bearer scrape-secret")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("portal_outbox_pending"), "{body}");
}

/// A log writer the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn json_log_lines_carry_the_request_id_and_a_forged_one_is_replaced() {
    let app = portal_with(|_| {}).await;
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard = tracing::subscriber::set_default(server::logging::json(move || writer.clone()));
    // A refused CI token is logged while the request is served.
    let bad = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    let request = Request::get("/api/v1/versions")
        .header("authorization", bad)
        .header("x-request-id", "req-7f3a9c")
        .body(Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.expect("answer");
    assert_eq!(response.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("req-7f3a9c"));
    let forged = Request::get("/api/v1/versions")
        .header("authorization", bad)
        .header("x-request-id", "x\"}, \"level\": \"ERROR")
        .body(Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), forged).await.expect("answer");
    let replaced = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("an id").to_string();
    assert_eq!(replaced.len(), 36, "a fresh UUID: {replaced}");

    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object: {l}: {e}")))
        .collect();
    let of = |id: &str| {
        lines.iter().filter(|l| l["span"]["request_id"] == id).map(|l| l["message"].clone()).collect::<Vec<_>>()
    };
    assert!(of("req-7f3a9c").iter().any(|m| m == "CI token refused"), "the refusal's line names the request: {text}");
    assert!(of(&replaced).iter().any(|m| m == "CI token refused"), "{text}");
    assert!(!text.contains("\"level\": \"ERROR"), "the forged id reached no line");
}

/// Prometheus (Debian's `prometheus`, installed by the set-up) scrapes a portal serving over real TCP, and a
/// query over what it stored answers the outbox's depth.
#[tokio::test]
async fn a_real_prometheus_scrapes_the_portal_and_answers_a_query_over_the_outbox() {
    let bin = std::path::Path::new("/usr/bin/prometheus");
    assert!(
        bin.exists(),
        "Prometheus is missing: run `bash scripts/setup.sh --tests` (it installs Debian's prometheus)"
    );
    let app = portal_with(|_| {}).await;
    approve_dev(&app, 3).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let portal_addr = listener.local_addr().expect("addr");
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router.into_make_service()).await });
    let expected = sample(&get(&app, "/metrics", &[]).await.1, "portal_outbox_pending{target=\"ops-hook\"}")
        .expect("the outbox depth");
    assert!(expected > 0.0);

    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: portal\n    static_configs:\n      - targets: ['{portal_addr}']\n"
        ),
    )
    .expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _prometheus = Stop(
        std::process::Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );

    let http = reqwest::Client::new();
    let query = "portal_outbox_pending{job=\"portal\",target=\"ops-hook\"}";
    let deadline = Instant::now() + Duration::from_secs(60);
    let answered = loop {
        let answer = http.get(format!("http://127.0.0.1:{port}/api/v1/query")).query(&[("query", query)]).send().await;
        if let Ok(answer) = answer {
            if let Ok(body) = answer.json::<serde_json::Value>().await {
                if let Some(value) = body["data"]["result"][0]["value"][1].as_str() {
                    break value.parse::<f64>().expect("a number");
                }
            }
        }
        assert!(Instant::now() < deadline, "Prometheus stored no sample of {query} within 60 s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(answered, expected, "Prometheus's answer is the portal's outbox depth");
}

/// With `otlp_traces_endpoint` set, a request's span reaches an OTLP/HTTP collector (a receiver standing in
/// for one, reading the OTLP JSON as a collector does): under the portal's service name, a `request` span
/// carrying the request id, method and path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_span_reaches_an_otlp_collector_with_its_request_id() {
    use axum::routing::post;
    let bodies = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = bodies.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("bodies").push(body);
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}/v1/traces", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, collector).await.expect("collector") });

    let traces = server::traces::Traces::to(&endpoint).expect("the exporter");
    let app = portal_with(|_| {}).await;
    {
        let subscriber = server::logging::subscriber(server::logging::LogFormat::Json, std::io::sink, Some(&traces));
        let _guard = tracing::subscriber::set_default(subscriber);
        let request = Request::get("/api/v1/versions?limit=1")
            .header("x-request-id", "trace-me-42")
            .body(Body::empty())
            .expect("request");
        let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "anonymous: still a request with a span");
    }
    // The exporter blocks while it sends: off the runtime's threads.
    tokio::task::spawn_blocking(move || traces.shutdown()).await.expect("flushed");

    let bodies = bodies.lock().expect("bodies").clone();
    assert!(!bodies.is_empty(), "nothing reached the collector");
    let mut requests = Vec::new();
    for body in &bodies {
        let export: serde_json::Value = serde_json::from_str(body).expect("OTLP JSON");
        for resource in export["resourceSpans"].as_array().into_iter().flatten() {
            let service = resource["resource"]["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["key"] == "service.name")
                .map(|a| a["value"]["stringValue"].clone());
            assert_eq!(service, Some(serde_json::json!("governance-portal")));
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    if span["name"] == "request" {
                        let attribute = |key: &str| {
                            span["attributes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .find(|a| a["key"] == key)
                                .map(|a| a["value"]["stringValue"].clone())
                        };
                        requests.push((attribute("request_id"), attribute("method"), attribute("path")));
                    }
                }
            }
        }
    }
    assert!(
        requests.contains(&(
            Some(serde_json::json!("trace-me-42")),
            Some(serde_json::json!("GET")),
            Some(serde_json::json!("/api/v1/versions"))
        )),
        "the request's span, with its id, method and path: {requests:?} in {bodies:?}"
    );
}
