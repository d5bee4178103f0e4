//! The EventBridge publisher on the emulator: a rule on the bus forwards every published promotion event to an
//! SQS queue; batches hold at most 10 entries; an entry the bus refused is retried alone and reported delivered
//! only once accepted (a recorded answer, since the emulator never refuses an entry).

mod common;

use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use chrono::Utc;
use common::Moto;
use governance::events::EventEnvelope;
use governance::EventId;
use portal_aws::EventBridgePublisher;

fn envelope(n: usize) -> EventEnvelope {
    EventEnvelope {
        version: "0".into(),
        id: EventId(format!("evt-{n}")),
        detail_type: "ModelApproved".into(),
        source: "ml.portal".into(),
        account: common::ACCOUNT.into(),
        time: Utc::now(),
        region: common::REGION.into(),
        resources: vec![],
        detail: serde_json::json!({ "model": { "versionId": format!("central.credit-risk.pd-model.{n}") }, "stage": "Test" }),
    }
}

#[tokio::test]
async fn published_events_reach_a_queue_subscribed_to_the_bus() {
    let moto = Moto::start();
    let config = moto.config().await;
    let queue = common::subscribe_queue(&config, "mlops-promotions", "ml.portal", "promotions").await;
    let publisher = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&config), "mlops-promotions".into());
    let events: Vec<EventEnvelope> = (1..=23).map(envelope).collect();
    let results = publisher.publish(&events).await;
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    let received = common::drain(&config, &queue).await;
    let mut ids: Vec<String> =
        received.iter().filter_map(|b| b["detail"]["portalEventId"].as_str().map(str::to_string)).collect();
    ids.sort_by_key(|id| id.trim_start_matches("evt-").parse::<u32>().unwrap_or(0));
    assert_eq!(ids, events.iter().map(|e| e.id.0.clone()).collect::<Vec<_>>(), "every event, once");
    let first = &received[0];
    // The emulator leaves out `account`, which EventBridge itself always sets.
    for key in ["id", "detail-type", "source", "time", "region", "resources", "detail"] {
        assert!(first.get(key).is_some(), "the EventBridge envelope has {key}: {first}");
    }
    assert_eq!(first["detail-type"], "ModelApproved");
}

#[tokio::test]
async fn an_entry_the_bus_refused_is_retried_alone_and_never_reported_delivered_before() {
    let ok =
        |body: &str| http::Response::builder().status(200).body(SdkBody::from(body.to_string())).expect("response");
    let request = || {
        http::Request::builder().uri("https://events.us-east-1.amazonaws.com/").body(SdkBody::empty()).expect("request")
    };
    let replay = StaticReplayClient::new(vec![
        // The bus takes the first and third entries and refuses the second.
        ReplayEvent::new(
            request(),
            ok(
                r#"{"FailedEntryCount":1,"Entries":[{"EventId":"a"},{"ErrorCode":"ThrottlingException","ErrorMessage":"slow down"},{"EventId":"c"}]}"#,
            ),
        ),
        // The retry carries the refused entry only; it is refused again...
        ReplayEvent::new(
            request(),
            ok(r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"oops"}]}"#),
        ),
        // ...and accepted on the third try.
        ReplayEvent::new(request(), ok(r#"{"FailedEntryCount":0,"Entries":[{"EventId":"b"}]}"#)),
    ]);
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_sdk_sagemaker::config::Credentials::new("a", "b", None, None, "static"),
        ))
        .http_client(replay.clone())
        .build();
    let publisher = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&config), "mlops-promotions".into());
    let results = publisher.publish(&[envelope(1), envelope(2), envelope(3)]).await;
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    let requests = replay.actual_requests().collect::<Vec<_>>();
    let bodies: Vec<serde_json::Value> =
        requests.iter().map(|r| serde_json::from_slice(r.body().bytes().unwrap_or_default()).expect("json")).collect();
    assert_eq!(bodies.iter().map(|b| b["Entries"].as_array().map_or(0, Vec::len)).collect::<Vec<_>>(), [3, 1, 1]);
    assert!(bodies[1]["Entries"][0]["Detail"].as_str().unwrap_or_default().contains("evt-2"), "the refused one only");

    // Refused on every try: reported failed (the dispatcher keeps it pending), the others delivered.
    let refuse =
        r#"{"FailedEntryCount":1,"Entries":[{"EventId":"a"},{"ErrorCode":"InternalFailure","ErrorMessage":"down"}]}"#;
    let again = r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"down"}]}"#;
    let replay = StaticReplayClient::new(vec![
        ReplayEvent::new(request(), ok(refuse)),
        ReplayEvent::new(request(), ok(again)),
        ReplayEvent::new(request(), ok(again)),
    ]);
    let config = config.to_builder().http_client(replay).build();
    let publisher = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&config), "mlops-promotions".into());
    let results = publisher.publish(&[envelope(1), envelope(2)]).await;
    assert!(results[0].1.is_ok());
    assert!(matches!(&results[1].1, Err(e) if e.contains("InternalFailure")), "{results:?}");
}
