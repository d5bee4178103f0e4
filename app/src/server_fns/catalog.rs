//! The data catalog: datasets, registering one, and subscription requests and decisions.

use std::collections::BTreeMap;

use governance::catalog::{Dataset, Subscription};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The catalog page: every dataset, and the requests awaiting my decision as a producer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogView {
    pub datasets: Vec<Dataset>,
    pub requests: Vec<Subscription>,
    /// Who is looking: producers edit their own datasets.
    pub me: governance::Subject,
}

#[server(prefix = "/fn", endpoint = "catalog_page")]
pub async fn catalog_page() -> Result<CatalogView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let service = portal()?.service;
    let datasets = service.datasets(&governance::Actor::Person(principal.clone())).await.map_err(reply)?;
    let requests = service.dataset_requests(&principal).await.map_err(reply)?;
    Ok(CatalogView { datasets, requests, me: principal.subject })
}

/// Dataset requests awaiting my decision (the inbox shows them beside model approvals).
#[server(prefix = "/fn", endpoint = "dataset_requests")]
pub async fn dataset_requests() -> Result<Vec<Subscription>, AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    portal()?.service.dataset_requests(&principal).await.map_err(reply)
}

/// Registers a dataset, or edits one of mine when `form[mode]` is `edit`; `form` holds `id`, `name`,
/// `description`, `classification`, `location`, `schema`.
#[server(prefix = "/fn", endpoint = "register_dataset")]
pub async fn register_dataset(form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::service::ServiceError;
    let principal = require_principal().await?;
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = governance::catalog::DatasetInput {
        id: get("id"),
        name: get("name"),
        description: get("description"),
        classification: get("classification"),
        location: get("location"),
        schema: get("schema").replace("\r\n", "\n"),
    };
    let new = form.get("mode").map(String::as_str) != Some("edit");
    portal()?.service.save_dataset(&principal, input, new).await.map_err(|e| match e {
        ServiceError::Invalid(f) => reply(AppError::invalid(f, form.clone())),
        other => reply(other),
    })?;
    Ok(())
}

#[server(prefix = "/fn", endpoint = "request_subscription")]
pub async fn request_subscription(project: String, dataset: String, justification: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::service::ServiceError;
    let principal = require_principal().await?;
    let submitted: BTreeMap<String, String> =
        [("dataset".to_string(), dataset.clone()), ("justification".to_string(), justification.clone())].into();
    portal()?
        .service
        .request_subscription(&principal, &governance::ProjectId(project), &dataset, &justification)
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(f) => reply(AppError::invalid(f, submitted.clone())),
            other => reply(other),
        })?;
    Ok(())
}

/// The producer approves (`Approved`) or rejects (`Rejected`) a request; an approved one can be `Revoked`.
#[server(prefix = "/fn", endpoint = "decide_subscription")]
pub async fn decide_subscription(id: String, decision: String, reason: String) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let to = governance::catalog::SubscriptionStatus::parse(&decision).ok_or_else(|| {
        reply(AppError::invalid(
            governance::FieldError::new("decision", "must be Approved, Rejected or Revoked"),
            BTreeMap::new(),
        ))
    })?;
    portal()?.service.decide_subscription(&principal, &id, to, &reason).await.map_err(reply)?;
    Ok(())
}
