//! Who can be told, their mutes, and the notices queued for their digests. A person's unsent notices and
//! their digest row are the mail outbox: a digest is marked sent only after the SMTP server took it, so a crash
//! in between mails it again (at least once), never loses it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::notification::{Notice, Recipient};
use governance::ports::{DueDigest, Effects, NotificationStore, StoreError};
use governance::{EventId, ProjectId, Subject};
use sqlx::Row;

use super::{from_json, to_json, ts, unavailable, Store};

#[async_trait]
impl NotificationStore for Store {
    async fn record_recipient(&self, recipient: &Recipient, at: DateTime<Utc>) -> Result<(), StoreError> {
        // The mutes live in their own table: the body keeps who the person is, not what they chose.
        let body = to_json(&Recipient { muted: Default::default(), ..recipient.clone() })?;
        sqlx::query(
            "INSERT INTO recipients (subject, body, seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (subject) DO UPDATE SET body = excluded.body, seen_at = excluded.seen_at",
        )
        .bind(recipient.subject.as_str())
        .bind(body)
        .bind(ts(at))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn recipients(&self) -> Result<Vec<Recipient>, StoreError> {
        let rows = sqlx::query("SELECT body FROM recipients ORDER BY subject")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let mutes = sqlx::query("SELECT subject, project FROM notification_mutes")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let mut muted: BTreeMap<String, Vec<ProjectId>> = BTreeMap::new();
        for row in mutes {
            muted.entry(row.get("subject")).or_default().push(ProjectId(row.get("project")));
        }
        rows.iter()
            .map(|row| {
                let mut r: Recipient = from_json(row.get::<&str, _>("body"))?;
                r.muted = muted.remove(r.subject.as_str()).unwrap_or_default().into_iter().collect();
                Ok(r)
            })
            .collect()
    }

    async fn recipient(&self, subject: &Subject) -> Result<Option<Recipient>, StoreError> {
        let row = sqlx::query("SELECT body FROM recipients WHERE subject = $1")
            .bind(subject.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let mut r: Recipient = from_json(row.get::<&str, _>("body"))?;
        let mutes = sqlx::query("SELECT project FROM notification_mutes WHERE subject = $1")
            .bind(subject.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        r.muted = mutes.into_iter().map(|row| ProjectId(row.get("project"))).collect();
        Ok(Some(r))
    }

    async fn set_muted(
        &self,
        subject: &Subject,
        project: &ProjectId,
        muted: bool,
        effects: Effects,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let sql = if muted {
            "INSERT INTO notification_mutes (subject, project) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM notification_mutes WHERE subject = $1 AND project = $2"
        };
        sqlx::query(sql)
            .bind(subject.as_str())
            .bind(project.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn queue_notices(&self, queued: &[(Subject, Notice)]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (subject, notice) in queued {
            let inserted = sqlx::query(
                "INSERT INTO digest_items (subject, event_id, notice, queued_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind(subject.as_str())
            .bind(notice.event.as_str())
            .bind(to_json(notice)?)
            .bind(ts(notice.at))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
            // A new notice revives a dead digest: the person is tried again, with everything still unsent.
            if inserted.rows_affected() > 0 {
                sqlx::query(
                    "INSERT INTO digests (subject, attempts) VALUES ($1, 0)
                     ON CONFLICT (subject) DO UPDATE SET dead_at = NULL, attempts = CASE WHEN digests.dead_at IS NULL
                     THEN digests.attempts ELSE 0 END, next_attempt_at = CASE WHEN digests.dead_at IS NULL
                     THEN digests.next_attempt_at ELSE NULL END",
                )
                .bind(subject.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            }
        }
        tx.commit().await.map_err(unavailable)
    }

    async fn due_digests(
        &self,
        now: DateTime<Utc>,
        sent_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDigest>, StoreError> {
        let people = sqlx::query(
            "SELECT d.subject, d.attempts FROM digests d
             WHERE d.dead_at IS NULL
               AND (d.last_sent_at IS NULL OR d.last_sent_at < $1)
               AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $2)
               AND EXISTS (SELECT 1 FROM digest_items i WHERE i.subject = d.subject AND i.sent_at IS NULL)
             ORDER BY d.subject LIMIT $3",
        )
        .bind(ts(sent_before))
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let mut due = Vec::new();
        for row in people {
            let subject = Subject(row.get("subject"));
            let Some(recipient) = self.recipient(&subject).await? else { continue };
            let items = sqlx::query(
                "SELECT notice FROM digest_items WHERE subject = $1 AND sent_at IS NULL ORDER BY queued_at, event_id",
            )
            .bind(subject.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
            let notices = items.iter().map(|r| from_json(r.get::<&str, _>("notice"))).collect::<Result<_, _>>()?;
            let attempts = u32::try_from(row.get::<i64, _>("attempts")).unwrap_or(u32::MAX);
            due.push(DueDigest { recipient, notices, attempts });
        }
        Ok(due)
    }

    async fn digest_sent(&self, subject: &Subject, events: &[EventId], at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for event in events {
            sqlx::query("UPDATE digest_items SET sent_at = $1 WHERE subject = $2 AND event_id = $3")
                .bind(ts(at))
                .bind(subject.as_str())
                .bind(event.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        sqlx::query(
            "UPDATE digests SET last_sent_at = $1, attempts = 0, next_attempt_at = NULL, last_error = NULL
             WHERE subject = $2",
        )
        .bind(ts(at))
        .bind(subject.as_str())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    async fn digest_failed(
        &self,
        subject: &Subject,
        error: &str,
        next: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE digests SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2,
             dead_at = CASE WHEN $1 IS NULL THEN $3 ELSE NULL END WHERE subject = $4",
        )
        .bind(next.map(ts))
        .bind(error.chars().take(1000).collect::<String>())
        .bind(ts(at))
        .bind(subject.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}
