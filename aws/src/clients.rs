//! SDK clients per account: the standard credential chain, then `AssumeRole` into each account the settings
//! name a role for, and into each approval role (per account and stage) for the decisions' `UpdateModelPackage`.
//! Retries (throttling, transient errors) are the SDK's standard retry configuration.

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use governance::{Registry, Stage};

use crate::calls::CallCounter;
use crate::settings::{Account, AwsSettings};

/// The base configuration from the standard chain (environment, profile, container or instance role), with the
/// settings' region and emulator endpoint.
pub async fn base_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .retry_config(retry_config());
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// Retries of every AWS call: standard mode, exponential backoff with jitter on throttling, transient errors and
/// 5xx, 4 attempts in all; adaptive mode would also rate-limit the client, which a portal's bursty reads do not
/// need (the reconciler paces itself instead).
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(4)
}

/// The configuration for one account: the base one, or the base one assuming the account's role.
pub async fn account_config(base: &SdkConfig, account: &Account, session: &str) -> SdkConfig {
    match &account.role_arn {
        None => base.clone(),
        Some(role) => assume(base, role, session).await,
    }
}

/// The base configuration with credentials from `AssumeRole` of `role`. The provider assumes the role on first
/// use and again before the session expires; the SDK caches the credentials in between.
async fn assume(base: &SdkConfig, role: &str, session: &str) -> SdkConfig {
    let provider = AssumeRoleProvider::builder(role).session_name(session).configure(base).build().await;
    base.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
}

/// The key of the central account among the approval clients (projects key their Dev accounts).
const CENTRAL: &str = "";

/// The SageMaker clients of the central account and of each project's Dev account.
#[derive(Clone)]
pub struct SageMakerClients {
    pub central: aws_sdk_sagemaker::Client,
    dev: BTreeMap<String, aws_sdk_sagemaker::Client>,
    /// A client per approval role, by account (`CENTRAL` or the project) and stage: built once, so its assumed
    /// session is reused by every decision until it nears expiry.
    approvers: BTreeMap<(String, Stage), aws_sdk_sagemaker::Client>,
    /// Every request any of these clients sends, by operation.
    pub calls: CallCounter,
}

/// A SageMaker client whose requests `calls` counts.
fn counted(config: &SdkConfig, calls: &CallCounter) -> aws_sdk_sagemaker::Client {
    let config = aws_sdk_sagemaker::config::Builder::from(config).interceptor(calls.clone()).build();
    aws_sdk_sagemaker::Client::from_conf(config)
}

impl SageMakerClients {
    pub async fn new(base: &SdkConfig, settings: &AwsSettings) -> Self {
        let calls = CallCounter::default();
        let central = counted(&account_config(base, &settings.central, "portal-central").await, &calls);
        let mut dev = BTreeMap::new();
        let mut approvers = BTreeMap::new();
        for (stage, role) in settings.central.approval_roles.iter() {
            let config = assume(base, role, &format!("portal-approve-{}", stage.as_str().to_lowercase())).await;
            approvers.insert((CENTRAL.to_string(), stage), counted(&config, &calls));
        }
        for (project, account) in &settings.dev_accounts {
            let config = account_config(base, account, &format!("portal-dev-{project}")).await;
            dev.insert(project.clone(), counted(&config, &calls));
            for (stage, role) in account.approval_roles.iter() {
                let session = format!("portal-approve-{}-{project}", stage.as_str().to_lowercase());
                let config = assume(base, role, &session).await;
                approvers.insert((project.clone(), stage), counted(&config, &calls));
            }
        }
        Self { central, dev, approvers, calls }
    }

    /// The client of a registry's account (the central one for a project without a Dev account of its own).
    pub fn of(&self, registry: &Registry) -> &aws_sdk_sagemaker::Client {
        match registry {
            Registry::Central => &self.central,
            Registry::Dev(project) => self.dev(project.as_str()),
        }
    }

    /// The client that applies a decision on `stage` in a registry's account: the account's approval role for
    /// that stage when the settings name one, else the account's own client.
    pub fn decider(&self, registry: &Registry, stage: Stage) -> &aws_sdk_sagemaker::Client {
        let account = match registry {
            Registry::Dev(project) if self.dev.contains_key(project.as_str()) => project.as_str(),
            // The central account, or a project whose Dev registry lives there (no Dev account of its own).
            _ => CENTRAL,
        };
        self.approvers.get(&(account.to_string(), stage)).unwrap_or_else(|| self.of(registry))
    }

    /// The client of a project's Dev account (the central one when the settings name none).
    pub fn dev(&self, project: &str) -> &aws_sdk_sagemaker::Client {
        self.dev.get(project).unwrap_or(&self.central)
    }
}
