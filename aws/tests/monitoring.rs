//! CloudWatch monitoring on the emulator: the monitoring conformance suite the embedded store passes, and
//! SageMaker's endpoint metrics per variant. The emulator answers percentile statistics with a 500, so the
//! percentile query is checked against a recorded CloudWatch answer instead.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use chrono::{Duration, Utc};
use common::journal::MemoryJournal;
use common::Moto;
use governance::ports::{Monitoring, StoreError};
use governance::VersionId;
use portal_aws::{CloudWatchMonitoring, Endpoints};

/// The version is deployed to one endpoint with two A/B variants.
struct Deployed(Vec<(String, Vec<String>)>);

#[async_trait]
impl Endpoints for Deployed {
    async fn endpoints(&self, _version: &VersionId) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        Ok(self.0.clone())
    }
}

fn monitoring(config: &aws_config::SdkConfig, stats: &[&str], deployed: Deployed) -> CloudWatchMonitoring {
    CloudWatchMonitoring::new(
        aws_sdk_cloudwatch::Client::new(config),
        "MLPortal/Monitoring".into(),
        stats.iter().map(|s| s.to_string()).collect(),
        Arc::new(deployed),
        Arc::new(MemoryJournal::default()),
    )
}

#[tokio::test]
async fn cloudwatch_passes_the_monitoring_conformance_suite() {
    let moto = Moto::start();
    let cw = monitoring(&moto.config().await, &["Average"], Deployed(vec![]));
    portal_conformance::monitoring::check_all(
        &cw,
        &VersionId("central.credit-risk.pd-model.1".into()),
        &VersionId("central.credit-risk.pd-model.2".into()),
    )
    .await;
}

#[tokio::test]
async fn sagemaker_endpoint_metrics_are_read_per_variant() {
    let moto = Moto::start();
    let config = moto.config().await;
    let client = aws_sdk_cloudwatch::Client::new(&config);
    let times = portal_conformance::monitoring::minutes_ago(Utc::now(), &[3, 2, 1]);
    // What SageMaker itself writes for an endpoint's variants.
    for (variant, latency) in [("champion", 20_000.0), ("challenger", 35_000.0)] {
        let data = times
            .iter()
            .flat_map(|t| {
                let at = aws_smithy_types::DateTime::from_millis(t.timestamp_millis());
                let dims = vec![
                    Dimension::builder().name("EndpointName").value("pd-model-prod-1").build(),
                    Dimension::builder().name("VariantName").value(variant).build(),
                ];
                [("ModelLatency", latency), ("Invocations", 100.0), ("Invocation5XXErrors", 1.0)].map(
                    |(name, value)| {
                        MetricDatum::builder()
                            .metric_name(name)
                            .set_dimensions(Some(dims.clone()))
                            .timestamp(at)
                            .value(value)
                            .build()
                    },
                )
            })
            .collect::<Vec<_>>();
        client.put_metric_data().namespace("AWS/SageMaker").set_metric_data(Some(data)).send().await.expect("put");
    }
    let deployed = Deployed(vec![("pd-model-prod-1".into(), vec!["champion".into(), "challenger".into()])]);
    let cw = monitoring(&config, &["Average", "Maximum"], deployed);
    let now = Utc::now();
    let series = cw
        .series(&VersionId("central.credit-risk.pd-model.1".into()), now - Duration::hours(1), now)
        .await
        .expect("series");
    let names: Vec<(String, String)> = series.iter().map(|s| (s.metric.clone(), s.variant.clone())).collect();
    for variant in ["champion", "challenger"] {
        for metric in ["ModelLatency Average", "ModelLatency Maximum", "Invocations", "Invocation5XXErrors"] {
            assert!(names.contains(&(metric.into(), variant.into())), "{metric} of {variant} in {names:?}");
        }
    }
    assert!(!names.iter().any(|(m, _)| m == "Invocation4XXErrors"), "a metric without data is left out");
    let latency =
        series.iter().find(|s| s.metric == "ModelLatency Average" && s.variant == "challenger").expect("latency");
    assert_eq!(latency.points.iter().map(|p| p.value).collect::<Vec<_>>(), [35_000.0; 3]);
}

/// The percentile statistics (p50, p99) as CloudWatch answers them, recorded: the emulator cannot.
#[tokio::test]
async fn latency_percentiles_are_asked_for_and_read_back() {
    let answer = |body: &str| {
        http::Response::builder()
            .status(200)
            .header("content-type", "text/xml")
            .body(SdkBody::from(body.to_string()))
            .expect("response")
    };
    let request = || {
        http::Request::builder()
            .uri("https://monitoring.us-east-1.amazonaws.com/")
            .body(SdkBody::empty())
            .expect("request")
    };
    let list = r#"<ListMetricsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ListMetricsResult><Metrics/></ListMetricsResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListMetricsResponse>"#;
    let alarms = r#"<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/></DescribeAlarmsResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></DescribeAlarmsResponse>"#;
    let data = r#"<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricDataResult><MetricDataResults>
<member><Id>q0</Id><Label>p50</Label><Timestamps><member>2026-11-26T10:01:00Z</member><member>2026-11-26T10:00:00Z</member></Timestamps><Values><member>18000.0</member><member>17500.0</member></Values><StatusCode>Complete</StatusCode></member>
<member><Id>q1</Id><Label>p99</Label><Timestamps><member>2026-11-26T10:00:00Z</member></Timestamps><Values><member>91000.0</member></Values><StatusCode>Complete</StatusCode></member>
</MetricDataResults><Messages/></GetMetricDataResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></GetMetricDataResponse>"#;
    let replay = StaticReplayClient::new(vec![
        ReplayEvent::new(request(), answer(list)),
        ReplayEvent::new(request(), answer(alarms)),
        ReplayEvent::new(request(), answer(data)),
    ]);
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_sdk_sagemaker::config::Credentials::new("a", "b", None, None, "static"),
        ))
        .http_client(replay.clone())
        .build();
    let cw =
        monitoring(&config, &["p50", "p99"], Deployed(vec![("pd-model-prod-1".into(), vec!["AllTraffic".into()])]));
    let to = chrono::DateTime::parse_from_rfc3339("2026-11-26T11:00:00Z").expect("time").with_timezone(&Utc);
    let series = cw
        .series(&VersionId("central.credit-risk.pd-model.1".into()), to - Duration::hours(1), to)
        .await
        .expect("series");
    let p50 = series.iter().find(|s| s.metric == "ModelLatency p50").expect("p50");
    assert_eq!(p50.points.iter().map(|p| p.value).collect::<Vec<_>>(), [17_500.0, 18_000.0], "in time order");
    assert_eq!(series.iter().find(|s| s.metric == "ModelLatency p99").expect("p99").points[0].value, 91_000.0);
    // One GetMetricData for every series of the page, with the percentiles as statistics.
    let requests = replay.actual_requests().collect::<Vec<_>>();
    assert_eq!(requests.len(), 3, "ListMetrics, DescribeAlarms, one GetMetricData");
    let body = std::str::from_utf8(requests[2].body().bytes().unwrap_or_default()).unwrap_or_default().to_string();
    assert!(body.contains("Action=GetMetricData"), "{body}");
    assert!(body.contains("Stat=p50") && body.contains("Stat=p99"), "{body}");
    assert!(body.contains("Period=60"));
}
