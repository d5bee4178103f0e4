//! MLflow's JSON shapes shared by several endpoints, and the conversions every endpoint needs:
//! epoch milliseconds to times, and numbers that protobuf's JSON may send as strings (`"NaN"`, int64s).

use chrono::{DateTime, Utc};
use governance::experiment::{ExperimentError, MetricStep};
use serde::{Deserialize, Deserializer};

/// A param or tag.
#[derive(Debug, Deserialize)]
pub struct KeyValue {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// One logged metric value (`runs/get` data.metrics and `metrics/get-history`).
#[derive(Debug, Deserialize)]
pub struct Metric {
    pub key: String,
    #[serde(deserialize_with = "float")]
    pub value: f64,
    #[serde(deserialize_with = "integer")]
    pub timestamp: i64,
    /// Omitted by protobuf's JSON when it is the default, 0.
    #[serde(default, deserialize_with = "integer")]
    pub step: i64,
}

impl Metric {
    pub fn to_step(&self) -> Result<MetricStep, ExperimentError> {
        Ok(MetricStep { step: self.step, at: millis(self.timestamp)?, value: self.value })
    }
}

/// Epoch milliseconds, MLflow's time format.
pub fn millis(ms: i64) -> Result<DateTime<Utc>, ExperimentError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| ExperimentError::Malformed(format!("time {ms} out of range")))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Integer(i64),
    Float(f64),
    Text(String),
}

/// An int64, as a JSON number or a string of one.
pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match NumberOrString::deserialize(d)? {
        NumberOrString::Integer(i) => Ok(i),
        NumberOrString::Text(s) => s.parse().map_err(serde::de::Error::custom),
        NumberOrString::Float(f) => Err(serde::de::Error::custom(format!("expected an integer, got {f}"))),
    }
}

/// An optional int64 (absent or null when unset).
pub fn optional_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "integer")] i64);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(i)| i))
}

/// A double; protobuf's JSON writes the non-finite ones as `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match NumberOrString::deserialize(d)? {
        NumberOrString::Integer(i) => Ok(i as f64),
        NumberOrString::Float(f) => Ok(f),
        NumberOrString::Text(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => other.parse().map_err(serde::de::Error::custom),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_as_numbers_or_strings() {
        let m: Metric = serde_json::from_str(r#"{"key":"a","value":"NaN","timestamp":"1700000000000"}"#).unwrap();
        assert!(m.value.is_nan());
        assert_eq!((m.timestamp, m.step), (1_700_000_000_000, 0));
        let m: Metric = serde_json::from_str(r#"{"key":"a","value":3,"timestamp":1,"step":"7"}"#).unwrap();
        assert_eq!((m.value, m.step), (3.0, 7));
        assert!(serde_json::from_str::<Metric>(r#"{"key":"a","value":"x","timestamp":1}"#).is_err());
    }
}
