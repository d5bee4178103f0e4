//! Revisions of what a page shows, so a page open in a browser learns that it is out of date: a revision is
//! a digest of everything the page renders that can change behind it (a central copy, a provisioning step, a
//! sign-off, a test run, a deployment status, an event's delivery). Pages carry the revision they were drawn
//! at; the live endpoint recomputes it from the store, so it holds across replicas, and says when it differs.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{InboxItem, ProjectDetail, Service, ServiceError, VersionDetail};
use crate::ports::{EventRecord, Window};
use crate::{Actor, Principal, ProjectId, VersionId};

/// What a live page watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    Version(VersionId),
    Project(ProjectId),
    /// The signed-in person's inbox.
    Inbox,
}

/// The events a version page shows (its timeline reads this many).
pub(crate) const VERSION_EVENTS: Window = Window { offset: 0, limit: 200 };

impl Service {
    /// The current revision of what `principal` sees of `watched`. Refused exactly as the page itself is.
    pub async fn revision(&self, principal: &Principal, watched: &Watched) -> Result<String, ServiceError> {
        let actor = Actor::Person(principal.clone());
        match watched {
            Watched::Version(id) => {
                let detail = self.version_detail(&actor, id).await?;
                let events = self.events(&actor, Some(id), VERSION_EVENTS).await?.items;
                Ok(version_revision(&detail, &events))
            }
            Watched::Project(id) => Ok(project_revision(&self.project_detail(&actor, id).await?)),
            Watched::Inbox => Ok(inbox_revision(&self.inbox(principal).await?, &self.review_inbox(principal).await?)),
        }
    }
}

/// The revision of a version page drawn from `detail` and `events`.
pub(crate) fn version_revision(detail: &VersionDetail, events: &[EventRecord]) -> String {
    let e = &detail.evidence;
    let related = detail.related.as_ref().map(|r| (&r.id, r.stage, r.status, &r.central_copy));
    let runs: Vec<_> = detail.test_runs.iter().map(|r| (&r.id, r.passed)).collect();
    let requests: Vec<_> = detail.deployment_requests.iter().map(|r| (&r.id, r.status, r.updated_at)).collect();
    let deliveries: Vec<_> = events
        .iter()
        .map(|r| (&r.envelope.id, r.deliveries.iter().map(|d| (&d.target, d.state)).collect::<Vec<_>>()))
        .collect();
    digest(&(&detail.digest, e.dev_approved, &e.version, related, &detail.champion, runs, requests, deliveries))
}

/// The revision of a project page drawn from `detail`: provisioning, upgrades and dataset subscriptions.
pub fn project_revision(detail: &ProjectDetail) -> String {
    let setup = &detail.setup;
    let subscriptions: Vec<_> = detail.subscriptions.iter().map(|s| (&s.id, s.status)).collect();
    let upgrade = detail.upgrade.as_ref().map(|u| u.to_version);
    digest(&(&setup.provisioning, setup.template_version, setup.upgrades.len(), subscriptions, upgrade))
}

/// The revision of an inbox drawn from `items` and `reviews`: what awaits whose decision, where each version
/// stands, and each open review's breach (whether it still breaches).
pub fn inbox_revision(items: &[InboxItem], reviews: &[super::ReviewItem]) -> String {
    let items: Vec<_> = items.iter().map(|i| (i.stage, &i.version.id, i.version.stage, i.version.status)).collect();
    let reviews: Vec<_> = reviews
        .iter()
        .map(|r| (&r.review.id, r.review.reopened, r.review.breach().and_then(|b| b.cleared_at)))
        .collect();
    digest(&(items, reviews))
}

/// A digest of serializable page state. Everything digested is made of ordered collections (no hash maps),
/// so the same state digests alike in every process.
fn digest(value: &impl Serialize) -> String {
    // Serializing owned, ordered data cannot fail.
    hex::encode(Sha256::digest(serde_json::to_vec(value).unwrap_or_default()))
}

/// Whether `s` has the shape of a revision (what a client may send back as `Last-Event-ID` or `since`).
pub fn is_revision(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
