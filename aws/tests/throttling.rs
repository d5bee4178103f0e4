//! SageMaker's `ThrottlingException`, answered from a recording: retried with backoff and jitter by the
//! portal's retry configuration until it succeeds, and when it never does, reported as SageMaker throttling
//! (never as the portal's database), every attempt counted.

mod common;

use std::sync::Arc;

use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use common::journal::MemoryJournal;
use governance::ports::{Clock, StoreError};
use governance::ProjectId;
use portal_aws::clients::SageMakerClients;
use portal_aws::SageMakerRegistry;

struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

fn request() -> http::Request<SdkBody> {
    http::Request::builder()
        .uri("https://api.sagemaker.us-east-1.amazonaws.com/")
        .body(SdkBody::empty())
        .expect("request")
}

fn throttled() -> http::Response<SdkBody> {
    http::Response::builder()
        .status(400)
        .header("content-type", "application/x-amz-json-1.1")
        .body(SdkBody::from(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#))
        .expect("response")
}

fn groups() -> http::Response<SdkBody> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/x-amz-json-1.1")
        .body(SdkBody::from(r#"{"ModelPackageGroupSummaryList":[]}"#))
        .expect("response")
}

async fn registry(replay: &StaticReplayClient) -> SageMakerRegistry {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(common::REGION))
        .credentials_provider(aws_sdk_sagemaker::config::Credentials::new("a", "b", None, None, "static"))
        .retry_config(portal_aws::clients::retry_config())
        .http_client(replay.clone())
        .load()
        .await;
    let settings = portal_aws::AwsSettings::single_account(common::REGION, common::ACCOUNT, None);
    let clients = SageMakerClients::new(&config, &settings).await;
    let projects = vec![ProjectId("credit-risk".into())];
    SageMakerRegistry::new(settings, clients, Arc::new(MemoryJournal::default()), Arc::new(SystemClock), projects)
}

#[tokio::test]
async fn throttling_is_retried_until_sagemaker_answers_and_named_when_it_never_does() {
    // Throttled twice, then answered: the call succeeds, after three requests.
    let replay = StaticReplayClient::new(vec![
        ReplayEvent::new(request(), throttled()),
        ReplayEvent::new(request(), throttled()),
        ReplayEvent::new(request(), groups()),
    ]);
    let sagemaker = registry(&replay).await;
    let started = std::time::Instant::now();
    sagemaker.groups().await.expect("answered on the third attempt");
    assert_eq!(replay.actual_requests().count(), 3);
    assert_eq!(sagemaker.calls().by_operation().get("ListModelPackageGroups"), Some(&3), "every attempt counted");
    assert!(started.elapsed() > std::time::Duration::from_millis(10), "the retries waited (backoff)");

    // Throttled on every attempt: four requests, then an error that says SageMaker throttled.
    let replay = StaticReplayClient::new((0..4).map(|_| ReplayEvent::new(request(), throttled())).collect());
    let sagemaker = registry(&replay).await;
    let failed = sagemaker.groups().await.expect_err("throttled throughout");
    assert_eq!(replay.actual_requests().count(), 4, "the retry configuration's four attempts");
    match failed {
        StoreError::BackendUnavailable { backend, detail } => {
            assert_eq!(backend, "SageMaker");
            assert!(detail.contains("throttling"), "{detail}");
        }
        other => panic!("not named as SageMaker throttling: {other:?}"),
    }
}
