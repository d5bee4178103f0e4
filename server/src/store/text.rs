//! The one text form of times and JSON in either database, and how a database error reaches the caller.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use governance::ports::StoreError;

/// [`ts`], for tests that write rows directly.
pub fn ts_for_tests(at: DateTime<Utc>) -> String {
    ts(at)
}

/// The one text format of times in the database.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").map(|t| t.and_utc()))
        .map_err(|e| StoreError::Unavailable(format!("bad time {text:?} in the database: {e}")))
}

pub(crate) fn unavailable(e: sqlx::Error) -> StoreError {
    tracing::error!(error = %e, "sqlite error");
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn internal(e: impl std::fmt::Display) -> StoreError {
    tracing::error!(error = %e, "stored data could not be read or written");
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(internal)
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(internal)
}

/// Rounds a time to what the database keeps (milliseconds), so values read back compare equal.
pub fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(3)
}
