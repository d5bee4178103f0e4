//! The records the stores take and give beyond the governance ports (sessions, sign-in flows, logged runs, the
//! registry index's rows, operators' figures): one definition, whichever store holds them.

use chrono::{DateTime, Utc};
use governance::experiment::{ExperimentRun, MetricStep, RegisteredModelVersion};
use governance::{ApprovalStatus, Principal, Stage};

/// A run as a tracking client logs it: the run, every metric value, and the model versions registered from it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRun {
    pub run: ExperimentRun,
    /// Metric key and one logged value; a key logged at several steps appears several times.
    pub history: Vec<(String, MetricStep)>,
    pub registered: Vec<RegisteredModelVersion>,
}

/// What the reconciliation compares with a package summary.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedPackage {
    pub status: ApprovalStatus,
    pub stage: Stage,
    pub registered_at: DateTime<Utc>,
    pub package_arn: String,
}

/// A stored session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub principal: Principal,
    pub expires_at: DateTime<Utc>,
    /// The ID token of an OIDC sign-in: the hint the provider's logout wants.
    pub id_token: Option<String>,
}

/// A new session: who, and until when at the latest.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub principal: &'a Principal,
    pub id_token: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A sign-in started at the provider and not yet finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFlow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// One outbox target's state.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetFigures {
    pub target: String,
    pub pending: u64,
    /// Age of its oldest pending event, 0 when none is pending.
    pub oldest_pending_age_secs: f64,
    pub dead: u64,
    /// Attempts that did not deliver (every attempt but the one that did).
    pub failures: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperationsFigures {
    /// Committed decisions by (stage, verdict), embedded registry and SageMaker journal together.
    pub decisions: Vec<((String, String), u64)>,
    pub targets: Vec<TargetFigures>,
}
