//! CI authenticates with short-lived OIDC JWTs (GitHub Actions' shape) instead of stored secrets: the
//! token is verified against its issuer's published keys, then the project's trust policies
//! (`governance::trust_policy`) say which machine it is and what it may write.

mod error;
mod jwks;
mod verify;

pub use error::CiTokenError;
pub use jwks::JwksCache;
pub use verify::{CiTokenVerifier, MAX_TOKEN_BYTES, MIN_RSA_BITS};
