//! Reviews opened by monitoring: a breach of a Prod version's series sustained for the project's window opens
//! one; later pushes add to it; Governance Engineers acknowledge it until a date, after which it re-opens if
//! the breach goes on. Rolling back and retiring, the other decisions on a review, are in `production.rs`.

use chrono::{DateTime, Duration, Utc};

use crate::authz::{authorize, Action};
use crate::events::PromotionEvent;
use crate::model::ModelVersion;
use crate::monitoring::MonitoringPush;
use crate::ports::{Effects, StoreError};
use crate::review::{
    sustained_breach, AcknowledgeRequest, Breach, Review, ReviewCause, ReviewDecision, ReviewOutcome, ReviewStatus,
};
use crate::{Actor, ApprovalStatus, Denial, DenialCode, Principal, ProjectId, ReviewId, Stage, Subject};

use super::{audit, Service, ServiceError};

/// Who the portal's review keeping acts as in the audit log.
const MONITOR: &str = "portal:review-monitor";

/// How far back before the window a breach's run is looked for: series sampled as sparsely as hourly still
/// show the point before the window.
const LOOKBACK: Duration = Duration::hours(6);

/// How many times a review change is retried when a concurrent push changed the review first.
const ATTEMPTS: usize = 4;

/// A review that awaits a decision, with its version, for the inbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReviewItem {
    pub review: Review,
    pub version: ModelVersion,
    /// The breaching series from a little before the breach began to now, for the inbox's chart.
    pub series: Option<crate::monitoring::SeriesOverview>,
}

/// How many points a review's chart in the inbox draws at most.
const INBOX_CHART_SLICES: u32 = 60;

pub(crate) fn live_in_prod(version: &ModelVersion) -> bool {
    version.registry.is_central() && version.stage == Stage::Prod && version.status == ApprovalStatus::Approved
}

impl Service {
    /// After a monitoring push: opens, adds to, re-opens or closes the review of the pushed series. A version
    /// outside Prod is not reviewed (its monitoring is shown, nothing more).
    pub(crate) async fn review_breach(
        &self,
        version: &ModelVersion,
        push: &MonitoringPush,
    ) -> Result<(), ServiceError> {
        let Some(threshold) = push.threshold else { return Ok(()) };
        if !live_in_prod(version) {
            return Ok(());
        }
        let project = self.project_or_404(&version.project).await?;
        let window = Duration::minutes(i64::from(project.policy.breach_window_minutes));
        let now = self.ports.clock.now();
        let to = push.points.iter().map(|p| p.at).max().unwrap_or(now).max(now);
        let series = self.ports.monitoring.series(&version.id, to - window - LOOKBACK, to).await?;
        let Some(series) = series
            .into_iter()
            .find(|s| s.metric == push.metric && s.endpoint == push.endpoint && s.variant == push.variant)
        else {
            return Ok(());
        };
        let Some(latest) = series.points.iter().max_by_key(|p| p.at).copied() else { return Ok(()) };
        let sustained = sustained_breach(&series.points, threshold, window);
        let cause = crate::review::breach_cause(&push.metric, &push.endpoint, &push.variant);
        for _ in 0..ATTEMPTS {
            let active = self.ports.reviews.active_review(&version.id, &cause).await?;
            let outcome = match active {
                None => match sustained {
                    None => return Ok(()),
                    Some((since, worst)) => {
                        let breach = Breach {
                            metric: push.metric.clone(),
                            endpoint: push.endpoint.clone(),
                            variant: push.variant.clone(),
                            threshold,
                            since,
                            latest_at: latest.at,
                            latest: latest.value,
                            worst,
                            cleared_at: None,
                        };
                        self.open_review(version, ReviewCause::Breach(breach), now).await
                    }
                },
                Some(review) => self.update_review(version, review, threshold, latest, sustained, now).await,
            };
            match outcome {
                Err(ServiceError::Conflict(_)) => continue,
                other => return other,
            }
        }
        tracing::warn!(version = %version.id, cause, "the review kept changing under concurrent pushes; left as is");
        Ok(())
    }

    pub(crate) async fn open_review(
        &self,
        version: &ModelVersion,
        cause: ReviewCause,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let review = Review {
            id: ReviewId(self.ports.ids.new_id("rev")),
            version: version.id.clone(),
            project: version.project.clone(),
            cause,
            status: ReviewStatus::Open,
            opened_at: now,
            updated_at: now,
            revision: 1,
            reopened: 0,
            decisions: Vec::new(),
        };
        let effects = self.opened_effects(version, &review, now);
        self.ports.reviews.save_review(&review, None, effects).await?;
        Ok(())
    }

    fn opened_effects(&self, version: &ModelVersion, review: &Review, now: DateTime<Utc>) -> Effects {
        let (event, detail) = match &review.cause {
            ReviewCause::Breach(b) => (
                PromotionEvent::ReviewOpened {
                    model: Self::version_ref(version),
                    review_id: review.id.clone(),
                    metric: b.metric.clone(),
                    endpoint: b.endpoint.clone(),
                    variant: b.variant.clone(),
                    threshold: b.threshold,
                    value: b.worst,
                    breaching_since: b.since,
                    reopened: review.reopened,
                },
                serde_json::json!({
                    "series": b.series_label(), "threshold": b.threshold, "worst": b.worst, "since": b.since,
                    "reopened": review.reopened,
                }),
            ),
            ReviewCause::Recertification(r) => (
                PromotionEvent::RecertificationDue {
                    model: Self::version_ref(version),
                    review_id: review.id.clone(),
                    signed_off_at: r.signed_off_at,
                    due_at: r.due_at,
                },
                serde_json::json!({ "recertification": "due", "signedOffAt": r.signed_off_at, "dueAt": r.due_at }),
            ),
        };
        let event = self.envelope(event, now);
        let mut detail = detail;
        detail["review"] = serde_json::json!(review.id);
        detail["event"] = serde_json::json!(event.id);
        let record = audit(now, &Subject(MONITOR.into()), "review.open", version.id.as_str(), detail);
        Effects { events: vec![event], audit: vec![record] }
    }

    /// Adds the latest point to an active review; an acknowledgement that ran out re-opens it while the breach
    /// is sustained, and closes it when the series is back under its threshold.
    async fn update_review(
        &self,
        version: &ModelVersion,
        mut review: Review,
        threshold: f64,
        latest: crate::monitoring::Point,
        sustained: Option<(DateTime<Utc>, f64)>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let expected = review.revision;
        let ReviewCause::Breach(b) = &mut review.cause else { return Ok(()) };
        b.threshold = threshold;
        if latest.at >= b.latest_at {
            b.latest_at = latest.at;
            b.latest = latest.value;
            b.cleared_at = if latest.value > threshold { None } else { b.cleared_at.or(Some(latest.at)) };
        }
        b.worst = b.worst.max(sustained.map(|(_, w)| w).unwrap_or(f64::MIN));
        review.revision += 1;
        review.updated_at = now;
        let ran_out = review.acknowledged_until().is_some_and(|until| until <= now);
        let effects = match (ran_out, sustained) {
            (true, Some((since, worst))) => {
                review.status = ReviewStatus::Open;
                review.reopened += 1;
                if let ReviewCause::Breach(b) = &mut review.cause {
                    b.since = since;
                    b.worst = worst;
                    b.cleared_at = None;
                }
                self.opened_effects(version, &review, now)
            }
            (true, None) if review.breach().is_some_and(|b| b.cleared_at.is_some()) => {
                review.status = ReviewStatus::Closed;
                self.portal_closes(
                    version,
                    &mut review,
                    ReviewOutcome::Cleared,
                    "the acknowledgement ran out with the series back under its threshold",
                    now,
                )
            }
            _ => Effects::default(),
        };
        self.ports.reviews.save_review(&review, Some(expected), effects).await?;
        Ok(())
    }

    /// The portal's own closing of a review (not a person's decision), recorded as one.
    pub(crate) fn portal_closes(
        &self,
        version: &ModelVersion,
        review: &mut Review,
        outcome: ReviewOutcome,
        why: &str,
        now: DateTime<Utc>,
    ) -> Effects {
        let by = Subject(MONITOR.into());
        review.status = ReviewStatus::Closed;
        review.decisions.push(ReviewDecision {
            outcome,
            by: by.clone(),
            by_name: "The portal".into(),
            at: now,
            justification: why.to_string(),
            until: None,
        });
        self.decided_effects(version, review, &by, now)
    }

    /// The `ReviewDecided` event and audit entry of the review's last decision.
    pub(crate) fn decided_effects(
        &self,
        version: &ModelVersion,
        review: &Review,
        by: &Subject,
        now: DateTime<Utc>,
    ) -> Effects {
        let Some(decision) = review.last_decision() else { return Effects::default() };
        let event = self.envelope(
            PromotionEvent::ReviewDecided {
                model: Self::version_ref(version),
                review_id: review.id.clone(),
                outcome: decision.outcome,
                decided_by: by.clone(),
                justification: decision.justification.clone(),
                acknowledged_until: decision.until,
            },
            now,
        );
        let record = audit(
            now,
            by,
            &format!("review.{}", decision.outcome.as_str().to_ascii_lowercase()),
            version.id.as_str(),
            serde_json::json!({
                "review": review.id, "about": review.label(), "justification": decision.justification,
                "until": decision.until, "event": event.id,
            }),
        );
        Effects { events: vec![event], audit: vec![record] }
    }

    /// A Governance Engineer of the project accepts the breach until a date: the review leaves the inbox, and
    /// re-opens then if the breach goes on.
    pub async fn acknowledge_review(
        &self,
        principal: &Principal,
        id: &ReviewId,
        request: AcknowledgeRequest,
    ) -> Result<Review, ServiceError> {
        let review = self.review_or_404(id).await?;
        authorize(
            &Actor::Person(principal.clone()),
            &Action::Decide { project: review.project.clone(), stage: Stage::Prod },
        )?;
        if review.recertification().is_some() {
            return Err(crate::FieldError::new(
                "review",
                "is a re-certification: it is decided by re-certifying the version on current evidence (or by \
                 rolling it back or retiring it), not acknowledged",
            )
            .into());
        }
        let version = self.version_or_404(&review.version).await?;
        let now = self.ports.clock.now();
        let (justification, until) = request.parse(now)?;
        for _ in 0..ATTEMPTS {
            let mut review = self.review_or_404(id).await?;
            if review.status != ReviewStatus::Open {
                return Err(Denial::new(DenialCode::NotAwaitingDecision, not_open(&review)).into());
            }
            let expected = review.revision;
            review.status = ReviewStatus::Acknowledged;
            review.revision += 1;
            review.updated_at = now;
            review.decisions.push(ReviewDecision {
                outcome: ReviewOutcome::Acknowledged,
                by: principal.subject.clone(),
                by_name: principal.display_name.clone(),
                at: now,
                justification: justification.as_str().to_string(),
                until: Some(until),
            });
            let effects = self.decided_effects(&version, &review, &principal.subject, now);
            match self.ports.reviews.save_review(&review, Some(expected), effects).await {
                // A push added a point meanwhile: decide on the review as it is now.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
                Ok(()) => return Ok(review),
            }
        }
        Err(ServiceError::Conflict("The review kept changing while you decided: reload the page and try again.".into()))
    }

    pub(crate) async fn review_or_404(&self, id: &ReviewId) -> Result<Review, ServiceError> {
        self.ports.reviews.review(id).await?.ok_or_else(|| ServiceError::NotFound(format!("review {id}")))
    }

    /// Every review of a version, newest first, for whoever may read its project.
    pub async fn reviews_of(&self, actor: &Actor, version: &ModelVersion) -> Result<Vec<Review>, ServiceError> {
        authorize(actor, &Action::ReadProject(version.project.clone()))?;
        Ok(self.ports.reviews.reviews_of(&version.id).await?)
    }

    /// The open reviews of the projects `principal` signs off Prod in, oldest first: the reviews half of their
    /// inbox. A review whose version left Prod by another path is closed on the way (it has nothing left to
    /// decide).
    pub async fn review_inbox(&self, principal: &Principal) -> Result<Vec<ReviewItem>, ServiceError> {
        let projects: Vec<ProjectId> = principal
            .memberships
            .iter()
            .filter(|(_, p)| p.contains(&crate::Persona::GovernanceEngineer))
            .map(|(id, _)| id.clone())
            .collect();
        if projects.is_empty() {
            return Ok(Vec::new());
        }
        let mut items = Vec::new();
        for review in self.ports.reviews.reviews_in(&projects, ReviewStatus::Open).await? {
            let version = self.version_or_404(&review.version).await?;
            if live_in_prod(&version) {
                let series = self.breach_series(&review).await?;
                items.push(ReviewItem { review, version, series });
            } else {
                self.close_left_prod(&version, review).await?;
            }
        }
        Ok(items)
    }

    /// The series a breach review is about, from an hour before the breach began (or its window) to now.
    async fn breach_series(&self, review: &Review) -> Result<Option<crate::monitoring::SeriesOverview>, ServiceError> {
        let Some(b) = review.breach() else { return Ok(None) };
        let now = self.ports.clock.now();
        let from = b.since.min(now) - Duration::hours(1);
        let series =
            self.ports.monitoring.overview(&review.version, from, now.max(b.latest_at), INBOX_CHART_SLICES).await?;
        Ok(series
            .into_iter()
            .find(|s| s.series.metric == b.metric && s.series.endpoint == b.endpoint && s.series.variant == b.variant))
    }

    /// Closes a review whose version is no longer in Prod (a decision taken outside the review, or a crash
    /// between a rollback and its review's closing).
    async fn close_left_prod(&self, version: &ModelVersion, mut review: Review) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        let expected = review.revision;
        review.revision += 1;
        review.updated_at = now;
        let effects = self.portal_closes(version, &mut review, ReviewOutcome::Cleared, "the version left Prod", now);
        match self.ports.reviews.save_review(&review, Some(expected), effects).await {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Why a review has nothing to decide now.
pub(crate) fn not_open(review: &Review) -> String {
    match (review.status, review.last_decision()) {
        (ReviewStatus::Acknowledged, Some(d)) => format!(
            "This review was acknowledged by {} until {}: nothing awaits a decision until then.",
            d.by_name,
            d.until.map(|u| u.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
        ),
        (_, Some(d)) => {
            format!("This review was closed ({}) by {} on {}.", d.outcome.label(), d.by_name, d.at.format("%Y-%m-%d"))
        }
        _ => "This review awaits no decision.".to_string(),
    }
}
