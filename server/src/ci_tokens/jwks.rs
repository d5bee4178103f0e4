//! Issuers' signing keys (JWKS), fetched through OIDC discovery and cached per issuer. An unknown `kid`
//! refetches (keys rotate), but at most once per issuer per `min_refresh`, so forged kids cannot make the portal
//! hammer the issuer. Each issuer has its own lock: a slow or failing issuer delays only its own tokens. A failed
//! fetch is remembered and retried with a growing backoff; a key of a type the portal cannot use is skipped, not
//! a reason to refuse the issuer's other keys.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::CiTokenError;

/// The longest wait before a failing issuer is asked again.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What the portal knows of one issuer's keys.
#[derive(Default)]
struct Issuer {
    keys: Option<(JwkSet, Instant)>,
    /// The last failed fetch and how many failed in a row.
    failed: Option<(Instant, u32)>,
}

/// The cache of every trusted issuer's keys.
pub struct JwksCache {
    http: reqwest::Client,
    /// One lock per issuer, held across that issuer's fetch; the map's own lock is held only to find it.
    issuers: std::sync::Mutex<HashMap<String, Arc<Mutex<Issuer>>>>,
    /// The shortest time between two fetches of one issuer's keys.
    min_refresh: Duration,
    /// Keys older than this are refetched even when the kid is known (a revoked key goes away).
    max_age: Duration,
    fetches: AtomicU64,
    metrics: Option<crate::metrics::Metrics>,
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

/// The keys of a JWKS document the portal can use; the others are skipped (and logged).
fn usable_keys(issuer: &str, document: serde_json::Value) -> JwkSet {
    let entries = document.get("keys").and_then(|k| k.as_array()).cloned().unwrap_or_default();
    let keys = entries
        .into_iter()
        .filter_map(|entry| match serde_json::from_value::<Jwk>(entry.clone()) {
            Ok(key) => Some(key),
            Err(e) => {
                let kid = entry.get("kid").and_then(|k| k.as_str()).unwrap_or("(none)");
                tracing::warn!(issuer, kid, error = %e, "skipped a signing key the portal cannot read");
                None
            }
        })
        .collect();
    JwkSet { keys }
}

impl JwksCache {
    pub fn new(min_refresh: Duration, max_age: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        Self { http, issuers: Default::default(), min_refresh, max_age, fetches: AtomicU64::new(0), metrics: None }
    }

    /// Times every key fetch in the portal's metrics (backend `jwks`).
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// How many times keys were fetched (for operators' logs and the rate-limit test).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn issuer(&self, issuer: &str) -> Arc<Mutex<Issuer>> {
        let mut issuers = self.issuers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        issuers.entry(issuer.to_string()).or_default().clone()
    }

    /// The issuer's key `kid`.
    ///
    /// # Errors
    /// `UnknownKey` when the issuer does not publish it; `JwksUnavailable` when its keys cannot be fetched.
    pub async fn key(&self, issuer: &str, kid: &str) -> Result<Jwk, CiTokenError> {
        let state = self.issuer(issuer);
        // This issuer's lock only: concurrent requests for a new kid wait for one fetch, not start many.
        let mut state = state.lock().await;
        let now = Instant::now();
        let cached = state.keys.as_ref().and_then(|(keys, at)| keys.find(kid).map(|k| (k.clone(), *at)));
        match (&cached, &state.keys) {
            (Some((key, at)), _) if now.duration_since(*at) < self.max_age => return Ok(key.clone()),
            (None, Some((_, at))) if now.duration_since(*at) < self.min_refresh => {
                return Err(CiTokenError::UnknownKey(kid.to_string()))
            }
            _ => {}
        }
        // A failing issuer is asked again only after its backoff: 1x, 2x, 4x ... min_refresh, at most 5 minutes.
        if let Some((at, failures)) = state.failed {
            let backoff = self.min_refresh.saturating_mul(1 << failures.min(10)).min(MAX_BACKOFF);
            if now.duration_since(at) < backoff {
                return cached.map(|(k, _)| k).ok_or(CiTokenError::JwksUnavailable);
            }
        }
        match self.fetch(issuer).await {
            Ok(keys) => {
                let found = keys.find(kid).cloned();
                state.keys = Some((keys, now));
                state.failed = None;
                found.ok_or_else(|| CiTokenError::UnknownKey(kid.to_string()))
            }
            Err(e) => {
                tracing::warn!(issuer, error = %e, "could not fetch the issuer's keys");
                let failures = state.failed.map(|(_, n)| n + 1).unwrap_or(0);
                // From when it failed, not when it started: a fetch that hung until its timeout counts from then.
                state.failed = Some((Instant::now(), failures));
                // A known key stays usable while the issuer is briefly unreachable.
                cached.map(|(k, _)| k).ok_or(CiTokenError::JwksUnavailable)
            }
        }
    }

    async fn fetch(&self, issuer: &str) -> Result<JwkSet, reqwest::Error> {
        match &self.metrics {
            Some(metrics) => metrics.timed("jwks", "fetch", self.fetch_once(issuer)).await,
            None => self.fetch_once(issuer).await,
        }
    }

    async fn fetch_once(&self, issuer: &str) -> Result<JwkSet, reqwest::Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery: Discovery = self.http.get(discovery_url).send().await?.error_for_status()?.json().await?;
        let document: serde_json::Value =
            self.http.get(&discovery.jwks_uri).send().await?.error_for_status()?.json().await?;
        let keys = usable_keys(issuer, document);
        tracing::info!(issuer, keys = keys.keys.len(), "fetched the issuer's signing keys");
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_an_unknown_type_is_skipped_and_the_others_kept() {
        let document = serde_json::json!({"keys": [
            {"kty": "XYZ", "kid": "future", "crv": "nothing"},
            {"kty": "RSA", "kid": "good", "use": "sig", "alg": "RS256", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"}
        ]});
        let keys = usable_keys("https://issuer.example", document);
        assert_eq!(keys.keys.len(), 1);
        assert!(keys.find("good").is_some());
    }
}
