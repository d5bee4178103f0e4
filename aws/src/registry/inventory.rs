//! What SageMaker holds, read whole for the portal's registry index (`server::aws::index`): every package
//! summary of a project's registry, page by page, and every model package group of the accounts, including
//! groups no project of the portal owns (shown to admins as "not managed by the portal").

use std::collections::BTreeSet;

use governance::ids::ModelGroupName;
use governance::ports::StoreError;
use governance::{ProjectId, Registry};

use super::list::{self, Scan};
use super::SageMakerRegistry;
use crate::calls::CallCounter;
use crate::error::store_error;

pub use super::list::Summary;

/// A model package group as SageMaker lists it.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupListing {
    /// A group of a project's registry: Dev, or its central group.
    Managed { registry: Registry, project: ProjectId, group: ModelGroupName, description: String },
    /// A group whose name belongs to no project of the portal (made by hand, by another tool, or of a project
    /// the portal no longer knows).
    Unrecognised { account: String, name: String },
}

impl SageMakerRegistry {
    /// The requests sent to SageMaker so far.
    pub fn calls(&self) -> &CallCounter {
        &self.clients.calls
    }

    /// Whether SageMaker answers (one cheap call, 3 s at most): for `/readyz`.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let call = self.clients.central.list_model_package_groups().max_results(1).send();
        match tokio::time::timeout(std::time::Duration::from_secs(3), call).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(store_error("sagemaker:ListModelPackageGroups", "the central account", e)),
            Err(_) => Err(StoreError::BackendUnavailable {
                backend: "SageMaker".into(),
                detail: "no answer within 3 s".into(),
            }),
        }
    }

    /// Every package summary of `project`'s packages in `registry` (Dev, or the central one), newest first.
    pub async fn summaries(&self, registry: &Registry, project: &ProjectId) -> Result<Vec<Summary>, StoreError> {
        let known = self.projects();
        let registry = match registry {
            Registry::Dev(_) => Registry::Dev(project.clone()),
            Registry::Central => Registry::Central,
        };
        let scan = Scan {
            client: self.client(&registry),
            registry,
            project,
            projects: &known,
            status: None,
            page_size: self.page_size,
        };
        let mut all = Vec::new();
        list::each(&scan, |s| all.push(s)).await?;
        Ok(all)
    }

    /// Every model package group of the central account and of each project's Dev account, classified.
    /// Nothing is listed while the portal has no project (it manages nothing in these accounts yet).
    pub async fn groups(&self) -> Result<Vec<GroupListing>, StoreError> {
        let known = self.projects();
        if known.is_empty() {
            return Ok(Vec::new());
        }
        let mut accounts: Vec<(String, &aws_sdk_sagemaker::Client)> =
            vec![(self.settings.central.account_id.clone(), &self.clients.central)];
        for project in &known {
            let account = self.settings.dev_account(project.as_str()).account_id.clone();
            if !accounts.iter().any(|(a, _)| *a == account) {
                accounts.push((account, self.clients.dev(project.as_str())));
            }
        }
        let mut listed = Vec::new();
        let mut seen = BTreeSet::new();
        for (account, client) in accounts {
            let mut token = None;
            loop {
                let out = client
                    .list_model_package_groups()
                    .max_results(self.page_size)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| store_error("sagemaker:ListModelPackageGroups", &format!("account {account}"), e))?;
                for g in out.model_package_group_summary_list() {
                    let name = g.model_package_group_name().unwrap_or_default().to_string();
                    if !seen.insert((account.clone(), name.clone())) {
                        continue;
                    }
                    let description = g.model_package_group_description().unwrap_or_default().to_string();
                    listed.push(classify(&known, &account, name, description));
                }
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        Ok(listed)
    }
}

fn classify(known: &[ProjectId], account: &str, name: String, description: String) -> GroupListing {
    let central = name.starts_with("central-");
    let registry = if central { Registry::Central } else { Registry::Dev(ProjectId(String::new())) };
    match list::owner(&registry, known, &name) {
        Some((project, group)) => {
            let registry = if central { Registry::Central } else { Registry::Dev(project.clone()) };
            GroupListing::Managed { registry, project, group, description }
        }
        None => GroupListing::Unrecognised { account: account.to_string(), name },
    }
}
