//! Telling people that something awaits them: which promotion events await whose decision, and the digest a
//! person is mailed. Delivery (SMTP, the chat webhook) is the server's; what is said, and to whom, is here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{EventEnvelope, PromotionEvent, VersionRef};
use crate::{EventId, Persona, ProjectId, Stage, Subject};

/// Something that awaits the decision of a project's people of one persona.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub event: EventId,
    pub project: ProjectId,
    /// Who decides it.
    pub persona: Persona,
    /// One line: "pd-model v3 awaits its Prod sign-off".
    pub title: String,
    /// Where it is decided, a path of the portal: "/versions/mv-…".
    pub path: String,
    /// Who caused it: not told about their own step.
    pub by: Option<Subject>,
    pub at: DateTime<Utc>,
}

fn label(model: &VersionRef) -> String {
    format!("{} v{}", model.model_group, model.version_number)
}

/// The notice of an event that puts something in someone's inbox; `None` for the others (a rejection, a
/// deployment status, a decided review: nobody has to act on them).
pub fn notice_for(envelope: &EventEnvelope) -> Option<Notice> {
    let event = PromotionEvent::from_envelope(envelope)?;
    let model = event.model().clone();
    let v = label(&model);
    let (persona, title, anchor, by) = match event {
        PromotionEvent::ModelVersionRegistered { registered_by, .. } => {
            (Persona::DataScientist, format!("{v} awaits its Dev approval"), "#decisions", Some(registered_by))
        }
        PromotionEvent::ModelCopiedToCentral { .. } => {
            (Persona::AiEngineer, format!("{v} awaits its Test approval"), "#decisions", None)
        }
        PromotionEvent::ModelApproved { stage: Stage::Test, approved_by, .. } => {
            (Persona::GovernanceEngineer, format!("{v} awaits its Prod sign-off"), "#decisions", Some(approved_by))
        }
        PromotionEvent::ProdSignoffRecorded { signed, required, signed_by, .. } => (
            Persona::GovernanceEngineer,
            format!("{v} has Prod sign-off {signed} of {required}: it awaits another Governance Engineer"),
            "#decisions",
            Some(signed_by),
        ),
        PromotionEvent::ReviewOpened { metric, endpoint, variant, threshold, reopened, .. } => (
            Persona::GovernanceEngineer,
            format!(
                "{v}: a review {} ({metric} on {endpoint}/{variant} over {} for the project's window)",
                if reopened > 0 { "re-opened" } else { "opened" },
                crate::display::number(threshold)
            ),
            "#production",
            None,
        ),
        PromotionEvent::RecertificationDue { due_at, .. } => (
            Persona::GovernanceEngineer,
            format!("{v}: its Prod sign-off is due for re-certification on {}", due_at.format("%Y-%m-%d")),
            "#production",
            None,
        ),
        PromotionEvent::RollbackSignoffRecorded { rolled_back_to, signed, required, signed_by, .. } => (
            Persona::GovernanceEngineer,
            format!(
                "{v}: a rollback to v{} has sign-off {signed} of {required}: it awaits another Governance Engineer",
                rolled_back_to.version_number
            ),
            "#production",
            Some(signed_by),
        ),
        PromotionEvent::ModelRecertified { signed, required, recertified_by, .. } if signed < required => (
            Persona::GovernanceEngineer,
            format!("{v}: re-certification sign-off {signed} of {required}: it awaits another Governance Engineer"),
            "#production",
            Some(recertified_by),
        ),
        _ => return None,
    };
    Some(Notice {
        event: envelope.id.clone(),
        project: model.project.clone(),
        persona,
        title,
        path: format!("/versions/{}{anchor}", model.version_id),
        by,
        at: envelope.time,
    })
}

/// A person the portal can tell: who they are, where mail reaches them, and their personas per project (as
/// their last sign-in gave them, or the development directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub subject: Subject,
    pub display_name: String,
    pub email: Option<String>,
    pub memberships: BTreeMap<ProjectId, BTreeSet<Persona>>,
    /// Projects this person muted: nothing of them is mailed.
    pub muted: BTreeSet<ProjectId>,
}

impl Recipient {
    /// A person as a sign-in describes them; an address that is not plainly one is dropped (nothing is
    /// mailed to it). Their mutes are kept where they are.
    pub fn signed_in(principal: &crate::Principal, email: Option<&str>) -> Recipient {
        Recipient {
            subject: principal.subject.clone(),
            display_name: principal.display_name.clone(),
            email: email.and_then(email_address),
            memberships: principal.memberships.clone(),
            muted: BTreeSet::new(),
        }
    }

    /// Whether this person is told of `notice`: they decide it, did not cause it, and did not mute its project.
    pub fn is_told(&self, notice: &Notice) -> bool {
        self.memberships.get(&notice.project).is_some_and(|p| p.contains(&notice.persona))
            && notice.by.as_ref() != Some(&self.subject)
            && !self.muted.contains(&notice.project)
    }
}

/// The longest an address may be (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// An e-mail address as the identity provider gives it, kept only when it is plainly one address (no display
/// name, no list, no line break): what is stored is what the mail goes to.
pub fn email_address(value: &str) -> Option<String> {
    let value = value.trim();
    let (local, domain) = value.split_once('@')?;
    let plain = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._+-'".contains(c)) && !s.starts_with('.')
    };
    (value.len() <= MAX_EMAIL && plain(local) && plain(domain) && domain.contains('.')).then(|| value.to_string())
}

/// The digest mailed to a person: what awaits them, oldest first, each with its link, and the inbox's.
pub fn digest(person: &Recipient, notices: &[Notice], origin: &str) -> (String, String) {
    let origin = origin.trim_end_matches('/');
    let subject = match notices.len() {
        1 => "1 item awaits you in the governance portal".to_string(),
        n => format!("{n} items await you in the governance portal"),
    };
    let mut body = format!("Hello {},\n\nThese await your decision:\n\n", person.display_name);
    for n in notices {
        body.push_str(&format!("- [{}] {}\n  {origin}{}\n", n.project, n.title, n.path));
    }
    body.push_str(&format!(
        "\nYour inbox: {origin}/inbox\nMute a project's mail: {origin}/notifications\n\n\
         One digest per interval; nothing is mailed while nothing new awaits you.\n"
    ));
    (subject, body)
}

/// The chat message (Slack-compatible incoming-webhook JSON) of a notice.
pub fn chat_message(notice: &Notice, origin: &str) -> serde_json::Value {
    let url = format!("{}{}", origin.trim_end_matches('/'), notice.path);
    let who = match notice.persona {
        Persona::DataScientist => "Data Scientists",
        Persona::AiEngineer => "AI Engineers",
        Persona::GovernanceEngineer => "Governance Engineers",
        Persona::Admin => "Admins",
    };
    serde_json::json!({
        // Both are read as mrkdwn: a metric name CI pushed as `<!channel>` must not ping anyone.
        "text": format!("[{}] {} ({who}): {url}", notice.project, escape_mrkdwn(&notice.title)),
        "blocks": [{
            "type": "section",
            "text": { "type": "mrkdwn", "text": format!("*{}* · {who}\n<{url}|{}>", notice.project, escape_mrkdwn(&notice.title)) },
        }],
    })
}

/// Slack's mrkdwn control characters, escaped as its documentation says.
fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_address_is_kept() {
        assert_eq!(email_address(" hugo@example.com "), Some("hugo@example.com".into()));
        for bad in [
            "hugo",
            "Hugo <hugo@example.com>",
            "a@b.c, x@y.z",
            "hugo@example.com\r\nBcc: all@example.com",
            "@example.com",
            "hugo@localhost",
            &format!("{}@example.com", "a".repeat(250)),
        ] {
            assert_eq!(email_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_chat_message_escapes_markup() {
        let notice = Notice {
            event: EventId("evt-1".into()),
            project: ProjectId("p".into()),
            persona: Persona::GovernanceEngineer,
            title: "<!channel> & co".into(),
            path: "/versions/mv-1#production".into(),
            by: None,
            at: DateTime::UNIX_EPOCH,
        };
        let message = chat_message(&notice, "https://portal.example/");
        let text = message["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(text.contains("&lt;!channel&gt; &amp; co"), "{text}");
        assert!(text.contains("<https://portal.example/versions/mv-1#production|"), "{text}");
        let plain = message["text"].as_str().unwrap();
        assert!(plain.contains("&lt;!channel&gt; &amp; co") && !plain.contains("<!channel>"), "{plain}");
    }
}
