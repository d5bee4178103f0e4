//! The filters of the audit and events pages as people type them (a form that is also a link, so every
//! filtered view can be bookmarked and exported), checked here once into the store's filters: a bad value is
//! an error that names the field, never an empty list that looks like "nothing happened".

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::display::percent_encode;
use crate::error::FieldError;
use crate::events::PromotionEvent;
use crate::path_events::PathEvent;
use crate::ports::{AuditFilter, DeliveryState, EventFilter};
use crate::{ProjectId, Subject, VersionId};

/// The longest value a filter field takes (ids, subjects and ARNs are all shorter).
const MAX_VALUE: usize = 300;

/// The audit page's filters, as sent (empty means "any").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    /// A day (`2026-12-07`, from its start) or an RFC 3339 time.
    #[serde(default)]
    pub from: Option<String>,
    /// A day (through its end) or an RFC 3339 time (before it).
    #[serde(default)]
    pub to: Option<String>,
}

/// The events page's filters, as sent (empty means "any").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    /// The `detail-type`, e.g. `ModelApproved`.
    #[serde(default, rename = "type")]
    pub detail_type: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// `Pending`, `Delivered` or `Dead`: events with a delivery in that state.
    #[serde(default)]
    pub delivery: Option<String>,
}

/// Every event type the portal emits (the events page's choices).
pub fn event_types() -> impl Iterator<Item = &'static str> {
    PromotionEvent::TYPES.into_iter().chain(PathEvent::TYPES)
}

/// A field's value: trimmed, `None` when empty, refused when longer than any id.
fn value<'a>(field: &str, v: &'a Option<String>) -> Result<Option<&'a str>, FieldError> {
    let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_VALUE {
        return Err(FieldError::new(field, format!("is longer than {MAX_VALUE} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(FieldError::new(field, "holds a control character"));
    }
    Ok(Some(v))
}

/// The start of a day, or a time.
fn instant(field: &str, v: &str, end_of_day: bool) -> Result<DateTime<Utc>, FieldError> {
    if let Ok(day) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let day = if end_of_day { day.succ_opt() } else { Some(day) };
        return day
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or_else(|| FieldError::new(field, format!("is past the last day the portal can count to: {v}")));
    }
    DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        FieldError::new(field, format!("is neither a day (2026-12-07) nor a time (2026-12-07T09:30:00Z): {v:?}"))
    })
}

impl AuditQuery {
    /// The store's filter.
    ///
    /// # Errors
    /// The first field that is malformed, or `to` before `from`.
    pub fn parse(&self) -> Result<AuditFilter, FieldError> {
        let action = value("action", &self.action)?;
        if let Some(a) = action {
            let shaped = a.split('.').all(|part| {
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            });
            if !shaped {
                return Err(FieldError::new(
                    "action",
                    format!("is not an action like decision.approve (or decision for all of them): {a:?}"),
                ));
            }
        }
        let from = value("from", &self.from)?.map(|v| instant("from", v, false)).transpose()?;
        let until = value("to", &self.to)?.map(|v| instant("to", v, true)).transpose()?;
        if let (Some(f), Some(u)) = (from, until) {
            if u <= f {
                return Err(FieldError::new("to", "is before from: no entry could match"));
            }
        }
        Ok(AuditFilter {
            project: value("project", &self.project)?.map(|p| ProjectId(p.to_string())),
            person: value("person", &self.person)?.map(|p| Subject(p.to_string())),
            action: action.map(str::to_string),
            from,
            until,
            up_to_seq: None,
        })
    }

    /// The query string that gives this filter back (for links to pages and exports of the same view).
    pub fn query_string(&self) -> String {
        let fields = [
            ("project", &self.project),
            ("person", &self.person),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ];
        encode(&fields)
    }
}

impl EventQuery {
    /// The store's filter.
    ///
    /// # Errors
    /// An event type the portal does not emit, a delivery state that does not exist, an overlong version.
    pub fn parse(&self) -> Result<EventFilter, FieldError> {
        let detail_type = value("type", &self.detail_type)?;
        if let Some(t) = detail_type {
            if !event_types().any(|known| known == t) {
                return Err(FieldError::new("type", format!("is not an event type the portal emits: {t:?}")));
            }
        }
        let delivery = value("delivery", &self.delivery)?
            .map(|d| {
                DeliveryState::parse(d).ok_or_else(|| {
                    FieldError::new("delivery", format!("is not a delivery state (Pending, Delivered or Dead): {d:?}"))
                })
            })
            .transpose()?;
        Ok(EventFilter {
            version: value("version", &self.version)?.map(|v| VersionId(v.to_string())),
            detail_type: detail_type.map(str::to_string),
            delivery,
        })
    }

    /// The query string that gives this filter back.
    pub fn query_string(&self) -> String {
        encode(&[("type", &self.detail_type), ("version", &self.version), ("delivery", &self.delivery)])
    }
}

/// `a=1&b=2` of the fields that have a value, percent-encoded.
fn encode(fields: &[(&str, &Option<String>)]) -> String {
    fields
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| format!("{k}={}", percent_encode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(project: &str, person: &str, action: &str, from: &str, to: &str) -> AuditQuery {
        let s = |v: &str| Some(v.to_string());
        AuditQuery { project: s(project), person: s(person), action: s(action), from: s(from), to: s(to) }
    }

    #[test]
    fn a_day_filters_from_its_start_through_its_end() {
        let f = q("credit-risk", " hugo ", "decision", "2026-12-01", "2026-12-01").parse().unwrap();
        assert_eq!(f.project, Some(ProjectId("credit-risk".into())));
        assert_eq!(f.person, Some(Subject("hugo".into())));
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-12-02T00:00:00+00:00");
        assert_eq!(AuditQuery::default().parse().unwrap(), AuditFilter::default());
    }

    #[test]
    fn each_bad_field_is_named() {
        let field = |query: AuditQuery| query.parse().unwrap_err().field;
        assert_eq!(field(q("", "", "Decision.Approve", "", "")), "action");
        assert_eq!(field(q("", "", "decision.", "", "")), "action");
        assert_eq!(field(q("", "", "a%", "", "")), "action");
        assert_eq!(field(q("", "", "", "yesterday", "")), "from");
        assert_eq!(field(q("", "", "", "", "2026-02-30")), "to");
        assert_eq!(field(q("", "", "", "2026-12-02", "2026-12-01")), "to");
        assert_eq!(field(q(&"p".repeat(301), "", "", "", "")), "project");
        assert_eq!(field(q("", "a\u{0}b", "", "", "")), "person");
        let events =
            |t: &str, d: &str| EventQuery { detail_type: Some(t.into()), version: None, delivery: Some(d.into()) };
        assert_eq!(events("ModelApprovedd", "").parse().unwrap_err().field, "type");
        assert_eq!(events("ModelApproved", "dead").parse().unwrap_err().field, "delivery");
        let ok = events("ModelApproved", "Dead").parse().unwrap();
        assert_eq!((ok.detail_type.as_deref(), ok.delivery), (Some("ModelApproved"), Some(DeliveryState::Dead)));
    }

    #[test]
    fn the_query_string_gives_the_filter_back() {
        let query = q("credit-risk", "dev:hugo & co", "", "2026-12-01", "");
        assert_eq!(query.query_string(), "project=credit-risk&person=dev%3Ahugo%20%26%20co&from=2026-12-01");
    }
}
