//! Governed data access: catalog datasets with their producer, and projects' subscriptions to them.
//!
//! A data scientist requests a subscription for a project; the dataset's producer approves or rejects it;
//! an approved subscription can be revoked. A project's model lineage may only name catalog datasets it is
//! subscribed to ([`unsubscribed`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::text_field;
use crate::{Denial, DenialCode, FieldError, Persona, Principal, ProjectId, Subject};

/// A dataset's slug, e.g. `loan-applications`.
pub type DatasetId = String;

/// How sensitive a dataset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Classification {
    Public,
    Internal,
    Confidential,
    Restricted,
}

impl Classification {
    pub const ALL: [Classification; 4] =
        [Classification::Public, Classification::Internal, Classification::Confidential, Classification::Restricted];
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Public => "Public",
            Classification::Internal => "Internal",
            Classification::Confidential => "Confidential",
            Classification::Restricted => "Restricted",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text.trim())
    }
}

/// A dataset of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: DatasetId,
    pub name: String,
    /// Who owns the data and decides who may use it.
    pub producer: Subject,
    pub description: String,
    pub classification: Classification,
    /// `glue://database.table` or `s3://bucket/prefix/`.
    pub location: String,
    /// One `column: type` per line.
    pub schema: String,
}

/// A dataset as the producer's form sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetInput {
    pub id: String,
    pub name: String,
    pub description: String,
    pub classification: String,
    pub location: String,
    pub schema: String,
}

impl DatasetInput {
    /// Checks every field, naming the first that is wrong.
    pub fn parse(&self, producer: Subject) -> Result<Dataset, FieldError> {
        let id = crate::ids::parse_slug("id", &self.id)?;
        let name = text_field("name", &self.name, true, 120)?;
        let description = text_field("description", &self.description, false, 2000)?;
        let classification = Classification::parse(&self.classification)
            .ok_or_else(|| FieldError::new("classification", "must be Public, Internal, Confidential or Restricted"))?;
        let location = text_field("location", &self.location, true, 512)?;
        let glue = location.strip_prefix("glue://").is_some_and(|t| {
            let mut parts = t.split('.');
            matches!((parts.next(), parts.next(), parts.next()), (Some(d), Some(t), None) if !d.is_empty() && !t.is_empty())
        });
        let s3 = location.strip_prefix("s3://").is_some_and(|t| t.split('/').next().is_some_and(|b| b.len() >= 3));
        if !(glue || s3) || location.contains(char::is_whitespace) {
            return Err(FieldError::new(
                "location",
                "must be a Glue table (glue://database.table) or an S3 prefix (s3://bucket/prefix/)",
            ));
        }
        let schema = text_field("schema", &self.schema, true, 8000)?;
        for (i, line) in schema.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let ok = line.split_once(':').is_some_and(|(c, t)| !c.trim().is_empty() && !t.trim().is_empty());
            if !ok {
                return Err(FieldError::new(
                    "schema",
                    format!("line {} is not 'column: type': {}", i + 1, line.trim()),
                ));
            }
        }
        Ok(Dataset { id, name, producer, description, classification, location, schema })
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscriptionStatus {
    Requested,
    Approved,
    Rejected,
    Revoked,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Requested => "Requested",
            SubscriptionStatus::Approved => "Approved",
            SubscriptionStatus::Rejected => "Rejected",
            SubscriptionStatus::Revoked => "Revoked",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Requested, Self::Approved, Self::Rejected, Self::Revoked].into_iter().find(|s| s.as_str() == text)
    }
}

/// A project's request to use a dataset, and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub dataset: DatasetId,
    pub project: ProjectId,
    pub requested_by: Subject,
    pub justification: String,
    pub status: SubscriptionStatus,
    pub decided_by: Option<Subject>,
    /// The producer's reason (approve or reject), or the revoker's.
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Whether `principal` may move `subscription` to `to`, and from which status it moves: the producer
/// approves or rejects a request (an Admin, when the producer asked for her own data, so a second person always
/// signs); the requester never approves her own request but may withdraw it by rejecting it; the producer or a
/// Data Scientist of the project revokes an approved subscription.
///
/// # Errors
/// A [`Denial`] naming who may, or a [`FieldError`] (as a denial's reason) for a status nobody can move to.
pub fn may_decide(
    principal: &Principal,
    subscription: &Subscription,
    dataset: &Dataset,
    to: SubscriptionStatus,
) -> Result<SubscriptionStatus, Denial> {
    let producer = dataset.producer == principal.subject;
    let requester = subscription.requested_by == principal.subject;
    let own_data = dataset.producer == subscription.requested_by;
    let from = match to {
        SubscriptionStatus::Approved if requester => {
            return Err(Denial::new(
                DenialCode::SeparationOfDuties,
                "Separation of duties: you requested this access, so someone else must approve it (an Admin, when you produce the dataset yourself).",
            ))
        }
        SubscriptionStatus::Approved | SubscriptionStatus::Rejected => {
            let may = if own_data { principal.admin } else { producer };
            if !(may || requester) {
                let who = if own_data {
                    "an Admin (the producer requested it)".to_string()
                } else {
                    format!("the dataset's producer ({})", dataset.producer)
                };
                return Err(Denial::new(DenialCode::Forbidden, format!("Only {who} may decide this request.")));
            }
            SubscriptionStatus::Requested
        }
        SubscriptionStatus::Revoked => {
            if !producer && !principal.has(&subscription.project, Persona::DataScientist) {
                return Err(Denial::new(
                    DenialCode::Forbidden,
                    format!("Only the dataset's producer or a Data Scientist of {} may revoke it.", subscription.project),
                ));
            }
            SubscriptionStatus::Approved
        }
        SubscriptionStatus::Requested => {
            return Err(Denial::new(DenialCode::Forbidden, "A decision is Approved, Rejected or Revoked."))
        }
    };
    if subscription.status != from {
        return Err(Denial::new(
            DenialCode::NotAwaitingDecision,
            format!("This subscription is {}, so it cannot become {}.", subscription.status.as_str(), to.as_str()),
        ));
    }
    Ok(from)
}

/// A location as compared: an S3 prefix always ends with `/`, so `s3://lake/loans` and `s3://lake/loans/` are
/// one location and `s3://lake/loans-raw/` is another.
fn normalized(location: &str) -> String {
    let location = location.trim();
    if location.starts_with("s3://") && !location.ends_with('/') {
        format!("{location}/")
    } else {
        location.to_string()
    }
}

/// Whether `location` (a dataset's) covers `entry` (a lineage entry or another location): the same location,
/// or one under it at a path boundary.
pub fn covers(location: &str, entry: &str) -> bool {
    let (location, entry) = (normalized(location), normalized(entry));
    if entry == location {
        return true;
    }
    let boundary = if location.ends_with('/') { location.clone() } else { format!("{location}/") };
    entry.starts_with(&boundary)
}

/// Whether a lineage entry names a dataset: its id, or a location the dataset's location covers.
pub fn references(entry: &str, dataset: &Dataset) -> bool {
    let entry = entry.trim();
    entry == dataset.id || covers(&dataset.location, entry)
}

/// The dataset a lineage entry names: by id, else the most specific dataset whose location covers it.
pub fn dataset_of<'a>(entry: &str, catalog: &'a [Dataset]) -> Option<&'a Dataset> {
    let entry = entry.trim();
    catalog
        .iter()
        .find(|d| d.id == entry)
        .or_else(|| catalog.iter().filter(|d| covers(&d.location, entry)).max_by_key(|d| normalized(&d.location).len()))
}

/// Another producer's dataset whose location overlaps `dataset`'s (the same, inside it, or around it): a
/// location belongs to one producer, so nobody registers a dataset at or within data someone else owns.
pub fn location_taken<'a>(dataset: &Dataset, catalog: &'a [Dataset]) -> Option<&'a Dataset> {
    catalog.iter().find(|other| {
        other.id != dataset.id
            && (other.producer != dataset.producer || normalized(&other.location) == normalized(&dataset.location))
            && (covers(&other.location, &dataset.location) || covers(&dataset.location, &other.location))
    })
}

/// The lineage entries that name a catalog dataset the project holds no approved subscription to.
pub fn unsubscribed<'a>(
    training_data: &'a [String],
    catalog: &[Dataset],
    subscriptions: &[Subscription],
) -> Vec<(&'a str, DatasetId)> {
    training_data
        .iter()
        .filter_map(|entry| {
            let dataset = dataset_of(entry, catalog)?;
            let subscribed =
                subscriptions.iter().any(|s| s.dataset == dataset.id && s.status == SubscriptionStatus::Approved);
            (!subscribed).then(|| (entry.as_str(), dataset.id.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DatasetInput {
        DatasetInput {
            id: "loan-applications".into(),
            name: "Loan applications".into(),
            description: "Curated".into(),
            classification: "Confidential".into(),
            location: "glue://curated.loan_applications".into(),
            schema: "applicant_id: string\nincome: double".into(),
        }
    }

    #[test]
    fn datasets_are_checked_field_by_field() {
        let d = input().parse("dana".into()).unwrap();
        assert_eq!(d.classification, Classification::Confidential);
        for (change, field) in [
            (DatasetInput { id: "Loans!".into(), ..input() }, "id"),
            (DatasetInput { name: "".into(), ..input() }, "name"),
            (DatasetInput { classification: "Secret".into(), ..input() }, "classification"),
            (DatasetInput { location: "https://example.com".into(), ..input() }, "location"),
            (DatasetInput { location: "glue://nodot".into(), ..input() }, "location"),
            (DatasetInput { schema: "just words".into(), ..input() }, "schema"),
        ] {
            assert_eq!(change.parse("dana".into()).unwrap_err().field, field);
        }
        assert!(DatasetInput { location: "s3://lake/loans/".into(), ..input() }.parse("dana".into()).is_ok());
    }

    #[test]
    fn lineage_may_only_name_subscribed_catalog_datasets() {
        let d = DatasetInput { location: "s3://lake/loans/".into(), ..input() }.parse("p".into()).unwrap();
        let sub = |status| Subscription {
            id: "s1".into(),
            dataset: d.id.clone(),
            project: "credit-risk".into(),
            requested_by: "dana".into(),
            justification: "x".into(),
            status,
            decided_by: None,
            reason: String::new(),
            requested_at: DateTime::UNIX_EPOCH,
            decided_at: None,
        };
        let lineage = vec!["s3://lake/loans/2026-11/".to_string(), "s3://elsewhere/x".to_string()];
        let catalog = vec![d.clone()];
        assert_eq!(unsubscribed(&lineage, &catalog, &[]).len(), 1);
        assert_eq!(unsubscribed(&lineage, &catalog, &[sub(SubscriptionStatus::Requested)]).len(), 1);
        assert!(unsubscribed(&lineage, &catalog, &[sub(SubscriptionStatus::Approved)]).is_empty());
        assert_eq!(unsubscribed(&lineage, &catalog, &[sub(SubscriptionStatus::Revoked)]).len(), 1);
        // A prefix at no path boundary is another location.
        assert!(unsubscribed(&["s3://lake/loans-raw/x".to_string()], &catalog, &[]).is_empty());
    }

    #[test]
    fn who_may_decide_a_subscription_request() {
        use std::collections::{BTreeMap, BTreeSet};
        use SubscriptionStatus::*;
        let person = |who: &str, ds_of: Option<&str>, admin: bool| {
            let grants: BTreeMap<ProjectId, BTreeSet<Persona>> =
                ds_of.map(|p| (ProjectId(p.into()), BTreeSet::from([Persona::DataScientist]))).into_iter().collect();
            let mut p = Principal::from_grants(Subject(who.into()), who, grants);
            p.admin = admin;
            p
        };
        let dataset = |producer: &str| DatasetInput { ..input() }.parse(producer.into()).unwrap();
        let sub = |by: &str, status| Subscription {
            id: "s1".into(),
            dataset: "loan-applications".into(),
            project: "credit-risk".into(),
            requested_by: by.into(),
            justification: "x".into(),
            status,
            decided_by: None,
            reason: String::new(),
            requested_at: DateTime::UNIX_EPOCH,
            decided_at: None,
        };
        let paula = person("paula", None, false);
        let dana = person("dana", Some("credit-risk"), false);
        let ada = person("ada", None, true);
        let other = person("olga", Some("policy-search"), false);
        // (who, producer, requester, status now, to, allowed)
        let cases = [
            (&paula, "paula", "dana", Requested, Approved, true),
            (&paula, "paula", "dana", Requested, Rejected, true),
            (&dana, "paula", "dana", Requested, Approved, false), // requester approving
            (&dana, "paula", "dana", Requested, Rejected, true),  // requester withdrawing
            (&ada, "paula", "dana", Requested, Approved, false),  // an Admin is not the producer
            (&other, "paula", "dana", Requested, Approved, false),
            (&dana, "dana", "dana", Requested, Approved, false), // her own data, her own request
            (&ada, "dana", "dana", Requested, Approved, true),   // then an Admin decides
            (&paula, "paula", "dana", Approved, Revoked, true),
            (&dana, "paula", "dana", Approved, Revoked, true), // a Data Scientist of the project
            (&other, "paula", "dana", Approved, Revoked, false),
            (&paula, "paula", "dana", Approved, Approved, false), // not awaiting
            (&paula, "paula", "dana", Requested, Revoked, false),
        ];
        for (who, producer, by, now, to, allowed) in cases {
            let got = may_decide(who, &sub(by, now), &dataset(producer), to);
            assert_eq!(
                got.is_ok(),
                allowed,
                "{} {now:?} -> {to:?} (producer {producer}, by {by}): {got:?}",
                who.subject
            );
        }
    }

    #[test]
    fn lineage_names_the_most_specific_dataset_and_locations_belong_to_one_producer() {
        let at = |id: &str, producer: &str, location: &str| {
            DatasetInput { id: id.into(), location: location.into(), ..input() }.parse(producer.into()).unwrap()
        };
        let lake = at("lake", "paula", "s3://lake/");
        let loans = at("loans", "paula", "s3://lake/loans/");
        let catalog = vec![lake.clone(), loans.clone()];
        assert_eq!(dataset_of("s3://lake/loans/2026/part-0", &catalog).map(|d| d.id.as_str()), Some("loans"));
        assert_eq!(dataset_of("s3://lake/other/x", &catalog).map(|d| d.id.as_str()), Some("lake"));
        assert_eq!(dataset_of("glue://curated.x", &catalog), None);
        // Another producer may not take the same location, one inside it, or one around it.
        for location in ["s3://lake/loans", "s3://lake/loans/2026/", "s3://"] {
            let mine = DatasetInput { id: "mine".into(), location: location.into(), ..input() }.parse("dana".into());
            if let Ok(mine) = mine {
                assert_eq!(location_taken(&mine, &catalog).map(|d| d.producer.as_str()), Some("paula"), "{location}");
            }
        }
        // Its own producer nests datasets, but never two at one location.
        assert!(location_taken(&at("loans-2026", "paula", "s3://lake/loans/2026/"), &catalog).is_none());
        assert_eq!(
            location_taken(&at("again", "paula", "s3://lake/loans"), &catalog).map(|d| d.id.as_str()),
            Some("loans")
        );
        let glue = at("apps", "paula", "glue://curated.loan_applications");
        assert!(location_taken(
            &at("apps2", "dana", "glue://curated.loan_applications_v2"),
            std::slice::from_ref(&glue)
        )
        .is_none());
        assert!(location_taken(&at("apps3", "dana", "glue://curated.loan_applications"), &[glue]).is_some());
    }
}
