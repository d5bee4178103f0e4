//! What the server functions need from the server (ssr only): the service and the identity provider.

mod context;

pub use context::{
    identity, portal, principal, reply, require_principal, respond_with, Identity, PortalContext, SessionCookie,
    SignedOut,
};

/// The response header that hands this page's script nonce to the server's security headers, which put it
/// in the Content-Security-Policy and remove this header.
pub const NONCE_HEADER: &str = "x-portal-csp-nonce";

/// Announces the nonce leptos_axum gave this render's inline scripts (hydration, resolved resources).
pub fn announce_nonce() {
    use leptos::prelude::use_context;
    if let (Some(nonce), Some(options)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(value) = http::HeaderValue::from_str(&nonce) {
            options.insert_header(http::HeaderName::from_static(NONCE_HEADER), value);
        }
    }
}
