//! SDK clients per account: the standard credential chain, then `AssumeRole` into each account the settings
//! name a role for. Retries (throttling, transient errors) are the SDK's standard retry configuration.

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::settings::{Account, AwsSettings};

/// The base configuration from the standard chain (environment, profile, container or instance role), with the
/// settings' region and emulator endpoint.
pub async fn base_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        // Standard mode: exponential backoff with jitter on throttling and 5xx, 3 attempts; adaptive mode would
        // also rate-limit the client, which a portal's bursty reads do not need.
        .retry_config(RetryConfig::standard().with_max_attempts(4));
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The configuration for one account: the base one, or the base one assuming the account's role.
pub async fn account_config(base: &SdkConfig, account: &Account, session: &str) -> SdkConfig {
    match &account.role_arn {
        None => base.clone(),
        Some(role) => {
            let provider =
                AssumeRoleProvider::builder(role.clone()).session_name(session).configure(base).build().await;
            base.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
        }
    }
}

/// The SageMaker clients of the central account and of each project's Dev account.
#[derive(Clone)]
pub struct SageMakerClients {
    pub central: aws_sdk_sagemaker::Client,
    dev: BTreeMap<String, aws_sdk_sagemaker::Client>,
}

impl SageMakerClients {
    pub async fn new(base: &SdkConfig, settings: &AwsSettings) -> Self {
        let central = aws_sdk_sagemaker::Client::new(&account_config(base, &settings.central, "portal-central").await);
        let mut dev = BTreeMap::new();
        for (project, account) in &settings.dev_accounts {
            let config = account_config(base, account, &format!("portal-dev-{project}")).await;
            dev.insert(project.clone(), aws_sdk_sagemaker::Client::new(&config));
        }
        Self { central, dev }
    }

    /// The client of a project's Dev account (the central one when the settings name none).
    pub fn dev(&self, project: &str) -> &aws_sdk_sagemaker::Client {
        self.dev.get(project).unwrap_or(&self.central)
    }
}
