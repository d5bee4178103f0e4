//! Defences around every response and state-changing request: security headers, and refusing cross-site
//! posts to the server functions (forms work with JavaScript off, so a token-less Origin check is the gate).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses a state-changing request to a server function that a browser says comes from another site.
///
/// Browsers send `Sec-Fetch-Site` and `Origin` on every cross-site POST; a request without them (curl, CI)
/// carries no ambient session for an attacker to ride, and the session cookie is `SameSite=Lax` besides.
pub async fn refuse_cross_site(request: Request<Body>, next: Next) -> Response {
    let state_changing = request.method() != Method::GET && request.method() != Method::HEAD;
    if state_changing && request.uri().path().starts_with(app::server_fns::PREFIX) {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let cross_by_fetch = matches!(fetch_site, Some("cross-site") | Some("same-site"));
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let cross_by_origin = match (origin, host) {
            (Some("null"), _) => true,
            (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
            _ => false,
        };
        if cross_by_fetch || cross_by_origin {
            tracing::warn!(?origin, ?fetch_site, path = %request.uri().path(), "cross-site post refused");
            return (StatusCode::FORBIDDEN, "Refused: this request came from another site.").into_response();
        }
    }
    next.run(request).await
}

/// Headers on every response: no sniffing, no framing, no referrer to other sites.
pub async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("frame-ancestors 'none'; base-uri 'self'; form-action 'self'"));
    response
}
