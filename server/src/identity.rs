//! Who is signed in: server-side sessions (the cookie holds only a random id) started by development
//! sign-in (development mode only) or by OIDC sign-in (`crate::oidc`), behind the [`Identity`] trait the
//! pages and server functions use.

use std::sync::Arc;

use app::error::AppError;
use app::server::{Identity, SessionCookie, SignedOut};
use async_trait::async_trait;
use governance::ports::{Clock, StoreError};
use governance::{Principal, Subject};
use http::request::Parts;

use crate::oidc::OidcSignIn;
use crate::store::{NewSession, Store};

/// The session cookie's name; distinct from the identity provider's (`_session*`, `_interaction*`).
pub const COOKIE: &str = "portal_session";

pub struct PortalIdentity {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub development: bool,
    /// Absolute session lifetime.
    pub session_hours: u64,
    /// A session ends after this long without a request.
    pub idle_minutes: u64,
    /// Sets `Secure` on cookies (when served over HTTPS).
    pub secure: bool,
    /// OIDC sign-in, when configured.
    pub oidc: Option<Arc<OidcSignIn>>,
}

/// A cookie's value in a request, if it is there.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// A random 256-bit id, hex: session and sign-in ids.
pub fn random_id() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The session id in a request's cookies.
pub fn session_id(headers: &http::HeaderMap) -> Option<String> {
    cookie(headers, COOKIE).filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit())).map(str::to_string)
}

/// The person a request's session names, looked up at most once per request: the sign-in guard, the read
/// cache and every server function of a page's render share the one answer (a lookup is two queries).
/// Put in each request's extensions by the sign-in guard; a render's `Parts` carry a clone of it.
#[derive(Clone, Default)]
pub struct PrincipalOnce(Arc<tokio::sync::OnceCell<Option<Principal>>>);

impl PortalIdentity {
    /// The signed-in person of a request: once per request where its extensions hold a [`PrincipalOnce`].
    pub async fn principal_of(&self, extensions: &http::Extensions, headers: &http::HeaderMap) -> Option<Principal> {
        match extensions.get::<PrincipalOnce>() {
            Some(once) => once.0.get_or_init(|| self.principal_from_headers(headers)).await.clone(),
            None => self.principal_from_headers(headers).await,
        }
    }

    pub async fn principal_from_headers(&self, headers: &http::HeaderMap) -> Option<Principal> {
        let id = session_id(headers)?;
        let idle = chrono::Duration::minutes(self.idle_minutes as i64);
        match self.store.session(&id, self.clock.now(), idle).await {
            Ok(Some(session)) => {
                let mut principal = session.principal;
                // Personas given as a member of projects made in the portal join those of sign-in.
                match self.store.ports().projects.memberships(&principal.subject).await {
                    Ok(extra) => principal.join_projects(extra),
                    Err(e) => tracing::error!(error = %e, "could not read project memberships"),
                }
                Some(principal)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "could not read a session");
                None
            }
        }
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` over HTTPS.
    pub fn cookie(&self, name: &str, value: &str, path: &str, max_age_secs: u64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
    }

    /// Starts a session under a fresh id (the id is rotated at every sign-in: the request's previous
    /// session, if any, ends) and returns its cookie.
    pub async fn start_session(
        &self,
        principal: &Principal,
        id_token: Option<&str>,
        previous: Option<String>,
        email: Option<&str>,
    ) -> Result<SessionCookie, StoreError> {
        if let Some(previous) = previous {
            self.store.delete_session(&previous).await?;
        }
        let id = random_id();
        let now = self.clock.now();
        let expires_at = now + chrono::Duration::hours(self.session_hours as i64);
        self.store.create_session(NewSession { id: &id, principal, id_token, now, expires_at }).await?;
        // Who can be told what awaits them while away: the person as this sign-in describes them.
        let recipient = governance::notification::Recipient::signed_in(principal, email);
        if let Err(e) = self.store.ports().notifications.record_recipient(&recipient, now).await {
            tracing::warn!(error = %e, subject = %principal.subject, "could not record who to notify; the sign-in goes on");
        }
        Ok(SessionCookie(self.cookie(COOKIE, &id, "/", self.session_hours * 3600)))
    }
}

#[async_trait]
impl Identity for PortalIdentity {
    async fn principal(&self, parts: &Parts) -> Option<Principal> {
        self.principal_of(&parts.extensions, &parts.headers).await
    }

    fn is_development(&self) -> bool {
        self.development
    }

    fn sign_in_url(&self) -> Option<String> {
        self.oidc.as_ref().map(|_| "/auth/login".to_string())
    }

    async fn demo_people(&self) -> Vec<Principal> {
        if !self.development {
            return Vec::new();
        }
        self.store.people().await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not list demo people");
            Vec::new()
        })
    }

    async fn sign_in_as(&self, parts: &Parts, subject: &Subject) -> Result<SessionCookie, AppError> {
        if !self.development {
            return Err(AppError::Denied {
                reason: "Development sign-in is off: this portal runs in production mode.".into(),
            });
        }
        let people = self.store.people().await.map_err(|_| AppError::Internal)?;
        let person = people
            .into_iter()
            .find(|p| &p.subject == subject)
            .ok_or_else(|| AppError::NotFound { what: format!("Demo user {subject}") })?;
        // Demo people get a demo address: a development SMTP server (or `aiosmtpd`) shows their digests.
        let email = format!("{}@example.com", person.subject);
        self.start_session(&person, None, session_id(&parts.headers), Some(&email))
            .await
            .map_err(|_| AppError::Internal)
    }

    async fn sign_out(&self, parts: &Parts) -> SignedOut {
        let mut redirect = "/sign-in".to_string();
        if let Some(id) = session_id(&parts.headers) {
            let id_token = match self.store.session(&id, self.clock.now(), chrono::Duration::days(365)).await {
                Ok(session) => session.and_then(|s| s.id_token),
                Err(_) => None,
            };
            if let Err(e) = self.store.delete_session(&id).await {
                tracing::error!(error = %e, "could not end a session");
            }
            // A person who signed in at the provider signs out there too (RP-initiated logout).
            if let (Some(oidc), Some(token)) = (&self.oidc, id_token) {
                if let Some(url) = oidc.logout_url(Some(&token)).await {
                    redirect = url;
                }
            }
        }
        SignedOut { cookie: SessionCookie(self.cookie(COOKIE, "", "/", 0)), redirect }
    }
}
