//! Verifying a CI token: size, shape, algorithm, issuer, key, signature, times, audience. What the
//! verified claims may do is the trust policies' business (`governance::trust_policy`).

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine;
use governance::trust_policy::{CiClaims, TrustPolicy};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::AlgorithmParameters;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::{CiTokenError, JwksCache};

/// Tokens larger than this are refused unread (GitHub's are about 1 KB).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Asymmetric algorithms only: `none` and HMAC (which a public key could be abused as the secret of) never.
const ALLOWED: [&str; 9] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];

/// Verifies CI tokens of the issuers the trust policies name.
pub struct CiTokenVerifier {
    policies: Arc<Vec<TrustPolicy>>,
    pub jwks: JwksCache,
    /// Clock leeway for exp / nbf / iat, in seconds.
    leeway: u64,
}

fn segment(part: &str) -> Result<Map<String, Value>, CiTokenError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).map_err(|_| CiTokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| CiTokenError::Malformed)
}

fn string(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_string)
}

impl CiTokenVerifier {
    pub fn new(policies: Arc<Vec<TrustPolicy>>, jwks: JwksCache, leeway: u64) -> Self {
        Self { policies, jwks, leeway }
    }

    /// The token's verified claims.
    ///
    /// # Errors
    /// A [`CiTokenError`] naming the first check the token failed.
    pub async fn verify(&self, token: &str) -> Result<CiClaims, CiTokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(CiTokenError::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CiTokenError::Malformed);
        };
        let header = segment(header)?;
        let alg = string(&header, "alg").ok_or(CiTokenError::Malformed)?;
        if !ALLOWED.contains(&alg.as_str()) {
            return Err(CiTokenError::Algorithm(alg));
        }
        let algorithm = Algorithm::from_str(&alg).map_err(|_| CiTokenError::Algorithm(alg.clone()))?;
        // The issuer is read before the signature is checked only to choose whose keys check it.
        let issuer = string(&segment(payload)?, "iss").ok_or_else(|| CiTokenError::BadClaim("iss".into()))?;
        let audiences: HashSet<&str> =
            self.policies.iter().filter(|p| p.issuer == issuer).map(|p| p.audience.as_str()).collect();
        if audiences.is_empty() {
            return Err(CiTokenError::UntrustedIssuer(issuer));
        }
        let kid = string(&header, "kid").ok_or(CiTokenError::NoKeyId)?;
        let jwk = self.jwks.key(&issuer, &kid).await?;
        if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
            // A symmetric key in a JWKS would be public: nothing signed with it proves anything.
            return Err(CiTokenError::Algorithm(alg));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| CiTokenError::UnknownKey(kid.clone()))?;
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&audiences.into_iter().collect::<Vec<_>>());
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => CiTokenError::Expired,
                ErrorKind::ImmatureSignature => CiTokenError::NotYetValid,
                ErrorKind::InvalidAudience => CiTokenError::WrongAudience,
                ErrorKind::InvalidIssuer => CiTokenError::UntrustedIssuer(issuer.clone()),
                ErrorKind::InvalidAlgorithm => CiTokenError::Algorithm(alg.clone()),
                ErrorKind::MissingRequiredClaim(c) | ErrorKind::InvalidClaimFormat(c) => {
                    CiTokenError::BadClaim(c.clone())
                }
                ErrorKind::InvalidSignature => CiTokenError::BadSignature,
                _ => CiTokenError::Malformed,
            })?
            .claims;
        let iat = claims.get("iat").and_then(Value::as_i64).ok_or_else(|| CiTokenError::BadClaim("iat".into()))?;
        if iat > chrono::Utc::now().timestamp() + self.leeway as i64 {
            return Err(CiTokenError::IssuedInFuture);
        }
        let audiences = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => return Err(CiTokenError::BadClaim("aud".into())),
        };
        let strings: BTreeMap<String, String> =
            claims.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect();
        Ok(CiClaims { issuer, audiences, claims: strings })
    }
}
