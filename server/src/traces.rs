//! OpenTelemetry traces over OTLP/HTTP (JSON), behind the `otlp_traces_endpoint` setting (off by default): every
//! request's span (its request id, method and path) and the spans opened while it is served, batched to a
//! collector (the OpenTelemetry Collector, Jaeger, Grafana Tempo).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The service name spans carry.
pub const SERVICE: &str = "governance-portal";

/// This process's span exporter.
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Batches spans to `endpoint` (the collector's traces URL, `http://collector:4318/v1/traces`).
    pub fn to(endpoint: &str) -> anyhow::Result<Self> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpJson)
            .with_endpoint(endpoint)
            .build()
            .map_err(|e| anyhow::anyhow!("otlp_traces_endpoint {endpoint:?}: {e}"))?;
        let resource = Resource::builder()
            .with_service_name(SERVICE)
            .with_attribute(opentelemetry::KeyValue::new("service.instance.id", crate::replica::id().to_string()))
            .build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        Ok(Self { provider })
    }

    /// The layer that turns `tracing` spans into OpenTelemetry spans.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        tracing_opentelemetry::layer().with_tracer(self.provider.tracer(SERVICE))
    }

    /// Sends what is batched now (blocks until the collector answered or the export timed out).
    pub fn flush(&self) {
        if let Err(e) = self.provider.force_flush() {
            eprintln!("traces could not be sent to the collector: {e}");
        }
    }

    /// Sends what is batched and stops (at shutdown).
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("the trace exporter did not shut down cleanly: {e}");
        }
    }
}
