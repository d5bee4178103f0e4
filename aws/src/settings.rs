//! The `[aws]` settings: where the registries, metrics and event bus live and which role reaches each.

use std::collections::BTreeMap;

use governance::Stage;
use serde::{Deserialize, Serialize};

/// One AWS account the portal works in, and the role it assumes there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The 12-digit account id (it is part of every model package ARN).
    pub account_id: String,
    /// The role to assume in the account; `None` uses the standard credential chain's own identity (e.g. the
    /// portal already runs in that account).
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Roles assumed for the `UpdateModelPackage` of a decision on one stage (per deciding persona: the AI
    /// engineers' role for Test, the governance engineers' for Prod), so each role's IAM policy allows only its
    /// stage. A stage without one uses `role_arn` (or the portal's own identity).
    #[serde(default, skip_serializing_if = "ApprovalRoles::is_empty")]
    pub approval_roles: ApprovalRoles,
}

impl Account {
    /// An account reached with `role_arn` (or the portal's own identity), without approval roles.
    pub fn new(account_id: impl Into<String>, role_arn: Option<String>) -> Self {
        Self { account_id: account_id.into(), role_arn, approval_roles: ApprovalRoles::default() }
    }
}

/// The role per stage decided in an account: `approval_roles = { Test = "arn:...", Prod = "arn:..." }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRoles {
    #[serde(rename = "Dev", default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(rename = "Test", default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    #[serde(rename = "Prod", default, skip_serializing_if = "Option::is_none")]
    pub prod: Option<String>,
}

impl ApprovalRoles {
    /// The role for decisions on `stage`, if one is set.
    pub fn for_stage(&self, stage: Stage) -> Option<&str> {
        match stage {
            Stage::Dev => self.dev.as_deref(),
            Stage::Test => self.test.as_deref(),
            Stage::Prod => self.prod.as_deref(),
        }
    }

    /// Each stage with its role, in stage order.
    pub fn iter(&self) -> impl Iterator<Item = (Stage, &str)> {
        [Stage::Dev, Stage::Test, Stage::Prod].into_iter().filter_map(|s| self.for_stage(s).map(|r| (s, r)))
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// Which AWS backends the portal uses, from the `[aws]` table of the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    pub region: String,
    /// An endpoint for every service, for a local emulator (moto); `None` in production.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The Shared Services account with the central registry, the event bus and the metrics of Test and Prod.
    pub central: Account,
    /// Each project's Dev account, by project id.
    #[serde(default)]
    pub dev_accounts: BTreeMap<String, Account>,
    /// The custom EventBridge bus promotion events are published to.
    #[serde(default = "default_bus")]
    pub event_bus_name: String,
    /// The `source` of the portal's events on the bus.
    #[serde(default = "default_source")]
    pub event_source: String,
    /// The CloudWatch namespace of the series the portal's ingest API pushes (Model Monitor drift etc.).
    #[serde(default = "default_namespace")]
    pub metrics_namespace: String,
    /// The statistics of `ModelLatency` shown per variant.
    #[serde(default = "default_latency_stats")]
    pub latency_stats: Vec<String>,
    /// How often the reconciler looks for decisions left pending by a crash (it also runs at start-up).
    #[serde(default = "default_reconcile_interval")]
    pub reconcile_interval_secs: u64,
    /// How long a decision may stay pending before the reconciler finishes or fails it: longer than a decision
    /// takes, so it never races a decider that is still applying.
    #[serde(default = "default_reconcile_grace")]
    pub reconcile_grace_secs: u64,
    /// The reconciliation's pace: at most this many SageMaker requests a second for its describes, so a full
    /// pass over a large registry stays under SageMaker's throttling limits and leaves room for the pages.
    #[serde(default = "default_reconcile_rate")]
    pub reconcile_calls_per_second: u32,
    /// How many indexed versions each reconciliation describes again, stalest first, beyond those whose
    /// summary differs: a change a summary does not show (a stage on a registry whose summaries carry no life
    /// cycle) is caught within (versions / this) passes even if its event was lost.
    #[serde(default = "default_reconcile_describes")]
    pub reconcile_describes_per_pass: u32,
    /// The API key the EventBridge API destination sends (header `x-api-key`) with SageMaker's state-change
    /// events; without it the portal's webhook for them is closed.
    #[serde(default)]
    pub state_change_api_key: Option<ApiKey>,
    /// An SQS queue an EventBridge rule sends SageMaker's state-change events to, read by the portal (instead of,
    /// or beside, the webhook); `None` reads no queue.
    #[serde(default)]
    pub state_change_queue_url: Option<String>,
}

/// A key that never shows in logs or debug output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(pub String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[secret]")
    }
}

fn default_bus() -> String {
    "mlops-promotions".into()
}
fn default_source() -> String {
    "ml.portal".into()
}
fn default_namespace() -> String {
    "MLPortal/Monitoring".into()
}
fn default_latency_stats() -> Vec<String> {
    vec!["p50".into(), "p99".into()]
}
fn default_reconcile_interval() -> u64 {
    60
}
fn default_reconcile_grace() -> u64 {
    120
}
fn default_reconcile_rate() -> u32 {
    10
}
fn default_reconcile_describes() -> u32 {
    50
}

impl AwsSettings {
    /// Settings for one account (the emulator's), with the defaults.
    pub fn single_account(region: &str, account_id: &str, endpoint_url: Option<String>) -> Self {
        Self {
            region: region.into(),
            endpoint_url,
            central: Account::new(account_id, None),
            dev_accounts: BTreeMap::new(),
            event_bus_name: default_bus(),
            event_source: default_source(),
            metrics_namespace: default_namespace(),
            latency_stats: default_latency_stats(),
            reconcile_interval_secs: default_reconcile_interval(),
            reconcile_grace_secs: default_reconcile_grace(),
            reconcile_calls_per_second: default_reconcile_rate(),
            reconcile_describes_per_pass: default_reconcile_describes(),
            state_change_api_key: None,
            state_change_queue_url: None,
        }
    }

    /// The Dev account of a project; without an entry, the central account (one-account set-ups).
    pub fn dev_account(&self, project: &str) -> &Account {
        self.dev_accounts.get(project).unwrap_or(&self.central)
    }
}
