//! The evidence pack: one version's evidence and every decision on it, as an auditor or a model-risk reviewer
//! keeps them, bound to the audit chain so that any later edit is found.
//!
//! A pack holds its contents (the version, its project's policy, the training run, metrics against thresholds,
//! every test run with its cases, deployment configuration, monitoring, decisions), every audit entry about the
//! version (and its Dev source or central copy) with their hashes, and the audit entry that recorded the export.
//! That export entry carries a digest of each section and the `(seq, hash)` of each audit entry in the pack, and
//! is itself sealed into the chain. [`verify`] needs nothing but the pack: every entry must hash to what it says,
//! the pack must hold exactly the entries the export recorded, and every section must match its digest. The
//! export entry's own hash is the anchor: it is entry `seq` of the portal's audit log, where `portal
//! verify-audit` proves the chain unbroken.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::audit::{AuditEntry, AuditRecord};
use crate::decision::Decision;
use crate::deployment::{DeploymentRequest, SavedDeploymentConfig};
use crate::experiment::ExperimentRun;
use crate::model::ModelVersion;
use crate::monitoring::Point;
use crate::project::{MetricThreshold, ProjectPolicy};
use crate::test_run::TestRun;
use crate::{ProjectId, VersionId};

/// What a pack says it is; a verifier refuses any other.
pub const FORMAT: &str = "governance-portal/evidence-pack/1";
/// The audit action of an export.
pub const EXPORT_ACTION: &str = "evidence_pack.export";

/// The project a version belongs to, with the policy its decisions were held to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackProject {
    pub id: ProjectId,
    pub name: String,
    pub template: String,
    pub policy: ProjectPolicy,
}

/// A threshold of the project's policy against the version's value (its metrics, else its latest test run's
/// performance, as the Prod gate reads them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    pub threshold: MetricThreshold,
    pub value: Option<f64>,
    pub met: bool,
}

/// The training run the lineage names, as the experiment tracker answered at export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackTrainingRun {
    pub run_id: String,
    /// Where it was read from, and its page in the tracker.
    pub source: String,
    pub url: Option<String>,
    /// None when the tracker could not answer; `unavailable` says why.
    pub run: Option<ExperimentRun>,
    pub unavailable: Option<String>,
}

/// One monitoring series over the version's whole life: how many points, how many above the threshold, and a
/// few dozen points that draw the same picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringSummary {
    pub metric: String,
    pub endpoint: String,
    pub variant: String,
    pub threshold: Option<f64>,
    pub points: u64,
    pub breaches: u64,
    pub sample: Vec<Point>,
}

/// Everything a pack documents, by section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackContents {
    pub version: ModelVersion,
    /// The Dev source of a central copy, or the central copy of a Dev version.
    pub related: Option<ModelVersion>,
    pub project: PackProject,
    pub thresholds: Vec<ThresholdCheck>,
    pub training_run: Option<PackTrainingRun>,
    /// Every test run, newest first.
    pub test_runs: Vec<TestRun>,
    pub deployment_configs: Vec<SavedDeploymentConfig>,
    pub deployment_requests: Vec<DeploymentRequest>,
    pub monitoring: Vec<MonitoringSummary>,
    /// Every decision on the version and on its related version, oldest first.
    pub decisions: Vec<Decision>,
}

/// A pack as downloaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidencePack {
    pub format: String,
    pub contents: PackContents,
    /// Every audit entry about the version and its related version, oldest first.
    pub audit: Vec<AuditEntry>,
    /// The audit entry that recorded this export (its actor and time are who exported it and when).
    pub export: AuditEntry,
}

/// What the export entry records about a pack (its `detail`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDetail {
    pub format: String,
    pub version: VersionId,
    /// Section name -> SHA-256 of the section's JSON.
    pub sections: std::collections::BTreeMap<String, String>,
    /// `(seq, hash)` of every audit entry in the pack, in order.
    pub entries: Vec<(u64, String)>,
}

/// The sections of a pack's JSON whose digests the export entry carries: each of `contents` by name, and `audit`.
fn section_digests(contents: &Value, audit: &Value) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    if let Value::Object(fields) = contents {
        for (name, value) in fields {
            out.insert(format!("contents.{name}"), digest(value));
        }
    }
    out.insert("audit".to_string(), digest(audit));
    out
}

fn digest(value: &Value) -> String {
    // serde_json writes a Value the same way every time: its maps are ordered.
    hex::encode(Sha256::digest(serde_json::to_vec(value).unwrap_or_default()))
}

/// The export's audit record for `contents` and `audit`, made at `at` by `actor`.
///
/// # Errors
/// When the contents cannot be written as JSON (a metric that is not a number).
pub fn export_record(
    contents: &PackContents,
    audit: &[AuditEntry],
    at: chrono::DateTime<chrono::Utc>,
    actor: crate::Subject,
) -> Result<AuditRecord, serde_json::Error> {
    let detail = ExportDetail {
        format: FORMAT.to_string(),
        version: contents.version.id.clone(),
        sections: section_digests(&serde_json::to_value(contents)?, &serde_json::to_value(audit)?),
        entries: audit.iter().map(|e| (e.seq, e.hash.clone())).collect(),
    };
    Ok(AuditRecord {
        at,
        actor,
        action: EXPORT_ACTION.to_string(),
        target: contents.version.id.to_string(),
        detail: serde_json::to_value(detail)?,
    })
}

/// A pack that verified: what it documents and where it is anchored.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub version: VersionId,
    pub entries: usize,
    pub export_seq: u64,
    pub export_hash: String,
    pub exported_by: String,
    pub exported_at: chrono::DateTime<chrono::Utc>,
}

/// Why a pack does not verify, naming the entry or section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackBreak {
    #[error("this is not an evidence pack: {0}")]
    NotAPack(String),
    #[error("audit entry #{seq} ({action} on {target}) was changed after it was written: it does not hash to {hash}")]
    EntryChanged { seq: u64, action: String, target: String, hash: String },
    #[error("the export entry #{0} was changed after it was written")]
    ExportChanged(u64),
    #[error("audit entry #{0} was recorded in the pack at export and is missing from it")]
    EntryMissing(u64),
    #[error("audit entry #{0} is in the pack but was not recorded at export")]
    EntryAdded(u64),
    #[error("the section `{0}` was changed after export: it does not match the digest the export entry recorded")]
    SectionChanged(String),
    #[error("the section `{0}` was added after export")]
    SectionAdded(String),
}

/// Verifies a pack's JSON offline: see the module's documentation for what is checked.
///
/// # Errors
/// The first entry or section that does not match, by name.
pub fn verify(json: &str) -> Result<Verified, PackBreak> {
    let value: Value = serde_json::from_str(json).map_err(|e| PackBreak::NotAPack(format!("not JSON: {e}")))?;
    let format = value.get("format").and_then(Value::as_str).unwrap_or_default();
    if format != FORMAT {
        return Err(PackBreak::NotAPack(format!("its format is {format:?}, not {FORMAT:?}")));
    }
    let part = |name: &str| value.get(name).ok_or_else(|| PackBreak::NotAPack(format!("it has no `{name}`")));
    let (contents, audit_value, export_value) = (part("contents")?, part("audit")?, part("export")?);
    let entries: Vec<AuditEntry> = serde_json::from_value(audit_value.clone())
        .map_err(|e| PackBreak::NotAPack(format!("its audit entries do not read: {e}")))?;
    for entry in &entries {
        if !entry.verifies() {
            return Err(PackBreak::EntryChanged {
                seq: entry.seq,
                action: entry.record.action.clone(),
                target: entry.record.target.clone(),
                hash: entry.hash.clone(),
            });
        }
    }
    let export: AuditEntry = serde_json::from_value(export_value.clone())
        .map_err(|e| PackBreak::NotAPack(format!("its export entry does not read: {e}")))?;
    // The entry as read must be the entry as written: a field added to it is an edit too.
    if !export.verifies() || serde_json::to_value(&export).ok().as_ref() != Some(export_value) {
        return Err(PackBreak::ExportChanged(export.seq));
    }
    let detail: ExportDetail = serde_json::from_value(export.record.detail.clone())
        .map_err(|e| PackBreak::NotAPack(format!("its export entry records no pack: {e}")))?;
    if export.record.action != EXPORT_ACTION || detail.format != FORMAT {
        return Err(PackBreak::NotAPack(format!("entry #{} does not record an export", export.seq)));
    }
    let held: Vec<(u64, String)> = entries.iter().map(|e| (e.seq, e.hash.clone())).collect();
    if let Some((seq, _)) = detail.entries.iter().find(|e| !held.contains(e)) {
        return Err(PackBreak::EntryMissing(*seq));
    }
    if let Some((seq, _)) = held.iter().find(|e| !detail.entries.contains(e)) {
        return Err(PackBreak::EntryAdded(*seq));
    }
    let found = section_digests(contents, audit_value);
    for (name, recorded) in &detail.sections {
        if found.get(name) != Some(recorded) {
            return Err(PackBreak::SectionChanged(name.clone()));
        }
    }
    if let Some(name) = found.keys().find(|name| !detail.sections.contains_key(*name)) {
        return Err(PackBreak::SectionAdded(name.clone()));
    }
    // Every section verified: the typed read only names what was verified.
    let contents: PackContents = serde_json::from_value(contents.clone())
        .map_err(|e| PackBreak::NotAPack(format!("its contents do not read: {e}")))?;
    if contents.version.id != detail.version {
        return Err(PackBreak::SectionChanged("contents.version".into()));
    }
    Ok(Verified {
        version: detail.version,
        entries: entries.len(),
        export_seq: export.seq,
        export_hash: export.hash.clone(),
        exported_by: export.record.actor.to_string(),
        exported_at: export.record.at,
    })
}

/// The pack as JSON, safe to embed in an HTML `<script type="application/json">` block: `<`, `>` and `&` are
/// written as `\u003c`, `\u003e`, `\u0026`, which JSON reads back as the same characters.
///
/// # Errors
/// When the pack cannot be written as JSON.
pub fn to_json(pack: &EvidencePack) -> Result<String, serde_json::Error> {
    let json = serde_json::to_string_pretty(pack)?;
    Ok(json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026"))
}
