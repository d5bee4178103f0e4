//! An audit entry as a person reads it: when, who, in which persona, did what to which target, and why. The
//! entry itself (its detail, its hashes) stays as sealed; this only names what the action says about it.

use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::evidence_pack::EXPORT_ACTION;
use crate::ports::AuditListing;
use crate::{Persona, Stage};

/// The actions the audit page offers to filter by, with what a person calls them: a family (`decision` is
/// every `decision.*`) or one action.
pub const ACTION_CHOICES: [(&str, &str); 15] = [
    ("decision", "Decisions (all)"),
    ("decision.approve", "Approvals"),
    ("decision.reject", "Rejections"),
    ("version.register", "Versions registered"),
    ("version.copy_to_central", "Copies into the central registry"),
    ("version.changed_outside_portal", "Changes made outside the portal"),
    ("deployment_config.save", "Deployment configs saved"),
    ("model_card.save", "Model cards saved"),
    ("test_run.record", "Test runs recorded"),
    ("deployment.status", "Deployment statuses reported"),
    (EXPORT_ACTION, "Evidence packs exported"),
    ("project", "Projects (created, provisioned, upgraded)"),
    ("template", "Templates"),
    ("dataset", "Datasets"),
    ("subscription", "Dataset subscriptions"),
];

/// What an entry is about, as far as its action tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditTarget {
    Version(String),
    Project(String),
    Template {
        id: String,
        version: u32,
    },
    Dataset(String),
    Subscription(String),
    DeploymentRequest(String),
    /// An action the portal does not know the target of (an older or a future one).
    Other(String),
}

impl AuditTarget {
    /// The target of an entry of `action` on `target`.
    pub fn of(action: &str, target: &str) -> AuditTarget {
        let family = action.split('.').next().unwrap_or_default();
        let t = target.to_string();
        match family {
            "decision" | "version" | "deployment_config" | "model_card" | "test_run" => AuditTarget::Version(t),
            _ if action == EXPORT_ACTION => AuditTarget::Version(t),
            "project" => AuditTarget::Project(t),
            "dataset" => AuditTarget::Dataset(t),
            "subscription" => AuditTarget::Subscription(t),
            "deployment" => AuditTarget::DeploymentRequest(t),
            "template" => match target.rsplit_once('/').map(|(id, v)| (id, v.parse::<u32>())) {
                Some((id, Ok(version))) => AuditTarget::Template { id: id.to_string(), version },
                _ => AuditTarget::Other(t),
            },
            _ => AuditTarget::Other(t),
        }
    }

    /// What the target is called in a sentence ("version", "project"...).
    pub fn kind(&self) -> &'static str {
        match self {
            AuditTarget::Version(_) => "version",
            AuditTarget::Project(_) => "project",
            AuditTarget::Template { .. } => "template",
            AuditTarget::Dataset(_) => "dataset",
            AuditTarget::Subscription(_) => "subscription",
            AuditTarget::DeploymentRequest(_) => "deployment request",
            AuditTarget::Other(_) => "target",
        }
    }
}

/// One row of the audit page and of its exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub entry: AuditEntry,
    /// The directory's name of who acted, else their subject (the portal's own workers, CI tokens).
    pub who: String,
    /// The persona the action was taken in, where the action fixes it (a decision's stage, template work).
    pub persona: Option<String>,
    pub target: AuditTarget,
    /// The justification or reason recorded with it.
    pub justification: Option<String>,
    /// What people call the target, where it is a version they know by name ("pd-model v2, central").
    pub target_label: Option<String>,
}

impl From<AuditListing> for AuditRow {
    fn from(listing: AuditListing) -> Self {
        let record = &listing.entry.record;
        let subject = record.actor.0.as_str();
        let detail = &record.detail;
        let persona = if record.action.starts_with("decision.") {
            detail
                .get("stage")
                .and_then(|s| s.as_str())
                .and_then(Stage::parse)
                .map(|s| Persona::deciding(s).label().to_string())
        } else if record.action.starts_with("template.") {
            Some(Persona::Admin.label().to_string())
        } else if subject.starts_with("portal:") {
            Some("the portal".to_string())
        } else if subject.starts_with("ci:") || subject.starts_with("token:") {
            Some("CI".to_string())
        } else {
            None
        };
        let justification = ["justification", "reason"]
            .iter()
            .find_map(|k| detail.get(*k).and_then(|v| v.as_str()))
            .filter(|j| !j.trim().is_empty())
            .map(str::to_string);
        AuditRow {
            who: listing.actor_name.clone().unwrap_or_else(|| subject.to_string()),
            persona,
            target: AuditTarget::of(&record.action, &record.target),
            justification,
            target_label: listing.target_version.as_ref().map(|(group, number, central)| {
                format!("{group} v{number}, {}", if *central { "central" } else { "Dev" })
            }),
            entry: listing.entry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditEntry, AuditRecord, GENESIS};
    use crate::Subject;

    fn row(actor: &str, name: Option<&str>, action: &str, target: &str, detail: serde_json::Value) -> AuditRow {
        let record = AuditRecord {
            at: chrono::DateTime::UNIX_EPOCH,
            actor: Subject(actor.into()),
            action: action.into(),
            target: target.into(),
            detail,
        };
        AuditRow::from(AuditListing {
            entry: AuditEntry::seal(1, GENESIS, record),
            actor_name: name.map(str::to_string),
            target_version: None,
        })
    }

    #[test]
    fn a_decision_reads_as_who_in_which_persona_decided_what_and_why() {
        let r = row(
            "hugo",
            Some("Hugo Governance"),
            "decision.approve",
            "mv-1",
            serde_json::json!({"stage": "Prod", "justification": "Evidence holds."}),
        );
        assert_eq!((r.who.as_str(), r.persona.as_deref()), ("Hugo Governance", Some("Governance Engineer")));
        assert_eq!(r.target, AuditTarget::Version("mv-1".into()));
        assert_eq!(r.justification.as_deref(), Some("Evidence holds."));
    }

    #[test]
    fn each_family_of_action_names_its_target() {
        let t = |action: &str, target: &str| AuditTarget::of(action, target);
        assert_eq!(t("template.publish", "scoring/3"), AuditTarget::Template { id: "scoring".into(), version: 3 });
        assert_eq!(t("template.save", "no-version"), AuditTarget::Other("no-version".into()));
        assert_eq!(t("evidence_pack.export", "mv-1"), AuditTarget::Version("mv-1".into()));
        assert_eq!(t("project.provisioned", "p"), AuditTarget::Project("p".into()));
        assert_eq!(t("deployment.status", "dr-1"), AuditTarget::DeploymentRequest("dr-1".into()));
        assert_eq!(t("subscription.approved", "s-1"), AuditTarget::Subscription("s-1".into()));
        assert_eq!(t("something.new", "x"), AuditTarget::Other("x".into()));
        let system = row("portal:provisioner", None, "project.provisioned", "p", serde_json::json!({"reason": " "}));
        assert_eq!(
            (system.who.as_str(), system.persona.as_deref(), system.justification),
            ("portal:provisioner", Some("the portal"), None)
        );
    }
}
