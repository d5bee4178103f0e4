//! The operators' surface: `GET /metrics` in Prometheus's text format (the `prometheus` crate).
//!
//! What happens in this process is counted as it happens: HTTP requests by route template, method and status,
//! with a latency histogram, and the calls the portal makes to SageMaker, MLflow and identity providers' JWKS.
//! What the fleet shares is read from the database when scraped: decisions by stage and verdict, versions
//! awaiting a decision by stage, and per outbox target its depth, oldest undelivered event, failures and dead
//! letters; so every replica reports the same figures and none lives in one process's memory. Labels are
//! bounded: route templates (never ids), methods, status codes, stages, verdicts, target, backend and operation
//! names.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governance::Stage;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Seconds: from a fast page (a millisecond) to the request timeout (60 s).
const HTTP_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// Seconds: a call to another system, from a millisecond to the SDK's and clients' timeouts.
const CALL_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// One portal process's metrics. Cloned into the router's state and the clients that report calls.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    calls: HistogramVec,
    call_errors: IntCounterVec,
    // Read from the database at each scrape.
    decisions: IntCounterVec,
    awaiting: IntGaugeVec,
    outbox_pending: IntGaugeVec,
    outbox_oldest: GaugeVec,
    outbox_dead: IntGaugeVec,
    delivery_failures: IntCounterVec,
    pool_connections: IntGaugeVec,
    scrape_errors: IntCounterVec,
    /// One scrape at a time: the database figures are reset and set again under it.
    scrape: tokio::sync::Mutex<()>,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter");
    registry.register(Box::new(c.clone())).expect("registered once");
    c
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge");
    registry.register(Box::new(g.clone())).expect("registered once");
    g
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    let h =
        HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets.to_vec()), labels).expect("a valid histogram");
    registry.register(Box::new(h.clone())).expect("registered once");
    h
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("portal".into()), None).expect("a valid prefix");
        let r = &registry;
        let outbox_oldest = GaugeVec::new(
            Opts::new("outbox_oldest_pending_age_seconds", "Age of the oldest event not yet delivered to a target."),
            &["target"],
        )
        .expect("a valid gauge");
        registry.register(Box::new(outbox_oldest.clone())).expect("registered once");
        // Registered and set once: a restart shows as a jump (which replica restarted, and when).
        let started =
            IntGauge::new("start_time_seconds", "When this process started, in Unix seconds.").expect("a valid gauge");
        registry.register(Box::new(started.clone())).expect("registered once");
        started.set(chrono::Utc::now().timestamp());
        Self(Arc::new(Inner {
            http_requests: counter(r, "http_requests_total", "HTTP requests answered.", &["route", "method", "status"]),
            http_duration: histogram(
                r,
                "http_request_duration_seconds",
                "Time to answer an HTTP request.",
                &["route", "method"],
                HTTP_BUCKETS,
            ),
            calls: histogram(
                r,
                "backend_call_duration_seconds",
                "Calls to the systems the portal depends on, by backend and operation.",
                &["backend", "operation"],
                CALL_BUCKETS,
            ),
            call_errors: counter(
                r,
                "backend_call_errors_total",
                "Calls to another system that failed (no answer, or an error status).",
                &["backend", "operation"],
            ),
            decisions: counter(
                r,
                "decisions_total",
                "Decisions committed, by stage and verdict.",
                &["stage", "verdict"],
            ),
            awaiting: gauge(r, "versions_awaiting_decision", "Versions awaiting a decision, by stage.", &["stage"]),
            outbox_pending: gauge(r, "outbox_pending", "Events not yet delivered, by target.", &["target"]),
            outbox_oldest,
            outbox_dead: gauge(r, "outbox_dead_letters", "Events a target never took (dead letters).", &["target"]),
            delivery_failures: counter(
                r,
                "delivery_failures_total",
                "Delivery attempts that failed, by target.",
                &["target"],
            ),
            pool_connections: gauge(
                r,
                "db_pool_connections",
                "This process's database connections, by state.",
                &["state"],
            ),
            scrape_errors: counter(
                r,
                "scrape_errors_total",
                "Scrapes whose database figures could not be read.",
                &["source"],
            ),
            scrape: tokio::sync::Mutex::new(()),
            registry,
        }))
    }

    /// Records one call to another system.
    pub fn call(&self, backend: &str, operation: &str, took: Duration, ok: bool) {
        self.0.calls.with_label_values(&[backend, operation]).observe(took.as_secs_f64());
        if !ok {
            self.0.call_errors.with_label_values(&[backend, operation]).inc();
        }
    }

    /// Times `f` as one call to `backend`'s `operation`; an `Err` counts as a failed call.
    pub async fn timed<T, E>(
        &self,
        backend: &str,
        operation: &str,
        f: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let started = Instant::now();
        let result = f.await;
        self.call(backend, operation, started.elapsed(), result.is_ok());
        result
    }

    /// The text a scrape gets: this process's figures and the fleet's, read from the database now.
    pub async fn render(&self, state: &AppState) -> String {
        let _one = self.0.scrape.lock().await;
        self.read_shared(state).await;
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.0.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "the metrics could not be encoded");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    async fn read_shared(&self, state: &AppState) {
        let m = &self.0;
        match state.store.operations_figures().await {
            Ok(figures) => {
                // Counters read from the database: reset and set to its count, which only grows.
                m.decisions.reset();
                for ((stage, verdict), n) in figures.decisions {
                    m.decisions.with_label_values(&[&stage, &verdict]).inc_by(n);
                }
                m.outbox_pending.reset();
                m.outbox_oldest.reset();
                m.outbox_dead.reset();
                m.delivery_failures.reset();
                for t in figures.targets {
                    m.outbox_pending.with_label_values(&[&t.target]).set(t.pending as i64);
                    m.outbox_oldest.with_label_values(&[&t.target]).set(t.oldest_pending_age_secs);
                    m.outbox_dead.with_label_values(&[&t.target]).set(t.dead as i64);
                    m.delivery_failures.with_label_values(&[&t.target]).inc_by(t.failures);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the database figures could not be read");
                m.scrape_errors.with_label_values(&["database"]).inc();
            }
        }
        match state.service.awaiting_totals().await {
            Ok(totals) => {
                for (stage, n) in totals {
                    m.awaiting.with_label_values(&[stage_label(stage)]).set(n as i64);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the versions awaiting a decision could not be counted");
                m.scrape_errors.with_label_values(&["registry"]).inc();
            }
        }
        let (size, idle) = state.store.pool_use();
        m.pool_connections.with_label_values(&["idle"]).set(idle as i64);
        m.pool_connections.with_label_values(&["in_use"]).set(size.saturating_sub(idle) as i64);
    }
}

fn stage_label(stage: Stage) -> &'static str {
    stage.as_str()
}

/// Counts and times every request by its route template (`/versions/{id}`, never the id itself).
pub async fn record_http(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_string(),
        // Static files and unknown paths: one label, however many paths are asked for.
        None => "fallback".to_string(),
    };
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let m = &metrics.0;
    m.http_duration.with_label_values(&[&route, &method]).observe(started.elapsed().as_secs_f64());
    m.http_requests.with_label_values(&[&route, &method, response.status().as_str()]).inc();
    response
}

/// `GET /metrics`: open unless `metrics_token` is set, then only with `Authorization: Bearer <token>`.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.settings.metrics_token {
        let given =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        // Digests compared, so the comparison takes the same time whatever the token's prefix.
        let matches = given.is_some_and(|g| Sha256::digest(g.as_bytes()) == Sha256::digest(token.0.as_bytes()));
        if !matches {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a bearer token is needed for /metrics\n",
            )
                .into_response();
        }
    }
    let body = state.metrics.render(&state).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}
