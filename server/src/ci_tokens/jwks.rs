//! Issuers' signing keys (JWKS), fetched through OIDC discovery and cached. An unknown `kid` refetches
//! (keys rotate), but at most once per issuer per `min_refresh`, so forged kids cannot make the portal
//! hammer the issuer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::CiTokenError;

struct Entry {
    keys: JwkSet,
    fetched: Instant,
}

/// The cache of every trusted issuer's keys.
pub struct JwksCache {
    http: reqwest::Client,
    entries: Mutex<HashMap<String, Entry>>,
    /// The shortest time between two fetches of one issuer's keys.
    min_refresh: Duration,
    /// Keys older than this are refetched even when the kid is known (a revoked key goes away).
    max_age: Duration,
    fetches: AtomicU64,
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

impl JwksCache {
    pub fn new(min_refresh: Duration, max_age: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self { http, entries: Mutex::new(HashMap::new()), min_refresh, max_age, fetches: AtomicU64::new(0) }
    }

    /// How many times keys were fetched (for operators' logs and the rate-limit test).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The issuer's key `kid`.
    ///
    /// # Errors
    /// `UnknownKey` when the issuer does not publish it; `JwksUnavailable` when its keys cannot be fetched.
    pub async fn key(&self, issuer: &str, kid: &str) -> Result<Jwk, CiTokenError> {
        // One lock across the fetch: concurrent requests for a new kid wait for one fetch, not start many.
        let mut entries = self.entries.lock().await;
        let now = Instant::now();
        if let Some(entry) = entries.get(issuer) {
            let age = now.duration_since(entry.fetched);
            match entry.keys.find(kid) {
                Some(key) if age < self.max_age => return Ok(key.clone()),
                None if age < self.min_refresh => return Err(CiTokenError::UnknownKey(kid.to_string())),
                _ => {}
            }
        }
        match self.fetch(issuer).await {
            Ok(keys) => {
                let found = keys.find(kid).cloned();
                entries.insert(issuer.to_string(), Entry { keys, fetched: now });
                found.ok_or_else(|| CiTokenError::UnknownKey(kid.to_string()))
            }
            Err(e) => {
                tracing::warn!(issuer, error = %e, "could not fetch the issuer's keys");
                // A known key stays usable while the issuer is briefly unreachable.
                entries.get(issuer).and_then(|e| e.keys.find(kid).cloned()).ok_or(CiTokenError::JwksUnavailable)
            }
        }
    }

    async fn fetch(&self, issuer: &str) -> Result<JwkSet, reqwest::Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery: Discovery = self.http.get(discovery_url).send().await?.error_for_status()?.json().await?;
        let keys: JwkSet = self.http.get(&discovery.jwks_uri).send().await?.error_for_status()?.json().await?;
        tracing::info!(issuer, keys = keys.keys.len(), "fetched the issuer's signing keys");
        Ok(keys)
    }
}
