//! Telling people what awaits them: the notices of promotion events queued for the digests of the people who
//! decide them, and each person's mutes. Mailing and chat posts are the server's (through the outboxes).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::events::EventEnvelope;
use crate::notification::{notice_for, Recipient};
use crate::ports::{DueDigest, Effects};
use crate::{EventId, FieldError, Principal, ProjectId, Subject};

use super::{audit, Service, ServiceError};

/// A person's notification settings as their page shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// Where the digest goes (`None`: the identity provider gave no address; nothing is mailed).
    pub email: Option<String>,
    /// Their projects: id, name, and whether its mail is muted.
    pub projects: Vec<(ProjectId, String, bool)>,
}

impl Service {
    /// Records a person as their sign-in describes them, so their digests can be made while they are away.
    /// An address that is not plainly one address is dropped (nothing is mailed to it).
    pub async fn record_recipient(&self, principal: &Principal, email: Option<&str>) -> Result<(), ServiceError> {
        let recipient = Recipient::signed_in(principal, email);
        self.ports.notifications.record_recipient(&recipient, self.ports.clock.now()).await?;
        Ok(())
    }

    /// Queues the notice of `envelope` (if it awaits someone) for the digest of each person who decides it and
    /// has an address; returns how many were queued. Idempotent on the event: a redelivery queues nothing new.
    pub async fn queue_notice(&self, envelope: &EventEnvelope) -> Result<usize, ServiceError> {
        let Some(notice) = notice_for(envelope) else { return Ok(0) };
        let queued: Vec<(Subject, crate::notification::Notice)> = self
            .ports
            .notifications
            .recipients()
            .await?
            .into_iter()
            .filter(|r| r.email.is_some() && r.is_told(&notice))
            .map(|r| (r.subject, notice.clone()))
            .collect();
        self.ports.notifications.queue_notices(&queued).await?;
        Ok(queued.len())
    }

    /// The signed-in person's notification settings.
    pub async fn notification_settings(&self, principal: &Principal) -> Result<NotificationSettings, ServiceError> {
        let known = self.ports.notifications.recipient(&principal.subject).await?;
        let muted = known.as_ref().map(|k| k.muted.clone()).unwrap_or_default();
        let mut projects = Vec::new();
        for id in principal.memberships.keys() {
            let name = self.ports.directory.project(id).await?.map(|p| p.name).unwrap_or_else(|| id.to_string());
            projects.push((id.clone(), name, muted.contains(id)));
        }
        Ok(NotificationSettings { email: known.and_then(|k| k.email), projects })
    }

    /// Mutes (or unmutes) a project's mail for the signed-in person: a project they are a member of.
    pub async fn set_muted(&self, principal: &Principal, project: &str, muted: bool) -> Result<(), ServiceError> {
        let project = ProjectId(project.trim().to_string());
        if !principal.memberships.contains_key(&project) {
            return Err(FieldError::new("project", format!("names no project of yours: {project}")).into());
        }
        if self.ports.notifications.recipient(&principal.subject).await?.is_none() {
            self.record_recipient(principal, None).await?;
        }
        let now = self.ports.clock.now();
        let record = audit(
            now,
            &principal.subject,
            if muted { "notifications.mute" } else { "notifications.unmute" },
            project.as_str(),
            serde_json::json!({ "project": project }),
        );
        self.ports
            .notifications
            .set_muted(&principal.subject, &project, muted, Effects { events: vec![], audit: vec![record] })
            .await?;
        Ok(())
    }

    /// The digests to mail now: people with notices not yet mailed, not mailed within `interval`. The notices
    /// of projects they muted since are left out (and a digest left with none is marked sent).
    pub async fn due_digests(&self, interval: Duration, limit: u32) -> Result<Vec<DueDigest>, ServiceError> {
        let now = self.ports.clock.now();
        let mut due = Vec::new();
        for mut digest in self.ports.notifications.due_digests(now, now - interval, limit).await? {
            let (told, muted): (Vec<_>, Vec<_>) =
                digest.notices.into_iter().partition(|n| !digest.recipient.muted.contains(&n.project));
            if !muted.is_empty() {
                let events: Vec<EventId> = muted.iter().map(|n| n.event.clone()).collect();
                self.ports.notifications.digest_sent(&digest.recipient.subject, &events, now).await?;
            }
            if !told.is_empty() && digest.recipient.email.is_some() {
                digest.notices = told;
                due.push(digest);
            }
        }
        Ok(due)
    }

    /// A digest went out: its notices are not mailed again.
    pub async fn digest_sent(&self, subject: &Subject, events: &[EventId]) -> Result<(), ServiceError> {
        Ok(self.ports.notifications.digest_sent(subject, events, self.ports.clock.now()).await?)
    }

    /// A digest could not be mailed: tried again at `next`, or dead (`None`) until a new notice comes.
    pub async fn digest_failed(
        &self,
        subject: &Subject,
        error: &str,
        next: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), ServiceError> {
        Ok(self.ports.notifications.digest_failed(subject, error, next, self.ports.clock.now()).await?)
    }
}
