//! Monitoring on CloudWatch: SageMaker's own endpoint metrics (`AWS/SageMaker` ModelLatency, Invocations,
//! Invocation4XXErrors, Invocation5XXErrors per EndpointName and VariantName) and the series the portal's ingest
//! API pushes (Model Monitor drift and the like) in the portal's namespace, with a `ModelVersion` dimension.
//! A page costs a handful of calls: one `ListMetrics`, one `GetMetricData` per 500 queries, one `DescribeAlarms`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, DimensionFilter, Metric, MetricDataQuery, MetricDatum, MetricStat, Statistic,
};
use aws_sdk_cloudwatch::Client;
use chrono::{DateTime, Utc};
use governance::monitoring::{MonitoringPush, MonitoringSeries, Point};
use governance::ports::{Effects, Monitoring, RegistryJournal, StoreError};
use governance::VersionId;

use crate::error::store_error;

const SAGEMAKER: &str = "AWS/SageMaker";
/// GetMetricData takes at most 500 queries per call.
const MAX_QUERIES: usize = 500;

/// The endpoints (and their variants) a version is deployed to, from the portal's deployment requests.
#[async_trait]
pub trait Endpoints: Send + Sync {
    async fn endpoints(&self, version: &VersionId) -> Result<Vec<(String, Vec<String>)>, StoreError>;
}

/// The CloudWatch adapter of [`Monitoring`].
pub struct CloudWatchMonitoring {
    client: Client,
    namespace: String,
    latency_stats: Vec<String>,
    endpoints: Arc<dyn Endpoints>,
    /// Where a push's alarm events go (the outbox).
    journal: Arc<dyn RegistryJournal>,
}

/// One series to read: what to ask CloudWatch and how to name the answer.
struct Wanted {
    namespace: String,
    metric: String,
    stat: String,
    label: String,
    endpoint: String,
    variant: String,
    with_version: bool,
}

/// A period that keeps a chart under ~1,500 points: a minute for an hour, up to an hour for a month.
pub fn period_for(from: DateTime<Utc>, to: DateTime<Utc>) -> i32 {
    let seconds = (to - from).num_seconds().max(60);
    [60, 300, 900, 3600].into_iter().find(|p| seconds / i64::from(*p) <= 1500).unwrap_or(3600)
}

fn alarm_name(version: &VersionId, metric: &str, endpoint: &str, variant: &str) -> String {
    format!("portal-{version}-{metric}-{endpoint}-{variant}").chars().take(255).collect()
}

fn dims(endpoint: &str, variant: &str, version: Option<&VersionId>) -> Vec<Dimension> {
    let mut d = vec![
        Dimension::builder().name("EndpointName").value(endpoint).build(),
        Dimension::builder().name("VariantName").value(variant).build(),
    ];
    if let Some(v) = version {
        d.push(Dimension::builder().name("ModelVersion").value(v.as_str()).build());
    }
    d
}

fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_millis(t.timestamp_millis())
}

impl CloudWatchMonitoring {
    pub fn new(
        client: Client,
        namespace: String,
        latency_stats: Vec<String>,
        endpoints: Arc<dyn Endpoints>,
        journal: Arc<dyn RegistryJournal>,
    ) -> Self {
        Self { client, namespace, latency_stats, endpoints, journal }
    }

    /// The portal's own series of a version, from `ListMetrics` (all pages).
    async fn pushed(&self, version: &VersionId) -> Result<Vec<Wanted>, StoreError> {
        let mut out = Vec::new();
        // ListMetrics may name a metric more than once (the emulator does, once per datum).
        let mut seen = BTreeSet::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_metrics()
                .namespace(&self.namespace)
                .dimensions(DimensionFilter::builder().name("ModelVersion").value(version.as_str()).build())
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| store_error("cloudwatch:ListMetrics", &self.namespace, e))?;
            for m in page.metrics() {
                let dim = |n: &str| {
                    m.dimensions().iter().find(|d| d.name() == Some(n)).and_then(|d| d.value()).map(str::to_string)
                };
                let (Some(metric), Some(endpoint), Some(variant)) =
                    (m.metric_name(), dim("EndpointName"), dim("VariantName"))
                else {
                    continue;
                };
                if !seen.insert((metric.to_string(), endpoint.clone(), variant.clone())) {
                    continue;
                }
                out.push(Wanted {
                    namespace: self.namespace.clone(),
                    metric: metric.to_string(),
                    stat: "Maximum".into(), // peaks survive the period's aggregation
                    label: metric.to_string(),
                    endpoint,
                    variant,
                    with_version: true,
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    fn sagemaker_series(&self, endpoint: &str, variant: &str) -> Vec<Wanted> {
        let mut wanted: Vec<Wanted> = self
            .latency_stats
            .iter()
            .map(|stat| Wanted {
                namespace: SAGEMAKER.into(),
                metric: "ModelLatency".into(),
                stat: stat.clone(),
                label: format!("ModelLatency {stat}"),
                endpoint: endpoint.into(),
                variant: variant.into(),
                with_version: false,
            })
            .collect();
        for metric in ["Invocations", "Invocation4XXErrors", "Invocation5XXErrors"] {
            wanted.push(Wanted {
                namespace: SAGEMAKER.into(),
                metric: metric.into(),
                stat: "Sum".into(),
                label: metric.into(),
                endpoint: endpoint.into(),
                variant: variant.into(),
                with_version: false,
            });
        }
        wanted
    }

    /// Alarm thresholds of the version's series, by (metric, endpoint, variant).
    async fn thresholds(&self, version: &VersionId) -> Result<BTreeMap<(String, String, String), f64>, StoreError> {
        let mut out = BTreeMap::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .describe_alarms()
                .alarm_name_prefix(format!("portal-{version}-"))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| store_error("cloudwatch:DescribeAlarms", version.as_str(), e))?;
            for a in page.metric_alarms() {
                let dim = |n: &str| {
                    a.dimensions()
                        .iter()
                        .find(|d| d.name() == Some(n))
                        .and_then(|d| d.value())
                        .unwrap_or_default()
                        .to_string()
                };
                if let (Some(metric), Some(threshold)) = (a.metric_name(), a.threshold()) {
                    out.insert((metric.to_string(), dim("EndpointName"), dim("VariantName")), threshold);
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl Monitoring for CloudWatchMonitoring {
    async fn push(&self, version: &VersionId, push: MonitoringPush, effects: Effects) -> Result<(), StoreError> {
        // PutMetricData takes at most 1,000 datums per call.
        for chunk in push.points.chunks(1000) {
            let data = chunk
                .iter()
                .map(|p| {
                    MetricDatum::builder()
                        .metric_name(&push.metric)
                        .set_dimensions(Some(dims(&push.endpoint, &push.variant, Some(version))))
                        .timestamp(to_smithy(p.at))
                        .value(p.value)
                        .build()
                })
                .collect::<Vec<_>>();
            self.client
                .put_metric_data()
                .namespace(&self.namespace)
                .set_metric_data(Some(data))
                .send()
                .await
                .map_err(|e| store_error("cloudwatch:PutMetricData", &self.namespace, e))?;
        }
        if let Some(threshold) = push.threshold {
            self.client
                .put_metric_alarm()
                .alarm_name(alarm_name(version, &push.metric, &push.endpoint, &push.variant))
                .namespace(&self.namespace)
                .metric_name(&push.metric)
                .set_dimensions(Some(dims(&push.endpoint, &push.variant, Some(version))))
                .statistic(Statistic::Maximum)
                .period(60)
                .evaluation_periods(1)
                .threshold(threshold)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .send()
                .await
                .map_err(|e| store_error("cloudwatch:PutMetricAlarm", &push.metric, e))?;
        }
        self.journal.release(effects).await
    }

    async fn series(
        &self,
        version: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MonitoringSeries>, StoreError> {
        let mut wanted = self.pushed(version).await?;
        let mut seen = BTreeSet::new();
        for (endpoint, variants) in self.endpoints.endpoints(version).await? {
            for variant in variants {
                if seen.insert((endpoint.clone(), variant.clone())) {
                    wanted.extend(self.sagemaker_series(&endpoint, &variant));
                }
            }
        }
        if wanted.is_empty() {
            return Ok(vec![]);
        }
        let thresholds = self.thresholds(version).await?;
        let period = period_for(from, to);
        // Buckets aligned to whole periods (CloudWatch's advice, and the emulator counts buckets from the start
        // time); points outside the asked range are dropped below.
        let step = i64::from(period);
        let start = DateTime::from_timestamp(from.timestamp().div_euclid(step) * step, 0).unwrap_or(from);
        let mut points: Vec<Vec<Point>> = vec![Vec::new(); wanted.len()];
        for (chunk_index, chunk) in wanted.chunks(MAX_QUERIES).enumerate() {
            let queries = chunk
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let metric = Metric::builder()
                        .namespace(&w.namespace)
                        .metric_name(&w.metric)
                        .set_dimensions(Some(dims(&w.endpoint, &w.variant, w.with_version.then_some(version))))
                        .build();
                    MetricDataQuery::builder()
                        .id(format!("q{}", chunk_index * MAX_QUERIES + i))
                        .metric_stat(MetricStat::builder().metric(metric).period(period).stat(&w.stat).build())
                        .return_data(true)
                        .build()
                })
                .collect::<Vec<_>>();
            let mut token = None;
            loop {
                let out = self
                    .client
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries.clone()))
                    .start_time(to_smithy(start))
                    .end_time(to_smithy(to))
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| store_error("cloudwatch:GetMetricData", version.as_str(), e))?;
                for r in out.metric_data_results() {
                    let Some(index) = r.id().and_then(|id| id.strip_prefix('q')).and_then(|n| n.parse::<usize>().ok())
                    else {
                        continue;
                    };
                    let Some(series) = points.get_mut(index) else { continue };
                    for (t, v) in r.timestamps().iter().zip(r.values()) {
                        match DateTime::from_timestamp(t.secs(), t.subsec_nanos()) {
                            Some(at) if at >= from && at <= to => series.push(Point { at, value: *v }),
                            _ => {}
                        }
                    }
                }
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        let mut out: Vec<MonitoringSeries> = wanted
            .into_iter()
            .zip(points)
            .filter(|(w, p)| w.with_version || !p.is_empty())
            .map(|(w, mut p)| {
                p.sort_by_key(|p| p.at);
                p.dedup_by_key(|p| p.at);
                MonitoringSeries {
                    version: version.clone(),
                    threshold: thresholds.get(&(w.metric.clone(), w.endpoint.clone(), w.variant.clone())).copied(),
                    metric: w.label,
                    endpoint: w.endpoint,
                    variant: w.variant,
                    points: p,
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.metric, &a.endpoint, &a.variant).cmp(&(&b.metric, &b.endpoint, &b.variant)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn the_period_keeps_charts_small() {
        let to = Utc::now();
        assert_eq!(period_for(to - Duration::hours(1), to), 60);
        assert_eq!(period_for(to - Duration::days(1), to), 60);
        assert_eq!(period_for(to - Duration::days(7), to), 900);
        assert_eq!(period_for(to - Duration::days(30), to), 3600);
    }
}
