//! The domain of the governed path to production.
//!
//! Models move Dev -> central registry -> Test -> Prod under persona-gated approvals. This crate holds the
//! types, the one promotion policy, authorization, the promotion events and the ports (traits) the
//! outside world is reached through. It does no I/O and compiles to wasm, so the UI runs the same rules
//! the server enforces.

pub mod audit;
pub mod audit_row;
pub mod authz;
pub mod catalog;
pub mod compare;
pub mod decision;
pub mod deployment;
pub mod display;
pub mod error;
pub mod events;
pub mod evidence;
pub mod evidence_pack;
pub mod experiment;
pub mod forms;
pub mod gates;
pub mod group_grants;
pub mod ids;
pub mod ledger_filters;
pub mod model;
pub mod monitoring;
pub mod notification;
pub mod path_events;
pub mod persona;
pub mod policy;
pub mod ports;
pub mod project;
pub mod provisioning;
pub mod record;
pub mod review;
pub mod service;
pub mod stage;
pub mod template;
pub mod template_form;
pub mod test_run;
pub mod test_run_diff;
pub mod timeline;
pub mod trust_policy;

pub use error::{Denial, DenialCode, FieldError};
pub use ids::{DecisionId, EventId, ProjectId, ReviewId, Subject, TestRunId, VersionId};
pub use persona::{Actor, Persona, Principal};
pub use stage::{ApprovalStatus, Environment, Registry, Stage};
