//! The `CustomerMetadataProperties` the portal keeps on a model package: pointers only (ids, digests, ARNs),
//! never data, within SageMaker's limits of 50 entries of at most 256 characters per key and value.
//!
//! The emulator (moto) replaces the whole map on `UpdateModelPackage` (real SageMaker merges), so every update
//! sends the full map read back from the package, changed: both behave the same way.

use std::collections::HashMap;

use governance::ports::StoreError;
use governance::{ApprovalStatus, Stage};

pub const PROJECT: &str = "portal:project";
/// Bumped on every change the portal makes; decisions compare-and-set on it.
pub const REVISION: &str = "portal:revision";
/// A mirror of `ModelLifeCycle.Stage`, which the emulator does not store.
pub const STAGE: &str = "portal:stage";
pub const DECISION: &str = "portal:decision-id";
pub const EVIDENCE: &str = "portal:evidence-digest";
pub const TEST_RUN: &str = "portal:test-run-id";
pub const REGISTERED_BY: &str = "portal:registered-by";
/// On a central copy: the ARN of the Dev package it was copied from (lineage).
pub const SOURCE_ARN: &str = "portal:source-arn";
pub const SOURCE_VERSION: &str = "portal:source-version";

pub const MAX_ENTRIES: usize = 50;
/// The most entries the portal itself keeps on one package over its life.
pub const PORTAL_KEYS: usize = 9;
pub const MAX_CHARS: usize = 256;

/// A package's metadata map, checked against SageMaker's limits before it is sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata(pub HashMap<String, String>);

impl Metadata {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.0.insert(key.to_string(), value.into());
    }

    pub fn revision(&self) -> u64 {
        self.get(REVISION).and_then(|r| r.parse().ok()).unwrap_or(1)
    }

    pub fn stage(&self) -> Option<Stage> {
        self.get(STAGE).and_then(Stage::parse)
    }

    /// The map to send, or why SageMaker would refuse it (checked before anything is sent, so a full map
    /// refuses the decision with its reason instead of failing at SageMaker).
    pub fn checked(self) -> Result<HashMap<String, String>, StoreError> {
        if self.0.len() > MAX_ENTRIES {
            let others = self.0.keys().filter(|k| !k.starts_with("portal:")).count();
            return Err(StoreError::Refused(format!(
                "this model package's metadata would hold {} entries, and SageMaker allows {MAX_ENTRIES}: {others} \
                 of them were set outside the portal; remove some (the portal needs up to {} of its own) and \
                 decide again",
                self.0.len(),
                PORTAL_KEYS
            )));
        }
        if let Some((k, _)) =
            self.0.iter().find(|(k, v)| k.chars().count() > MAX_CHARS || v.chars().count() > MAX_CHARS)
        {
            return Err(StoreError::Refused(format!(
                "metadata entry {k} is longer than the {MAX_CHARS} characters SageMaker allows"
            )));
        }
        Ok(self.0)
    }
}

/// `ModelLifeCycle.StageStatus` of a status.
pub fn stage_status(status: ApprovalStatus) -> &'static str {
    status.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_before_sending() {
        let mut m = Metadata::default();
        m.set(DECISION, "dec-1");
        m.set(REVISION, "4");
        assert_eq!(m.revision(), 4);
        assert!(m.clone().checked().is_ok());
        m.set(EVIDENCE, "x".repeat(257));
        assert!(m.clone().checked().is_err(), "a value over 256 characters");
        let mut many = Metadata::default();
        (0..51).for_each(|i| many.set(&format!("k{i}"), "v"));
        assert!(many.checked().is_err(), "51 entries");
    }
}
