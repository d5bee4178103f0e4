//! The HTTP side of the MLflow adapter: the tracking server's address, one `reqwest` client with the
//! timeouts and credentials, and `GET` of a REST endpoint into a typed answer with errors mapped to
//! [`ExperimentError`].

use std::fmt;
use std::time::Duration;

use governance::experiment::ExperimentError;
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::auth::Auth;

/// A validated tracking server address: `http(s)://host[:port][/prefix]`, without credentials, query or fragment
/// (credentials go in the settings, so an address is always safe to log and show).
#[derive(Clone, PartialEq, Eq)]
pub struct TrackingUri(Url);

impl TrackingUri {
    /// # Errors
    /// A sentence saying what is wrong with `uri` and what it should look like.
    pub fn parse(uri: &str) -> Result<TrackingUri, String> {
        let shape = "expected http(s)://host[:port][/path], e.g. http://127.0.0.1:5000";
        let url = Url::parse(uri.trim()).map_err(|e| format!("{uri:?} is not a URL ({e}); {shape}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{uri:?} uses {:?}; {shape}", url.scheme()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{uri:?} has no host; {shape}"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "{uri:?} carries credentials: put them in mlflow.username/password or mlflow.token instead"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{uri:?} has a query or fragment; {shape}"));
        }
        Ok(TrackingUri(url))
    }

    /// The address without a trailing slash, as MLflow's UI links are built on it.
    pub fn base(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The URL of a REST endpoint, e.g. `runs/get` -> `{base}/api/2.0/mlflow/runs/get`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/api/2.0/mlflow/{path}", self.base())
    }
}

impl fmt::Debug for TrackingUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base())
    }
}

impl fmt::Display for TrackingUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base())
    }
}

/// How the client talks to the server.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// For the whole request, body included.
    pub timeout: Duration,
    /// Keep idle connections for the next request (the default). The reference notes warned that MLflow's
    /// server answers ~40 ms late on a reused connection; measured here against MLflow 3.17.2 (uvicorn and
    /// gunicorn) with reqwest, which sends each request in one write with TCP_NODELAY, there is no such stall
    /// and reuse is the faster mode (`server/benches/mlflow_connections.rs`; figures in README.md). Turn it off
    /// for a server that does stall: a fresh connection costs about a millisecond on a LAN, more with TLS.
    pub reuse_connections: bool,
}

/// A REST client of one tracking server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    uri: TrackingUri,
    auth: Auth,
    metrics: Option<crate::metrics::Metrics>,
}

/// MLflow's error body: `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "..."}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error_code: String,
    #[serde(default)]
    message: String,
}

impl Client {
    /// # Errors
    /// When the TLS backend cannot be initialised (a broken build, not a configuration).
    pub fn new(uri: TrackingUri, auth: Auth, options: &ClientOptions) -> anyhow::Result<Client> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("governance-portal/", env!("CARGO_PKG_VERSION")));
        if !options.reuse_connections {
            // No idle connection is kept: every request opens its own.
            builder = builder.pool_max_idle_per_host(0);
        }
        let http = builder.build().map_err(|e| anyhow::anyhow!("cannot build the MLflow HTTP client: {e}"))?;
        Ok(Client { http, uri, auth, metrics: None })
    }

    /// Times every call in the portal's metrics (backend `mlflow`, the API path as the operation).
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Client {
        self.metrics = Some(metrics);
        self
    }

    pub fn uri(&self) -> &TrackingUri {
        &self.uri
    }

    /// `GET {base}/api/2.0/mlflow/{path}?{query}`, read as `T`. `run_id` names the run a 404 is about.
    ///
    /// # Errors
    /// 404 or `RESOURCE_DOES_NOT_EXIST` -> `RunNotFound`; 401/403 -> `Refused`; no connection, a timeout or a 5xx ->
    /// `Unreachable` (with the URL and cause); any other answer or a body that is not `T` -> `Malformed`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        run_id: &str,
    ) -> Result<T, ExperimentError> {
        match &self.metrics {
            // The path is one of the few the adapter calls (`runs/get`, ...): a bounded label.
            Some(metrics) => metrics.timed("mlflow", path, self.get_once(path, query, run_id)).await,
            None => self.get_once(path, query, run_id).await,
        }
    }

    async fn get_once<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        run_id: &str,
    ) -> Result<T, ExperimentError> {
        let url = self.uri.endpoint(path);
        let request = self.auth.apply(self.http.get(&url).query(query));
        let response = request.send().await.map_err(|e| transport_error(&url, &e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport_error(&url, &e))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                tracing::warn!(%url, error = %e, "unreadable MLflow answer");
                ExperimentError::Malformed(format!("{url}: {e}"))
            });
        }
        Err(status_error(&url, status, &body, run_id))
    }
}

/// A request that got no answer: the server is down, too slow, or the address is wrong.
fn transport_error(url: &str, error: &reqwest::Error) -> ExperimentError {
    // reqwest's own message is generic ("error sending request"); the cause is in its sources.
    let mut cause = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = format!("{cause}: {inner}");
        source = inner.source();
    }
    if error.is_timeout() {
        cause = format!("timed out ({cause})");
    }
    tracing::warn!(%url, %cause, "MLflow unreachable");
    if error.is_decode() {
        ExperimentError::Malformed(format!("{url}: {cause}"))
    } else {
        ExperimentError::Unreachable(format!("{url}: {cause}"))
    }
}

/// A non-2xx answer, read as MLflow's error body where it is one.
fn status_error(url: &str, status: StatusCode, body: &[u8], run_id: &str) -> ExperimentError {
    let error: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let said = if error.message.is_empty() {
        String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
    } else {
        error.message.clone()
    };
    tracing::warn!(%url, %status, error_code = %error.error_code, message = %said, "MLflow refused a request");
    let not_found = error.error_code == "RESOURCE_DOES_NOT_EXIST"
        || (status == StatusCode::NOT_FOUND && (error.error_code.is_empty() || error.error_code == "NOT_FOUND"));
    if not_found {
        ExperimentError::RunNotFound(run_id.to_string())
    } else if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        ExperimentError::Refused(format!("{url} answered {status}"))
    } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        ExperimentError::Unreachable(format!("{url} answered {status}: {said}"))
    } else {
        ExperimentError::Malformed(format!("{url} answered {status}: {said}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracking_uri_is_http_without_credentials() {
        let uri = TrackingUri::parse("http://127.0.0.1:5000/").unwrap();
        assert_eq!(uri.base(), "http://127.0.0.1:5000");
        assert_eq!(uri.endpoint("runs/get"), "http://127.0.0.1:5000/api/2.0/mlflow/runs/get");
        let prefixed = TrackingUri::parse("https://ml.example.com/mlflow").unwrap();
        assert_eq!(prefixed.endpoint("runs/get"), "https://ml.example.com/mlflow/api/2.0/mlflow/runs/get");
        for bad in ["127.0.0.1:5000", "file:///tmp/mlruns", "databricks", "http://u:p@host", "http://h/?x=1", ""] {
            assert!(TrackingUri::parse(bad).is_err(), "{bad} accepted");
        }
        let err = TrackingUri::parse("http://ana:hunter2@host").unwrap_err();
        assert!(err.contains("mlflow.username"), "{err}");
    }

    #[test]
    fn statuses_map_to_what_the_page_says() {
        let url = "http://m/api/2.0/mlflow/runs/get";
        let gone = br#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Run 'x' not found"}"#;
        assert_eq!(status_error(url, StatusCode::NOT_FOUND, gone, "x"), ExperimentError::RunNotFound("x".into()));
        assert_eq!(status_error(url, StatusCode::NOT_FOUND, b"", "x"), ExperimentError::RunNotFound("x".into()));
        assert!(matches!(status_error(url, StatusCode::FORBIDDEN, b"", "x"), ExperimentError::Refused(_)));
        assert!(matches!(status_error(url, StatusCode::UNAUTHORIZED, b"", "x"), ExperimentError::Refused(_)));
        assert!(matches!(status_error(url, StatusCode::BAD_GATEWAY, b"", "x"), ExperimentError::Unreachable(_)));
        let bad = br#"{"error_code":"INVALID_PARAMETER_VALUE","message":"bad max_results"}"#;
        match status_error(url, StatusCode::BAD_REQUEST, bad, "x") {
            ExperimentError::Malformed(m) => assert!(m.contains("bad max_results"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
