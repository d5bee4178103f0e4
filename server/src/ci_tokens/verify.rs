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

/// The smallest RSA key a CI token may be signed with (NIST SP 800-131A: 2048 bits).
pub const MIN_RSA_BITS: usize = 2048;

/// The size of an RSA modulus given base64url (no padding) as a JWK's `n`: four characters carry three bytes.
fn rsa_bits(n: &str) -> usize {
    n.trim_end_matches('=').len() * 6 / 8 * 8
}

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
        match &jwk.algorithm {
            // A symmetric key in a JWKS would be public: nothing signed with it proves anything.
            AlgorithmParameters::OctetKey(_) => return Err(CiTokenError::Algorithm(alg)),
            AlgorithmParameters::RSA(rsa) => {
                let bits = rsa_bits(&rsa.n);
                if bits < MIN_RSA_BITS {
                    return Err(CiTokenError::WeakKey { kid: kid.clone(), bits, min: MIN_RSA_BITS });
                }
            }
            _ => {}
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
        // A token meant to last for years is a long-lived secret by another name.
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| CiTokenError::BadClaim("exp".into()))?;
        let max = self
            .policies
            .iter()
            .filter(|p| p.issuer == issuer)
            .map(|p| p.max_token_lifetime_secs)
            .max()
            .unwrap_or(governance::trust_policy::DEFAULT_MAX_TOKEN_LIFETIME_SECS);
        let lifetime = exp.saturating_sub(iat);
        if lifetime > i64::try_from(max).unwrap_or(i64::MAX) {
            return Err(CiTokenError::LifetimeTooLong { lifetime, max });
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

#[cfg(test)]
mod tests {
    use super::rsa_bits;

    #[test]
    fn rsa_moduli_are_measured_in_bits() {
        // 128, 256 and 512 bytes, base64url without padding, as JWKs carry them.
        assert_eq!(rsa_bits(&"A".repeat(171)), 1024);
        assert_eq!(rsa_bits(&"A".repeat(342)), 2048);
        assert_eq!(rsa_bits(&"A".repeat(683)), 4096);
        assert!(rsa_bits(&"A".repeat(171)) < super::MIN_RSA_BITS);
    }
}
