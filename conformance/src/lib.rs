//! Port conformance suites: one set of checks per port, run against every adapter (the embedded SQLite store,
//! the AWS adapters on a local emulator). Each check asserts behaviour a caller relies on and panics naming it.

pub mod monitoring;
pub mod registry;
