//! Governed data access (step 3): the catalog's datasets, subscriptions and the lineage check.

use crate::authz::{authorize, Action};
use crate::catalog::{Dataset, DatasetInput, Subscription, SubscriptionStatus};
use crate::path_events::{PathEvent, SubscriptionRef};
use crate::ports::{Effects, StoreError, SubscriptionFilter};
use crate::{Actor, Denial, DenialCode, FieldError, Principal, ProjectId};

use super::{audit, conflict, Service, ServiceError};

fn sub_ref(s: &Subscription, d: &Dataset) -> SubscriptionRef {
    SubscriptionRef {
        subscription_id: s.id.clone(),
        dataset: d.id.clone(),
        project: s.project.clone(),
        location: d.location.clone(),
    }
}

impl Service {
    // ---- the catalog -------------------------------------------------------------------------------------

    pub async fn datasets(&self, actor: &Actor) -> Result<Vec<Dataset>, ServiceError> {
        authorize(actor, &Action::Read)?;
        Ok(self.ports.catalog.datasets().await?)
    }

    /// Registers a dataset (the registrant is its producer) or edits one (its producer only).
    pub async fn save_dataset(
        &self,
        principal: &Principal,
        input: DatasetInput,
        new: bool,
    ) -> Result<Dataset, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::RegisterDataset)?;
        let dataset = input.parse(principal.subject.clone())?;
        // A location belongs to one dataset: lineage is matched by location, so a second dataset at (or
        // inside) someone else's data would let its registrant approve access to data she does not own.
        let catalog = self.ports.catalog.datasets().await?;
        if let Some(owner) = crate::catalog::location_taken(&dataset, &catalog) {
            return Err(FieldError::new(
                "location",
                format!(
                    "{} overlaps {} of dataset {} (producer {}): a location belongs to one dataset; request access to {} instead",
                    dataset.location, owner.location, owner.id, owner.producer, owner.id
                ),
            )
            .into());
        }
        if !new {
            let stored = self
                .ports
                .catalog
                .dataset(&dataset.id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("dataset {}", dataset.id)))?;
            if stored.producer != principal.subject {
                return Err(Denial::new(
                    DenialCode::Forbidden,
                    format!("Only the dataset's producer ({}) may edit it.", stored.producer),
                )
                .into());
            }
        }
        let now = self.ports.clock.now();
        let record = audit(
            now,
            &principal.subject,
            if new { "dataset.register" } else { "dataset.edit" },
            &dataset.id,
            serde_json::json!({ "location": dataset.location, "classification": dataset.classification }),
        );
        self.ports.catalog.save_dataset(&dataset, new, Effects { events: vec![], audit: vec![record] }).await.map_err(
            |e| match e {
                StoreError::Conflict(_) => ServiceError::Invalid(FieldError::new(
                    "id",
                    format!("a dataset named {} exists already", dataset.id),
                )),
                other => other.into(),
            },
        )?;
        Ok(dataset)
    }

    /// A data scientist of the project asks the dataset's producer for access.
    pub async fn request_subscription(
        &self,
        principal: &Principal,
        project: &ProjectId,
        dataset: &str,
        justification: &str,
    ) -> Result<Subscription, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::ManageProject(project.clone()))?;
        self.project_or_404(project).await?;
        let dataset = self
            .ports
            .catalog
            .dataset(dataset)
            .await?
            .ok_or_else(|| FieldError::new("dataset", format!("there is no dataset {dataset} in the catalog")))?;
        let justification = crate::error::text_field("justification", justification, true, 2000)?;
        let open = self
            .ports
            .catalog
            .subscriptions(&SubscriptionFilter { project: Some(project.clone()), ..Default::default() })
            .await?;
        if open.iter().any(|s| {
            s.dataset == dataset.id && matches!(s.status, SubscriptionStatus::Requested | SubscriptionStatus::Approved)
        }) {
            return Err(
                FieldError::new("dataset", format!("{project} has already requested or holds {}", dataset.id)).into()
            );
        }
        let now = self.ports.clock.now();
        let subscription = Subscription {
            id: self.ports.ids.new_id("sub"),
            dataset: dataset.id.clone(),
            project: project.clone(),
            requested_by: principal.subject.clone(),
            justification: justification.clone(),
            status: SubscriptionStatus::Requested,
            decided_by: None,
            reason: String::new(),
            requested_at: now,
            decided_at: None,
        };
        let event = self.path_envelope(
            PathEvent::DatasetSubscriptionRequested {
                subscription: sub_ref(&subscription, &dataset),
                requested_by: principal.subject.clone(),
                justification,
            },
            now,
        );
        let record = audit(
            now,
            &principal.subject,
            "subscription.request",
            &subscription.id,
            serde_json::json!({ "dataset": dataset.id, "project": project, "event": event.id }),
        );
        self.ports
            .catalog
            .save_subscription(&subscription, None, Effects { events: vec![event], audit: vec![record] })
            .await?;
        Ok(subscription)
    }

    /// The producer approves or rejects a request, or (anyone who may manage the project, or the producer)
    /// revokes an approved subscription. A reason is required.
    pub async fn decide_subscription(
        &self,
        principal: &Principal,
        id: &str,
        to: SubscriptionStatus,
        reason: &str,
    ) -> Result<Subscription, ServiceError> {
        authorize(&Actor::Person(principal.clone()), &Action::Read)?;
        let mut subscription = self
            .ports
            .catalog
            .subscription(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("subscription {id}")))?;
        let dataset = self
            .ports
            .catalog
            .dataset(&subscription.dataset)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("dataset {}", subscription.dataset)))?;
        let from = crate::catalog::may_decide(principal, &subscription, &dataset, to)?;
        let reason = crate::error::text_field("reason", reason, true, 2000)?;
        let now = self.ports.clock.now();
        subscription.status = to;
        subscription.decided_by = Some(principal.subject.clone());
        subscription.reason = reason.clone();
        subscription.decided_at = Some(now);
        let r = sub_ref(&subscription, &dataset);
        let by = principal.subject.clone();
        let event = match to {
            SubscriptionStatus::Approved => {
                PathEvent::DatasetSubscriptionApproved { subscription: r, decided_by: by, reason }
            }
            SubscriptionStatus::Rejected => {
                PathEvent::DatasetSubscriptionRejected { subscription: r, decided_by: by, reason }
            }
            _ => PathEvent::DatasetSubscriptionRevoked { subscription: r, revoked_by: by, reason },
        };
        let event = self.path_envelope(event, now);
        let record = audit(
            now,
            &principal.subject,
            &format!("subscription.{}", to.as_str().to_lowercase()),
            id,
            serde_json::json!({ "dataset": dataset.id, "project": subscription.project, "reason": subscription.reason, "event": event.id }),
        );
        self.ports
            .catalog
            .save_subscription(&subscription, Some(from), Effects { events: vec![event], audit: vec![record] })
            .await
            .map_err(conflict("Someone decided this request a moment ago: reload the page."))?;
        Ok(subscription)
    }

    /// Requests awaiting this person's decision as a producer (the inbox shows them beside model approvals).
    pub async fn dataset_requests(&self, principal: &Principal) -> Result<Vec<Subscription>, ServiceError> {
        Ok(self
            .ports
            .catalog
            .subscriptions(&SubscriptionFilter {
                producer: Some(principal.subject.clone()),
                status: Some(SubscriptionStatus::Requested),
                ..Default::default()
            })
            .await?)
    }

    /// A lineage may only name catalog datasets the project is subscribed to.
    pub(crate) async fn check_lineage(
        &self,
        project: &ProjectId,
        training_data: &[String],
    ) -> Result<(), ServiceError> {
        if training_data.is_empty() {
            return Ok(());
        }
        let catalog = self.ports.catalog.datasets().await?;
        let subscriptions = self
            .ports
            .catalog
            .subscriptions(&SubscriptionFilter { project: Some(project.clone()), ..Default::default() })
            .await?;
        match crate::catalog::unsubscribed(training_data, &catalog, &subscriptions).first() {
            None => Ok(()),
            Some((entry, dataset)) => Err(Denial::new(
                DenialCode::Forbidden,
                format!("The lineage names {entry} (catalog dataset {dataset}), which project {project} is not subscribed to: request access in the catalog first."),
            )
            .into()),
        }
    }
}
