//! The append-only, hash-chained audit log: each entry carries the digest of the one before, so any
//! edit or removal breaks the chain where it happened.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Subject;

/// The digest the first entry chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub actor: Subject,
    /// e.g. `decision.approve`, `version.register`, `deployment_config.save`.
    pub action: String,
    /// What it was done to, e.g. a version id.
    pub target: String,
    pub detail: serde_json::Value,
}

/// A sealed entry of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Seals `record` as entry `seq` after the entry whose hash is `prev_hash`.
    pub fn seal(seq: u64, prev_hash: &str, record: AuditRecord) -> AuditEntry {
        let hash = entry_hash(seq, prev_hash, &record);
        AuditEntry { seq, record, prev_hash: prev_hash.to_string(), hash }
    }

    /// Whether the entry hashes to what it says (its content unchanged since it was sealed).
    pub fn verifies(&self) -> bool {
        entry_hash(self.seq, &self.prev_hash, &self.record) == self.hash
    }
}

fn entry_hash(seq: u64, prev_hash: &str, record: &AuditRecord) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seq.to_be_bytes());
    hasher.update(prev_hash.as_bytes());
    hasher.update(record.at.timestamp_micros().to_be_bytes());
    // Serializing owned, ordered data cannot fail.
    hasher.update(
        serde_json::to_vec(&(&record.actor, &record.action, &record.target, &record.detail)).unwrap_or_default(),
    );
    hex::encode(hasher.finalize())
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// Verifies a run of consecutive entries, starting from `prev_hash` (GENESIS for the first entry).
///
/// # Errors
/// The first entry whose link or content does not match.
pub fn verify<'a>(prev_hash: &str, entries: impl IntoIterator<Item = &'a AuditEntry>) -> Result<String, ChainBreak> {
    let mut prev = prev_hash.to_string();
    for entry in entries {
        if entry.prev_hash != prev {
            return Err(ChainBreak { seq: entry.seq, reason: "does not link to the entry before it".into() });
        }
        if entry_hash(entry.seq, &entry.prev_hash, &entry.record) != entry.hash {
            return Err(ChainBreak { seq: entry.seq, reason: "its content was changed after it was written".into() });
        }
        prev = entry.hash.clone();
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str) -> AuditRecord {
        AuditRecord {
            at: DateTime::UNIX_EPOCH,
            actor: "alice".into(),
            action: action.into(),
            target: "v1".into(),
            detail: serde_json::json!({"k": 1}),
        }
    }

    #[test]
    fn a_chain_verifies_and_a_tampered_entry_is_found() {
        let a = AuditEntry::seal(1, GENESIS, record("one"));
        let b = AuditEntry::seal(2, &a.hash, record("two"));
        let c = AuditEntry::seal(3, &b.hash, record("three"));
        assert_eq!(verify(GENESIS, [&a, &b, &c]), Ok(c.hash.clone()));

        let mut tampered = b.clone();
        tampered.record.action = "forged".into();
        assert_eq!(verify(GENESIS, [&a, &tampered, &c]).unwrap_err().seq, 2);
        assert_eq!(verify(GENESIS, [&a, &c]).unwrap_err().seq, 3);
    }
}
