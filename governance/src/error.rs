//! The two kinds of "no" the domain gives: a refused action (with a reason a person can read) and an
//! invalid input (naming the field that was wrong).

use serde::{Deserialize, Serialize};

/// Why an action was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason}")]
pub struct Denial {
    pub code: DenialCode,
    pub reason: String,
}

/// Machine-readable kind of a [`Denial`]; the API returns it as the error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenialCode {
    NotSignedIn,
    MissingPersona,
    NotAwaitingDecision,
    JustificationRequired,
    StaleEvidence,
    GateUnmet,
    SeparationOfDuties,
    AlreadySigned,
    Forbidden,
}

impl DenialCode {
    /// The HTTP status a refusal of this kind maps to.
    pub fn http_status(self) -> u16 {
        match self {
            DenialCode::NotSignedIn => 401,
            DenialCode::StaleEvidence | DenialCode::NotAwaitingDecision => 409,
            DenialCode::JustificationRequired => 422,
            _ => 403,
        }
    }
}

impl Denial {
    pub fn new(code: DenialCode, reason: impl Into<String>) -> Self {
        Self { code, reason: reason.into() }
    }
}

/// An input value that was malformed, oversized or out of range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The name of the field as the person or client sent it.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Checks a free-text field: trimmed, non-empty when `required`, at most `max` characters.
pub fn text_field(field: &str, value: &str, required: bool, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("is longer than {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(value.to_string())
}
