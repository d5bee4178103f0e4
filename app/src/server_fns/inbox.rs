//! What awaits the signed-in person's decision.

use governance::model::ModelVersion;
use governance::Stage;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxRow {
    pub stage: Stage,
    pub version: ModelVersion,
    /// How long it has waited, worked out on the server so the page and its hydration agree.
    pub waiting: String,
}

/// An open review of a Prod version, as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub review: governance::review::Review,
    pub version: ModelVersion,
    /// How long the series has been over its threshold (or was, until it cleared), or when the re-certification
    /// is due ("in 3 days", "overdue by 2 days"), worked out on the server.
    pub age: String,
    /// A re-certification past its due date.
    pub overdue: bool,
    /// The breaching series around the breach, drawn beside it.
    pub series: Option<governance::monitoring::SeriesOverview>,
}

/// The inbox with the revision it was drawn at (its live stream starts from it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxView {
    pub rows: Vec<InboxRow>,
    /// Reviews of Prod versions that await the person's decision (Governance Engineers).
    pub reviews: Vec<ReviewRow>,
    /// How many of those are re-certifications past their due date.
    pub overdue: usize,
    pub revision: String,
}

#[server(prefix = "/fn", endpoint = "inbox")]
pub async fn inbox() -> Result<InboxView, AppError> {
    use crate::server::{portal, reply, require_principal};
    let principal = require_principal().await?;
    let service = portal()?.service;
    let items = service.inbox(&principal).await.map_err(reply)?;
    let reviews = service.review_inbox(&principal).await.map_err(reply)?;
    let now = service.now();
    let revision = governance::service::inbox_revision(&items, &reviews);
    let reviews = reviews
        .into_iter()
        .map(|r| {
            let age = match (r.review.breach(), r.review.recertification()) {
                (Some(b), _) => crate::format::age(&b.since, &b.cleared_at.unwrap_or(now)),
                (None, Some(c)) if c.due_at <= now => format!("overdue by {}", crate::format::age(&c.due_at, &now)),
                (None, Some(c)) => format!("due in {}", crate::format::age(&now, &c.due_at)),
                (None, None) => String::new(),
            };
            ReviewRow { age, overdue: r.review.overdue(now), review: r.review, version: r.version, series: r.series }
        })
        .collect::<Vec<_>>();
    let overdue = reviews.iter().filter(|r| r.overdue).count();
    let rows = items
        .into_iter()
        .map(|i| InboxRow {
            waiting: crate::format::age(&i.version.registered_at, &now),
            stage: i.stage,
            version: i.version,
        })
        .collect();
    Ok(InboxView { rows, reviews, overdue, revision })
}
