//! Development sign-in with server-side sessions. The cookie holds only a random session id; OIDC sign-in
//! implements the same [`Identity`] trait later without touching a page.

use std::sync::Arc;

use app::error::AppError;
use app::server::{Identity, SessionCookie};
use async_trait::async_trait;
use governance::ports::Clock;
use governance::{Principal, Subject};
use http::request::Parts;

use crate::sqlite::SqliteStore;

/// The session cookie's name; distinct from any identity provider's cookies on the same host.
pub const COOKIE: &str = "portal_session";

pub struct DevIdentity {
    pub store: SqliteStore,
    pub clock: Arc<dyn Clock>,
    pub development: bool,
    pub session_hours: u64,
    /// Sets `Secure` on the cookie (when served over HTTPS).
    pub secure: bool,
}

/// The session id in a request's cookies.
pub fn session_id(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

impl DevIdentity {
    pub async fn principal_from_headers(&self, headers: &http::HeaderMap) -> Option<Principal> {
        let id = session_id(headers)?;
        match self.store.session(&id, self.clock.now()).await {
            Ok(session) => session.map(|s| s.principal),
            Err(e) => {
                tracing::error!(error = %e, "could not read a session");
                None
            }
        }
    }

    fn cookie(&self, value: &str, max_age_secs: u64) -> SessionCookie {
        let secure = if self.secure { "; Secure" } else { "" };
        SessionCookie(format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"))
    }
}

#[async_trait]
impl Identity for DevIdentity {
    async fn principal(&self, parts: &Parts) -> Option<Principal> {
        self.principal_from_headers(&parts.headers).await
    }

    fn is_development(&self) -> bool {
        self.development
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

    async fn sign_in_as(&self, subject: &Subject) -> Result<SessionCookie, AppError> {
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
        // A fresh random id at every sign-in: a session id is never reused across sign-ins.
        let id = hex::encode(rand::random::<[u8; 32]>());
        let now = self.clock.now();
        let ttl = chrono::Duration::hours(self.session_hours as i64);
        self.store.create_session(&id, &person, now, now + ttl).await.map_err(|_| AppError::Internal)?;
        Ok(self.cookie(&id, self.session_hours * 3600))
    }

    async fn sign_out(&self, parts: &Parts) -> SessionCookie {
        if let Some(id) = session_id(&parts.headers) {
            if let Err(e) = self.store.delete_session(&id).await {
                tracing::error!(error = %e, "could not end a session");
            }
        }
        self.cookie("", 0)
    }
}
