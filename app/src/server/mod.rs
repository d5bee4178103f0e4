//! What the server functions need from the server (ssr only): the service and the identity provider.

mod context;

pub use context::{
    identity, portal, principal, reply, require_principal, respond_with, Identity, PortalContext, SessionCookie,
    SignedOut,
};
