//! The OIDC relying party: discovery (lazy, refreshed hourly), the authorization URL with state, nonce and a
//! PKCE challenge, the code exchange, ID-token verification, and the provider's logout URL.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EndSessionUrl, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;
use tokio::sync::Mutex;

use super::OidcSettings;
use crate::store::SignInFlow;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Discovery (and with it the provider's signing keys) is refreshed this often: keys rotate.
const REDISCOVER: Duration = Duration::from_secs(3600);

/// Why a sign-in failed. The person sees a short reason; details go to the log.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached")]
    Unavailable(String),
    #[error("the identity provider refused the sign-in")]
    Refused(String),
    #[error("the identity provider's answer carried no ID token")]
    NoIdToken,
    #[error("the ID token did not verify: {0}")]
    IdToken(String),
}

impl OidcError {
    /// The code the sign-in page explains (`/sign-in?error=...`).
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::Unavailable(_) => "unavailable",
            OidcError::Refused(_) => "refused",
            OidcError::NoIdToken | OidcError::IdToken(_) => "id_token",
        }
    }
}

/// A verified sign-in: who, and which groups the provider says they are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub subject: String,
    pub display_name: String,
    pub groups: Vec<String>,
    /// The `email` claim, where the provider gives one (the digests go there).
    pub email: Option<String>,
    /// The raw ID token, kept as the hint for RP-initiated logout.
    pub id_token: String,
}

struct Provider {
    client: Client,
    end_session: Option<EndSessionUrl>,
    discovered: Instant,
}

/// Sign-in through one OIDC provider.
pub struct OidcSignIn {
    pub settings: OidcSettings,
    http: openidconnect::reqwest::Client,
    provider: Mutex<Option<Arc<Provider>>>,
}

impl OidcSignIn {
    pub fn new(settings: OidcSettings) -> Self {
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would let a provider's answer steer the portal's requests (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self { settings, http, provider: Mutex::new(None) }
    }

    async fn provider(&self) -> Result<Arc<Provider>, OidcError> {
        let mut slot = self.provider.lock().await;
        if let Some(p) = slot.as_ref().filter(|p| p.discovered.elapsed() < REDISCOVER) {
            return Ok(p.clone());
        }
        match self.discover().await {
            Ok(p) => {
                let p = Arc::new(p);
                *slot = Some(p.clone());
                Ok(p)
            }
            Err(e) => {
                tracing::error!(error = ?e, issuer = %self.settings.issuer, "OIDC discovery failed");
                // The last discovery stays usable while the provider is briefly unreachable.
                slot.clone().ok_or(e)
            }
        }
    }

    async fn discover(&self) -> Result<Provider, OidcError> {
        let s = &self.settings;
        let issuer = IssuerUrl::new(s.issuer.clone()).map_err(|e| OidcError::Unavailable(e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Unavailable(format!("{e:?}")))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let redirect = RedirectUrl::new(s.redirect_url.clone()).map_err(|e| OidcError::Unavailable(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(s.client_id.clone()),
            s.client_secret.as_ref().map(|secret| ClientSecret::new(secret.0.clone())),
        )
        .set_redirect_uri(redirect);
        Ok(Provider { client, end_session, discovered: Instant::now() })
    }

    /// Where to send the browser, and what its callback must match.
    pub async fn start(&self) -> Result<(url::Url, SignInFlow), OidcError> {
        let provider = self.provider().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = provider
            .client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scopes(self.settings.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        let flow = SignInFlow {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        };
        Ok((url, flow))
    }

    /// Exchanges the callback's code (with the PKCE verifier) and verifies the ID token it brings.
    pub async fn finish(&self, flow: &SignInFlow, code: String, now: DateTime<Utc>) -> Result<SignedIn, OidcError> {
        let provider = self.provider().await?;
        let response = provider
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Refused(format!("{e:?}")))?;
        let id_token = response.id_token().ok_or(OidcError::NoIdToken)?;
        self.verify(&provider, id_token, &flow.nonce, now)
    }

    /// Verifies a raw ID token (signature via the provider's JWKS, issuer, audience, expiry at `now`, nonce).
    pub async fn verify_id_token(&self, raw: &str, nonce: &str, now: DateTime<Utc>) -> Result<SignedIn, OidcError> {
        let provider = self.provider().await?;
        let token = CoreIdToken::from_str(raw).map_err(|e| OidcError::IdToken(e.to_string()))?;
        self.verify(&provider, &token, nonce, now)
    }

    fn verify(
        &self,
        provider: &Provider,
        token: &CoreIdToken,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, OidcError> {
        let verifier = provider.client.id_token_verifier().set_time_fn(move || now);
        let claims = token.claims(&verifier, &Nonce::new(nonce.to_string())).map_err(|e| {
            let reason = match &e {
                ClaimsVerificationError::Expired(_) => "expired".to_string(),
                ClaimsVerificationError::InvalidNonce(_) => "wrong nonce".to_string(),
                ClaimsVerificationError::SignatureVerification(_) => "signature".to_string(),
                other => other.to_string(),
            };
            tracing::warn!(error = %e, "ID token refused");
            OidcError::IdToken(reason)
        })?;
        // The signature has just been verified: the payload's other claims can be read as they are.
        let raw = token.to_string();
        let payload = raw
            .split('.')
            .nth(1)
            .and_then(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes).ok())
            .unwrap_or_default();
        let subject = claims.subject().as_str().to_string();
        let text = |name: &str| payload.get(name).and_then(Value::as_str).map(str::to_string);
        let display_name = text("name")
            .or_else(|| text("preferred_username"))
            .or_else(|| text("email"))
            .unwrap_or_else(|| subject.clone());
        let groups = match payload.get(&self.settings.groups_claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => s.split([',', ' ']).filter(|g| !g.is_empty()).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        Ok(SignedIn { subject, display_name, groups, email: text("email"), id_token: raw })
    }

    /// The provider's end-session URL for this ID token (RP-initiated logout), if the provider has one.
    pub async fn logout_url(&self, id_token: Option<&str>) -> Option<String> {
        let provider = self.provider().await.ok()?;
        let mut request = LogoutRequest::from(provider.end_session.clone()?)
            .set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Some(token) = id_token.and_then(|t| CoreIdToken::from_str(t).ok()) {
            request = request.set_id_token_hint(&token);
        }
        if let Some(url) =
            self.settings.post_logout_redirect_url.as_ref().and_then(|u| PostLogoutRedirectUrl::new(u.clone()).ok())
        {
            request = request.set_post_logout_redirect_uri(url);
        }
        Some(request.http_get_url().to_string())
    }
}
