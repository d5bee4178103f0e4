//! The monitoring port's contract: pushed points read back per series (metric, endpoint, variant) within the
//! asked range, with the series' threshold, and nothing of another version.

use chrono::{DateTime, Duration, DurationRound, Utc};
use governance::monitoring::{MonitoringPush, Point};
use governance::ports::{Effects, Monitoring};
use governance::VersionId;

/// Whole minutes in the last hour: one point per CloudWatch period, so every adapter gives them back as pushed.
pub fn minutes_ago(now: DateTime<Utc>, minutes: &[i64]) -> Vec<DateTime<Utc>> {
    let base = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    minutes.iter().map(|m| base - Duration::minutes(*m)).collect()
}

pub async fn check_all(monitoring: &dyn Monitoring, version: &VersionId, other: &VersionId) {
    let now = Utc::now();
    let times = minutes_ago(now, &[30, 20, 10]);
    let drift = MonitoringPush {
        metric: "feature_drift_psi".into(),
        endpoint: "conformance-test-1".into(),
        variant: "champion".into(),
        threshold: Some(0.2),
        points: times.iter().zip([0.05, 0.31, 0.12]).map(|(at, value)| Point { at: *at, value }).collect(),
    };
    let errors = MonitoringPush {
        metric: "prediction_drift".into(),
        endpoint: "conformance-test-1".into(),
        variant: "challenger".into(),
        threshold: None,
        points: vec![Point { at: times[1], value: 0.5 }],
    };
    monitoring.push(version, drift.clone(), Effects::default()).await.expect("push");
    monitoring.push(version, errors.clone(), Effects::default()).await.expect("push");
    let noise = MonitoringPush { points: vec![Point { at: times[0], value: 9.0 }], ..drift.clone() };
    monitoring.push(other, noise, Effects::default()).await.expect("push other");

    let series = monitoring.series(version, now - Duration::hours(1), now).await.expect("series");
    let keys: Vec<(&str, &str)> = series.iter().map(|s| (s.metric.as_str(), s.variant.as_str())).collect();
    assert_eq!(
        keys,
        [("feature_drift_psi", "champion"), ("prediction_drift", "challenger")],
        "one series per metric and variant, ordered"
    );
    let psi = &series[0];
    assert_eq!(psi.points, drift.points, "points as pushed, in time order");
    assert_eq!(psi.threshold, Some(0.2));
    assert_eq!(psi.breaches().count(), 1);
    assert_eq!(series[1].threshold, None);
    assert!(series.iter().all(|s| &s.version == version && s.endpoint == "conformance-test-1"));

    let recent = monitoring.series(version, times[1] + Duration::seconds(30), now).await.expect("series");
    let psi = recent.iter().find(|s| s.metric == "feature_drift_psi").expect("the series");
    assert_eq!(psi.points.iter().map(|p| p.at).collect::<Vec<_>>(), [times[2]], "only points inside the range");
}
