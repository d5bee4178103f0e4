//! One timeline per version: registration, decisions, test runs, deployments and events (with their delivery
//! state) joined and ordered newest first, so a reviewer reads the version's history in one place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Verdict};
use crate::deployment::DeploymentRequest;
use crate::model::ModelVersion;
use crate::ports::EventRecord;
use crate::test_run::TestRun;

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    Registered,
    Decision,
    TestRun,
    Deployment,
    Alarm,
    Event,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    pub title: String,
    pub detail: String,
    /// The promotion event this entry emitted, with its delivery state per target (`target: State`).
    pub event: Option<(String, Vec<String>)>,
}

fn deliveries(record: &EventRecord) -> (String, Vec<String>) {
    (
        record.envelope.id.to_string(),
        record.deliveries.iter().map(|d| format!("{}: {}", d.target, d.state.as_str())).collect(),
    )
}

/// The timeline of `version`, newest first. Events that belong to a registration, decision, test run or
/// deployment are shown on that entry; the others (copies, alarms, status reports) stand on their own.
pub fn timeline(
    version: &ModelVersion,
    decisions: &[Decision],
    test_runs: &[TestRun],
    deployments: &[DeploymentRequest],
    events: &[EventRecord],
) -> Vec<TimelineEntry> {
    let mut used = std::collections::BTreeSet::new();
    let mut find = |pred: &dyn Fn(&EventRecord) -> bool| {
        events.iter().find(|r| pred(r)).map(|r| {
            used.insert(r.envelope.id.clone());
            deliveries(r)
        })
    };
    let field = |r: &EventRecord, name: &str| r.envelope.detail.get(name).and_then(|v| v.as_str()).map(str::to_string);
    let mut out = vec![TimelineEntry {
        at: version.registered_at,
        kind: EntryKind::Registered,
        title: format!("Registered in the {}", version.registry.label()),
        detail: format!("by {}", version.registered_by),
        event: find(&|r| matches!(r.envelope.detail_type.as_str(), "ModelVersionRegistered" | "ModelCopiedToCentral")),
    }];
    for d in decisions {
        let event = find(&|r| r.envelope.id == d.event_id);
        // A rollback names the version Prod went back to (its event carries the number).
        let back_to = events
            .iter()
            .find(|r| r.envelope.id == d.event_id)
            .and_then(|r| r.envelope.detail.pointer("/rolledBackTo/versionNumber").and_then(|n| n.as_u64()));
        let title = match (d.verdict, back_to) {
            (Verdict::Rollback, Some(n)) => format!("Rolled back to v{n} by {} ({})", d.decided_by_name, d.persona),
            (Verdict::Rollback | Verdict::Retire, _) => {
                format!("{} from Prod by {} ({})", d.verdict.past(), d.decided_by_name, d.persona)
            }
            (Verdict::Recertify, _) => format!("Re-certified for Prod by {} ({})", d.decided_by_name, d.persona),
            _ => format!("{} for {} by {} ({})", d.verdict.past(), d.stage, d.decided_by_name, d.persona),
        };
        let quorum = d
            .quorum
            .filter(|(s, r)| r > &1 || s < r)
            .map(|(s, r)| format!(" (sign-off {s} of {r})"))
            .unwrap_or_default();
        out.push(TimelineEntry {
            at: d.decided_at,
            kind: EntryKind::Decision,
            title: format!("{title}{quorum}"),
            detail: d.justification.clone(),
            event,
        });
    }
    for run in test_runs {
        let failures = run.cases.iter().filter(|c| c.status.is_failure()).count();
        out.push(TimelineEntry {
            at: run.recorded_at,
            kind: EntryKind::TestRun,
            title: format!("Integration test run {}", if run.passed { "passed" } else { "failed" }),
            detail: format!("{} cases, {failures} failed; reported by {}", run.cases.len(), run.reported_by),
            event: find(&|r| field(r, "testRunId").as_deref() == Some(run.id.as_str())),
        });
    }
    for dep in deployments {
        out.push(TimelineEntry {
            at: dep.requested_at,
            kind: EntryKind::Deployment,
            title: format!("{} deployment requested", dep.environment),
            detail: format!("endpoint {}; now {}", dep.endpoint_name, dep.status.as_str()),
            event: find(&|r| {
                r.envelope.detail_type == "DeploymentRequested"
                    && field(r, "deploymentRequestId").as_deref() == Some(dep.id.as_str())
            }),
        });
    }
    for r in events.iter().filter(|r| !used.contains(&r.envelope.id)) {
        let alarm = r.envelope.detail_type == "MonitoringAlarm";
        let detail = if alarm {
            format!(
                "{} on {}: {} over threshold {}",
                field(r, "metric").unwrap_or_default(),
                field(r, "endpoint").unwrap_or_default(),
                // One formatting of numbers everywhere: 0.217, never 0.21700000000000003.
                r.envelope.detail.get("value").and_then(|v| v.as_f64()).map(crate::display::number).unwrap_or_default(),
                r.envelope
                    .detail
                    .get("threshold")
                    .and_then(|v| v.as_f64())
                    .map(crate::display::number)
                    .unwrap_or_default(),
            )
        } else if r.envelope.detail_type == "ReviewOpened" {
            format!(
                "{} on {}/{} over threshold {} since {}",
                field(r, "metric").unwrap_or_default(),
                field(r, "endpoint").unwrap_or_default(),
                field(r, "variant").unwrap_or_default(),
                r.envelope
                    .detail
                    .get("threshold")
                    .and_then(|v| v.as_f64())
                    .map(crate::display::number)
                    .unwrap_or_default(),
                field(r, "breachingSince").unwrap_or_default(),
            )
        } else if r.envelope.detail_type == "ReviewDecided" {
            format!(
                "{} by {}: {}",
                field(r, "outcome").unwrap_or_default(),
                field(r, "decidedBy").unwrap_or_default(),
                field(r, "justification").unwrap_or_default()
            )
        } else if let Some(summary) = field(r, "summary") {
            // A change made outside the portal says what differs from the record.
            summary
        } else if let Some(status) = field(r, "status") {
            format!("status {status}")
        } else {
            String::new()
        };
        out.push(TimelineEntry {
            at: r.envelope.time,
            kind: if alarm || r.envelope.detail_type == "ReviewOpened" { EntryKind::Alarm } else { EntryKind::Event },
            title: match r.envelope.detail_type.as_str() {
                crate::service::CHANGED_OUTSIDE => "Changed outside the portal".to_string(),
                "ReviewOpened" => "Review opened".to_string(),
                "ReviewDecided" => "Review decided".to_string(),
                other => other.to_string(),
            },
            detail,
            event: Some(deliveries(r)),
        });
    }
    // Newest first; at equal times, the order above (a decision before the event it caused).
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    out
}
