//! Why a CI token was refused: each reason a client can act on, and its API code.

/// A refused CI token. Every variant but [`CiTokenError::JwksUnavailable`] means "not authenticated" (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CiTokenError {
    #[error("the token is larger than 16 KB")]
    TooLarge,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm {0:?} is not accepted: only asymmetric signatures (RS*, PS*, ES*, EdDSA)")]
    Algorithm(String),
    #[error("the token's issuer {0:?} is not trusted by any trust policy")]
    UntrustedIssuer(String),
    #[error("the token's header names no key (kid)")]
    NoKeyId,
    #[error("the issuer publishes no signing key {0:?}")]
    UnknownKey(String),
    #[error("the token's signature does not verify with the issuer's key")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token was issued in the future (iat)")]
    IssuedInFuture,
    #[error("the token's audience is not one a trust policy of its issuer accepts")]
    WrongAudience,
    #[error("the token lacks a valid {0:?} claim")]
    BadClaim(String),
    #[error("the issuer's keys could not be fetched; try again")]
    JwksUnavailable,
    #[error("the issuer's key {kid:?} is an RSA key of {bits} bits; at least {min} are required")]
    WeakKey { kid: String, bits: usize, min: usize },
    #[error("the token is valid for {lifetime} s; the trust policy allows at most {max} s")]
    LifetimeTooLong { lifetime: i64, max: u64 },
}

impl CiTokenError {
    /// The API error code.
    pub fn code(&self) -> &'static str {
        match self {
            CiTokenError::TooLarge => "token_too_large",
            CiTokenError::Malformed => "token_malformed",
            CiTokenError::Algorithm(_) => "token_algorithm",
            CiTokenError::UntrustedIssuer(_) => "token_issuer",
            CiTokenError::NoKeyId | CiTokenError::UnknownKey(_) => "token_unknown_key",
            CiTokenError::BadSignature => "token_signature",
            CiTokenError::Expired => "token_expired",
            CiTokenError::NotYetValid | CiTokenError::IssuedInFuture => "token_not_yet_valid",
            CiTokenError::WrongAudience => "token_audience",
            CiTokenError::BadClaim(_) => "token_claims",
            CiTokenError::JwksUnavailable => "unavailable",
            CiTokenError::WeakKey { .. } => "token_weak_key",
            CiTokenError::LifetimeTooLong { .. } => "token_lifetime",
        }
    }
}
