//! OIDC sign-in for people: authorization code flow with PKCE through the `openidconnect` crate
//! (discovery, state and nonce, ID-token verification against the provider's JWKS, RP-initiated logout).
//! Personas come from a groups claim mapped per project by the settings (`governance::group_grants`).

mod client;
mod routes;
mod settings;

pub use client::{OidcError, OidcSignIn, SignedIn};
pub use routes::{routes, FLOW_COOKIE};
pub use settings::OidcSettings;
