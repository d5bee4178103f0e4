//! Reviews of Prod versions: monitoring feeds back into governance. A breach of a series' threshold that is
//! sustained for the project's window opens a review of the version; the project's Governance Engineers decide
//! it (acknowledge until a date, roll back, retire). A Prod sign-off older than the project's re-certification
//! period opens one too ("re-certification due"), decided by re-certifying on current evidence. One review is
//! active per version and cause.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::decision::Justification;
use crate::monitoring::Point;
use crate::{FieldError, ProjectId, ReviewId, Subject, VersionId};

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewStatus {
    /// Awaits a Governance Engineer's decision (in their inbox).
    Open,
    /// Decided to live with until `until`: re-opens then if the breach goes on.
    Acknowledged,
    /// Done: rolled back, retired, or the breach had cleared when an acknowledgement ran out.
    Closed,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Open => "Open",
            ReviewStatus::Acknowledged => "Acknowledged",
            ReviewStatus::Closed => "Closed",
        }
    }
    pub fn parse(s: &str) -> Option<ReviewStatus> {
        [ReviewStatus::Open, ReviewStatus::Acknowledged, ReviewStatus::Closed].into_iter().find(|r| r.as_str() == s)
    }
}

/// What was decided on a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewOutcome {
    Acknowledged,
    RolledBack,
    Retired,
    /// Re-certified: the quorum of Governance Engineers signed off the version again on current evidence.
    Recertified,
    /// Closed by the portal: the acknowledgement ran out with the series back under its threshold, or the
    /// version left Prod by another decision.
    Cleared,
}

impl ReviewOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Acknowledged => "Acknowledged",
            ReviewOutcome::RolledBack => "RolledBack",
            ReviewOutcome::Retired => "Retired",
            ReviewOutcome::Recertified => "Recertified",
            ReviewOutcome::Cleared => "Cleared",
        }
    }
    /// Words for a person.
    pub fn label(self) -> &'static str {
        match self {
            ReviewOutcome::Acknowledged => "acknowledged",
            ReviewOutcome::RolledBack => "rolled back",
            ReviewOutcome::Retired => "retired",
            ReviewOutcome::Recertified => "re-certified",
            ReviewOutcome::Cleared => "cleared",
        }
    }
}

/// The breach a review is about: one series of the version over its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    pub metric: String,
    pub endpoint: String,
    pub variant: String,
    pub threshold: f64,
    /// The first point of the unbroken run over the threshold that opened (or re-opened) the review.
    pub since: DateTime<Utc>,
    /// The latest point seen, and its value.
    pub latest_at: DateTime<Utc>,
    pub latest: f64,
    /// The highest value seen while the review was active.
    pub worst: f64,
    /// When the series came back under its threshold by itself; `None` while it breaches.
    pub cleared_at: Option<DateTime<Utc>>,
}

impl Breach {
    /// The cause key of a breach: one active review per version and series.
    pub fn cause(&self) -> String {
        breach_cause(&self.metric, &self.endpoint, &self.variant)
    }

    /// "ModelLatency p99 on churn-prod/champion".
    pub fn series_label(&self) -> String {
        format!("{} on {}/{}", self.metric, self.endpoint, self.variant)
    }
}

/// The cause key of a breach of one series.
pub fn breach_cause(metric: &str, endpoint: &str, variant: &str) -> String {
    format!("breach:{metric}|{endpoint}|{variant}")
}

/// The cause key of a re-certification review.
pub const RECERTIFICATION: &str = "recertification";

/// A Prod sign-off that is due for re-certification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recertification {
    /// When the version was last signed off Prod (or re-certified).
    pub signed_off_at: DateTime<Utc>,
    /// When that sign-off runs out: past it, the version is overdue.
    pub due_at: DateTime<Utc>,
}

impl Recertification {
    /// When the sign-off made at `signed_off_at` is due under a period of `after_days`, and from when its
    /// review is open (`notice_days` before): `None` when the project does not re-certify.
    pub fn schedule(
        signed_off_at: DateTime<Utc>,
        after_days: u32,
        notice_days: u32,
    ) -> Option<(Recertification, DateTime<Utc>)> {
        (after_days > 0).then(|| {
            let due_at = signed_off_at + Duration::days(i64::from(after_days));
            (Recertification { signed_off_at, due_at }, due_at - Duration::days(i64::from(notice_days)))
        })
    }
}

/// When a version was last signed off Prod: the decision that approved it for Prod, or the last completed
/// re-certification (the sign-off that reached the quorum).
pub fn signed_off_at(decisions: &[crate::decision::Decision]) -> Option<DateTime<Utc>> {
    use crate::decision::Verdict;
    use crate::{ApprovalStatus, Stage};
    decisions
        .iter()
        .filter(|d| d.stage == Stage::Prod)
        .filter(|d| match d.verdict {
            Verdict::Approve => d.to == (Stage::Prod, ApprovalStatus::Approved) && d.from != d.to,
            Verdict::Recertify => d.quorum.is_none_or(|(signed, required)| signed >= required),
            _ => false,
        })
        .map(|d| d.decided_at)
        .max()
}

/// What a review is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReviewCause {
    /// A series of the version's monitoring over its threshold for the project's window.
    Breach(Breach),
    /// The version's Prod sign-off is older than the project's re-certification period (or soon will be).
    Recertification(Recertification),
}

/// A decision taken on a review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewDecision {
    pub outcome: ReviewOutcome,
    pub by: Subject,
    pub by_name: String,
    pub at: DateTime<Utc>,
    pub justification: String,
    /// For an acknowledgement: when it runs out.
    pub until: Option<DateTime<Utc>>,
}

/// A review of a Prod version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    pub version: VersionId,
    pub project: ProjectId,
    pub cause: ReviewCause,
    pub status: ReviewStatus,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped on every change; changes compare-and-set on it.
    pub revision: u64,
    /// How many times it re-opened after an acknowledgement ran out.
    pub reopened: u32,
    /// Every decision taken on it, oldest first.
    pub decisions: Vec<ReviewDecision>,
}

impl Review {
    /// One active review per version and this key.
    pub fn cause_key(&self) -> String {
        match &self.cause {
            ReviewCause::Breach(b) => b.cause(),
            ReviewCause::Recertification(_) => RECERTIFICATION.to_string(),
        }
    }

    pub fn breach(&self) -> Option<&Breach> {
        match &self.cause {
            ReviewCause::Breach(b) => Some(b),
            ReviewCause::Recertification(_) => None,
        }
    }

    pub fn recertification(&self) -> Option<&Recertification> {
        match &self.cause {
            ReviewCause::Recertification(r) => Some(r),
            ReviewCause::Breach(_) => None,
        }
    }

    /// What it is about, for a person: "ModelLatency p99 on churn-prod/champion" or "Re-certification due
    /// 2027-01-31".
    pub fn label(&self) -> String {
        match &self.cause {
            ReviewCause::Breach(b) => b.series_label(),
            ReviewCause::Recertification(r) => format!("Re-certification due {}", r.due_at.format("%Y-%m-%d")),
        }
    }

    /// A re-certification review past its due date, still undecided.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.status != ReviewStatus::Closed && self.recertification().is_some_and(|r| r.due_at <= now)
    }

    /// The acknowledgement in force: its end, while the review is acknowledged.
    pub fn acknowledged_until(&self) -> Option<DateTime<Utc>> {
        (self.status == ReviewStatus::Acknowledged).then(|| self.decisions.last().and_then(|d| d.until)).flatten()
    }

    /// The last decision, if any.
    pub fn last_decision(&self) -> Option<&ReviewDecision> {
        self.decisions.last()
    }
}

/// The unbroken run of points over `threshold` that ends at the latest point, when it has lasted at least
/// `window`: `Some((first point of the run, worst value of the run))`. One point over the threshold is never
/// sustained (unless the window is zero); a point at the threshold is not over it.
pub fn sustained_breach(points: &[Point], threshold: f64, window: Duration) -> Option<(DateTime<Utc>, f64)> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by_key(|p| p.at);
    let latest = sorted.last()?;
    let run: Vec<&&Point> = sorted.iter().rev().take_while(|p| p.value > threshold).collect();
    let first = run.last()?;
    let worst = run.iter().map(|p| p.value).fold(f64::MIN, f64::max);
    (latest.at - first.at >= window).then_some((first.at, worst))
}

/// How long an acknowledgement may last, in days.
pub const MAX_ACKNOWLEDGE_DAYS: i64 = 90;

/// What a Governance Engineer sends to acknowledge a review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcknowledgeRequest {
    pub justification: String,
    /// For how many days (1 to [`MAX_ACKNOWLEDGE_DAYS`]) the breach is accepted.
    pub days: String,
}

impl AcknowledgeRequest {
    /// The justification and the end of the acknowledgement from `now`.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<(Justification, DateTime<Utc>), FieldError> {
        let justification = Justification::parse(&self.justification)?;
        let days: i64 =
            self.days.trim().parse().ok().filter(|d| (1..=MAX_ACKNOWLEDGE_DAYS).contains(d)).ok_or_else(|| {
                FieldError::new("days", format!("must be a whole number of days from 1 to {MAX_ACKNOWLEDGE_DAYS}"))
            })?;
        Ok((justification, now + Duration::days(days)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn points(values: &[(i64, f64)]) -> Vec<Point> {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        values.iter().map(|(m, v)| Point { at: start + Duration::minutes(*m), value: *v }).collect()
    }

    #[test]
    fn a_breach_is_sustained_only_over_the_whole_window() {
        let w = Duration::minutes(15);
        // One point over: not sustained.
        assert_eq!(sustained_breach(&points(&[(0, 1.0), (5, 9.0)]), 5.0, w), None);
        // Over for 10 minutes: not yet.
        assert_eq!(sustained_breach(&points(&[(0, 1.0), (5, 9.0), (10, 8.0), (15, 7.0)]), 5.0, w), None);
        // Over for 15 minutes: sustained, from the first point of the run, worst of the run.
        let start = points(&[(5, 0.0)])[0].at;
        assert_eq!(sustained_breach(&points(&[(0, 1.0), (5, 9.0), (10, 8.0), (20, 7.0)]), 5.0, w), Some((start, 9.0)));
        // A dip under the threshold breaks the run; the latest point under it ends any breach.
        assert_eq!(sustained_breach(&points(&[(0, 9.0), (10, 1.0), (20, 9.0), (25, 9.0)]), 5.0, w), None);
        assert_eq!(sustained_breach(&points(&[(0, 9.0), (20, 9.0), (25, 5.0)]), 5.0, w), None);
        // Out of order points are read in time order.
        assert_eq!(sustained_breach(&points(&[(20, 7.0), (5, 9.0), (0, 1.0), (10, 8.0)]), 5.0, w), Some((start, 9.0)));
        assert_eq!(sustained_breach(&[], 5.0, w), None);
    }

    #[test]
    fn an_acknowledgement_needs_a_reason_and_a_bounded_expiry() {
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let ask = |j: &str, d: &str| AcknowledgeRequest { justification: j.into(), days: d.into() }.parse(now);
        assert_eq!(ask("Known seasonal spike", "7").unwrap().1, now + Duration::days(7));
        for days in ["0", "91", "-1", "1.5", "", "seven", "99999999999999999999"] {
            assert_eq!(ask("Known seasonal spike", days).unwrap_err().field, "days", "{days}");
        }
        assert_eq!(ask("", "7").unwrap_err().field, "justification");
    }
}
