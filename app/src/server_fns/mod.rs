//! The server functions: thin. Each authenticates, parses its input into domain types, calls the service
//! and maps the error. Every one has a fixed URL under [`PREFIX`] so tests and plain forms can reach it.

mod catalog;
mod compare;
mod decide;
mod deployment_config;
mod inbox;
mod ledger;
mod model_card;
mod notifications;
mod production;
mod projects;
mod registry;
mod session;
mod templates;
mod version;

pub use catalog::*;
pub use compare::*;
pub use decide::*;
pub use deployment_config::*;
pub use inbox::*;
pub use ledger::*;
pub use model_card::*;
pub use notifications::*;
pub use production::*;
pub use projects::*;
pub use registry::*;
pub use session::*;
pub use templates::*;
pub use version::*;

/// Where the server functions are served.
pub const PREFIX: &str = "/fn";
