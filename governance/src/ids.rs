//! Identifiers. Opaque strings chosen by the adapters, validated where they come from outside.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::FieldError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_string())
            }
        }
    };
}

id_type!(
    /// A project's slug, e.g. `credit-risk`.
    ProjectId
);
id_type!(
    /// A model version in one registry (a Dev registry or the central registry).
    VersionId
);
id_type!(
    /// Who did something: a person's subject from the identity provider, or a machine's.
    Subject
);
id_type!(
    /// A promotion event's id (the envelope's `id`).
    EventId
);
id_type!(
    /// A recorded decision.
    DecisionId
);
id_type!(
    /// An integration test run reported by CI.
    TestRunId
);
id_type!(
    /// A review of a Prod version, opened by a sustained monitoring breach.
    ReviewId
);

/// Parses a slug: 1-63 lowercase letters, digits and dashes, starting with a letter.
pub fn parse_slug(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 63
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(value.to_string())
    } else {
        Err(FieldError::new(field, "must be 1-63 lowercase letters, digits or dashes, starting with a letter"))
    }
}

impl ProjectId {
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        parse_slug("project", value).map(Self)
    }
}

/// A model group's name, e.g. `churn-classifier`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ModelGroupName(pub String);

/// The longest name a registry gives a group: SageMaker's model package group names hold at most 63 characters,
/// and the central registry names a project's group `central-{project}-{group}`.
pub const MAX_REGISTRY_GROUP_NAME: usize = 63;

impl ModelGroupName {
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        parse_slug("model_group", value).map(Self)
    }

    /// Whether the group's name, with its project's, fits every registry the portal may run on (SageMaker's
    /// central group name `central-{project}-{group}` included).
    ///
    /// # Errors
    /// A [`FieldError`] on `model_group` saying how long it may be.
    pub fn fits_registries(&self, project: &ProjectId) -> Result<(), FieldError> {
        let central = format!("central-{}-{}", project.0, self.0);
        if central.len() > MAX_REGISTRY_GROUP_NAME {
            let room = MAX_REGISTRY_GROUP_NAME.saturating_sub("central-".len() + project.0.len() + 1);
            return Err(FieldError::new(
                "model_group",
                format!(
                    "is {} characters; in project {} it may have at most {room} (the registry names it {central}, and SageMaker allows {MAX_REGISTRY_GROUP_NAME})",
                    self.0.len(),
                    project.0
                ),
            ));
        }
        Ok(())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModelGroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_validated_with_the_field_named() {
        assert!(ProjectId::parse("credit-risk").is_ok());
        let err = ProjectId::parse("Credit Risk").unwrap_err();
        assert_eq!(err.field, "project");
        assert!(ModelGroupName::parse("").is_err());
        assert!(ModelGroupName::parse(&"a".repeat(64)).is_err());
        assert!(ModelGroupName::parse("9lives").is_err());
        // With its project, a group name must fit SageMaker's 63 characters as central-{project}-{group}.
        let project = ProjectId("credit-risk".into());
        assert!(ModelGroupName("g".repeat(43)).fits_registries(&project).is_ok());
        let err = ModelGroupName("g".repeat(44)).fits_registries(&project).unwrap_err();
        assert!(err.message.contains("at most 43"), "{}", err.message);
    }
}
