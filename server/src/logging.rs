//! Logs: one line per event, as text (the default) or, with `log_format = "json"`, one JSON object per line
//! that a log pipeline can index; every line written while a request is served carries its request id.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::traces::Traces;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the process's log writer and, when `traces` names a collector, the trace exporter (returned, to be
/// flushed at shutdown). `RUST_LOG` filters both as usual (default `info,sqlx=warn`).
pub fn init(format: LogFormat, traces: Option<&str>) -> anyhow::Result<Option<Traces>> {
    use tracing_subscriber::util::SubscriberInitExt;
    let traces = traces.map(Traces::to).transpose()?;
    subscriber(format, std::io::stdout, traces.as_ref())
        .try_init()
        .map_err(|e| anyhow::anyhow!("the log writer could not be installed: {e}"))?;
    Ok(traces)
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"))
}

/// The log lines (text, or JSON: one object per line, the event's fields flattened beside `timestamp`, `level`,
/// `target` and the fields of the span it happened in, such as a request's id, method and path) and, with
/// `traces`, the spans exported, under one filter.
pub fn subscriber<W>(format: LogFormat, writer: W, traces: Option<&Traces>) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let lines: Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync> = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer().with_writer(writer).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    tracing_subscriber::registry().with(lines).with(traces.map(Traces::layer)).with(filter())
}

/// The JSON writer alone.
pub fn json<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    subscriber(LogFormat::Json, writer, None)
}

pub const REQUEST_ID: &str = "x-request-id";

/// A caller's request id is kept when it looks like one (a load balancer's or a client's trace id);
/// anything else (too long, markup, control characters) is replaced, so it cannot forge log lines.
fn usable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Gives every request an id (the caller's `x-request-id`, or a new UUID), returns it in the response, and
/// serves the request inside a span that carries it.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| usable(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    request.headers_mut().insert(REQUEST_ID, value.clone());
    let span =
        tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let started = std::time::Instant::now();
    let mut response = async move {
        let response = next.run(request).await;
        tracing::debug!(
            status = response.status().as_u16(),
            took_ms = started.elapsed().as_millis() as u64,
            "answered"
        );
        response
    }
    .instrument(span)
    .await;
    response.headers_mut().insert(REQUEST_ID, value);
    response
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn only_plain_request_ids_are_kept() {
        assert!(usable("1-5f84c7a2-3c1a9b7e0d2f4a6b8c0e1f23"));
        assert!(usable("b7ad6b7169203331"));
        for bad in ["", "a b", "<script>", "x\ny", &"a".repeat(129), "id\"quoted"] {
            assert!(!usable(bad), "{bad:?}");
        }
    }
}
