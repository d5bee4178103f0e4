//! Defences around every response and state-changing request: security headers (a Content-Security-Policy
//! that lets only the portal's own scripts and this render's nonce'd inline scripts run), and refusing
//! state-changing requests a browser says come from another site. Forms work with JavaScript off, so the
//! gate is the `Origin` / `Sec-Fetch-Site` check (no token needed: see docs/security.md).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses a state-changing request (any method but GET, HEAD, OPTIONS) that a browser says comes from
/// another site: server functions, forms, the API and sign-in alike.
///
/// Browsers send `Sec-Fetch-Site` and `Origin` on every cross-site POST; a request without them (curl, CI)
/// carries no ambient session for an attacker to ride, and the session cookie is `SameSite=Lax` besides. An
/// `Origin` must be the portal's public origin (`allowed`, scheme included); without one configured,
/// `http://` and the request's own `Host`, and a request with an `Origin` but no `Host` is refused.
pub async fn refuse_cross_site(State(allowed): State<Option<String>>, request: Request<Body>, next: Next) -> Response {
    let state_changing = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if state_changing {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        // `same-site` too: another port on this host (the identity provider in tests) is another origin.
        let cross_by_fetch = matches!(fetch_site, Some("cross-site") | Some("same-site"));
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null"));
        let cross_by_origin = origin.is_some_and(|o| !same_origin(o, allowed.as_deref(), host));
        if cross_by_fetch || cross_by_origin {
            tracing::warn!(?origin, ?fetch_site, path = %request.uri().path(), "cross-site request refused");
            return (StatusCode::FORBIDDEN, "Refused: this request came from another site.").into_response();
        }
    }
    next.run(request).await
}

/// Refuses at once a request whose `Content-Length` says its body is larger than the portal takes, before a
/// byte of it is read.
pub async fn refuse_large_bodies(request: Request<Body>, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let limit = crate::api::MAX_BODY_BYTES as u64;
    if let Some(length) = declared.filter(|l| *l > limit) {
        let message = format!("the body is {length} bytes; the limit is {limit} bytes");
        tracing::warn!(length, path = %request.uri().path(), "request body over the limit refused");
        return if request.uri().path().starts_with("/api/") {
            crate::api::ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message).into_response()
        } else {
            (StatusCode::PAYLOAD_TOO_LARGE, format!("Refused: {message}.")).into_response()
        };
    }
    next.run(request).await
}

/// A refused plain form post comes back to its page with the error and what was typed in the query
/// (`__err`, `__path`: Leptos's round trip for JavaScript off). Only the portal's own redirect may bring them: a
/// page visit from another site or a pasted link carrying them is sent to the same page without them, so no
/// crafted link can put words in a form or an alert.
pub async fn refuse_foreign_form_errors(request: Request<Body>, next: Next) -> Response {
    let carries = request
        .uri()
        .query()
        .is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "__err" || k == "__path"));
    let same_origin = request.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin");
    if request.method() == Method::GET && carries && !same_origin {
        let kept: Vec<(String, String)> = request
            .uri()
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "__err" && k != "__path")
            .collect();
        let mut to = request.uri().path().to_string();
        if !kept.is_empty() {
            to.push('?');
            to.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish());
        }
        tracing::warn!(path = %request.uri().path(), "form error parameters from outside the portal dropped");
        return axum::response::Redirect::to(&to).into_response();
    }
    next.run(request).await
}

/// Whether a request's `Origin` is the portal's own.
fn same_origin(origin: &str, allowed: Option<&str>, host: Option<&str>) -> bool {
    let Ok(url) = url::Url::parse(origin) else { return false };
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    let origin = url.origin().ascii_serialization();
    match (allowed, host) {
        (Some(allowed), _) => origin == allowed,
        // The portal itself serves plain HTTP: behind TLS, `public_origin` (or the OIDC redirect URL) names it.
        (None, Some(host)) => origin == format!("http://{host}"),
        (None, None) => false,
    }
}

/// The Content-Security-Policy, but for the script nonce: `form-action` also allows the identity provider,
/// where signing out (a form post) redirects to. No inline scripts nor inline styles: a style attribute or
/// `<style>` element smuggled into a page (say, through text that escaped its escaping) could restyle the
/// approval panel so a button reads the opposite of what it does, so the page styles only through the
/// site's stylesheet and SVG presentation attributes.
pub fn content_security_policy(identity_provider: Option<&str>) -> String {
    let provider = identity_provider
        .and_then(|issuer| url::Url::parse(issuer).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; frame-ancestors 'none'; form-action 'self'{provider}"
    )
}

/// Headers on every response: the CSP, no sniffing, no framing, no referrer to other sites.
pub async fn security_headers(State(policy): State<String>, request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Scripts: the site's own files, WebAssembly, and inline scripts carrying this render's nonce.
    let nonce = headers.remove(HeaderName::from_static(app::server::NONCE_HEADER));
    let script_src = match nonce.as_ref().and_then(|v| v.to_str().ok()) {
        Some(nonce) => format!("script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_string(),
    };
    if let Ok(csp) = HeaderValue::from_str(&format!("{policy}; {script_src}")) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn an_origin_is_the_portal_s_only_with_its_scheme_host_and_port() {
        let public = Some("https://portal.example.com");
        assert!(same_origin("https://portal.example.com", public, None), "no Host needed when configured");
        assert!(same_origin("https://portal.example.com", public, Some("evil.example")));
        for other in
            ["http://portal.example.com", "https://portal.example.com:8443", "https://evil.example", "null", "garbage"]
        {
            assert!(!same_origin(other, public, Some("portal.example.com")), "{other}");
        }
        // Without a configured origin: the request's own Host, and never without one.
        assert!(same_origin("http://127.0.0.1:3000", None, Some("127.0.0.1:3000")));
        assert!(!same_origin("http://127.0.0.1:3000", None, None), "a missing Host is no match");
        assert!(!same_origin("https://evil.example", None, None));
        assert!(!same_origin("chrome-extension://127.0.0.1:3000", None, Some("127.0.0.1:3000")));
    }
}
