//! The context every server function finds: the service and how people are identified.

use std::sync::Arc;

use async_trait::async_trait;
use governance::service::Service;
use governance::{Principal, Subject};
use http::request::Parts;
use leptos::prelude::*;

use crate::error::AppError;

/// A `Set-Cookie` header value.
pub struct SessionCookie(pub String);

/// The answer to signing out: the cookie that clears the session, and where the browser goes next (the
/// sign-in page, or the identity provider's logout).
pub struct SignedOut {
    pub cookie: SessionCookie,
    pub redirect: String,
}

/// How people are identified: development sign-in and OIDC sign-in, both with server-side sessions.
#[async_trait]
pub trait Identity: Send + Sync {
    /// The signed-in person of this request, if any.
    async fn principal(&self, parts: &Parts) -> Option<Principal>;
    /// Whether this is development sign-in (the banner says so).
    fn is_development(&self) -> bool;
    /// Where sign-in through the organisation's identity provider starts, when it is configured.
    fn sign_in_url(&self) -> Option<String>;
    /// The people one may sign in as (development sign-in only; empty otherwise).
    async fn demo_people(&self) -> Vec<Principal>;
    /// Starts a session as a demo person (ending this request's previous session, if any).
    async fn sign_in_as(&self, parts: &Parts, subject: &Subject) -> Result<SessionCookie, AppError>;
    /// Ends this request's session on the server.
    async fn sign_out(&self, parts: &Parts) -> SignedOut;
}

/// Provided to every page render and server function.
#[derive(Clone)]
pub struct PortalContext {
    pub service: Service,
    pub identity: Arc<dyn Identity>,
}

/// The portal context. It is missing only when the request ended (the client went away) while a page's
/// data was still loading: that work then stops with an error instead of panicking.
pub fn portal() -> Result<PortalContext, AppError> {
    use_context::<PortalContext>().ok_or_else(|| {
        tracing::debug!("the portal context is gone: the request ended before its data loaded");
        AppError::Internal
    })
}

pub fn identity() -> Result<Arc<dyn Identity>, AppError> {
    Ok(portal()?.identity)
}

/// The signed-in person of this request, if any.
pub async fn principal() -> Option<Principal> {
    let parts = use_context::<Parts>()?;
    portal().ok()?.identity.principal(&parts).await
}

/// The signed-in person of this request; a 401 otherwise.
pub async fn require_principal() -> Result<Principal, AppError> {
    principal().await.ok_or_else(|| reply(AppError::NotSignedIn))
}

/// Sets the HTTP status of this response (a 404 page, a 403 refusal).
///
/// Not for a plain HTML form post to a server function: that answer is a redirect back to the form (with
/// the error in its URL), and a status set here would replace the redirect.
pub fn respond_with(status: http::StatusCode) {
    let plain_form_post = use_context::<Parts>().is_some_and(|parts| {
        parts.uri.path().starts_with(crate::server_fns::PREFIX)
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
    });
    if plain_form_post {
        return;
    }
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(status);
    }
}

/// Maps an error to what the person sees, setting the response status to match.
pub fn reply(e: impl Into<AppError>) -> AppError {
    let e = e.into();
    respond_with(e.status());
    e
}
