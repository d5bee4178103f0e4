//! The outbox dispatcher's EventBridge target when the bus refuses part of a `PutEvents` batch. The emulator
//! (moto) accepts every entry, so the bus's answers here are **recorded responses** (aws-smithy's
//! `StaticReplayClient`, which answers each request with the next recorded response and keeps the requests):
//! they cover what the emulator cannot do. The portal is wired by `build_with` exactly as on AWS; only its
//! HTTP client replays.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use chrono::Utc;
use governance::events::EventEnvelope;
use governance::ports::{DeliveryState, Effects, Window};
use governance::EventId;
use portal_aws::AwsSettings;
use server::aws::EVENTBRIDGE;
use server::settings::Settings;

fn envelope(n: usize) -> EventEnvelope {
    EventEnvelope {
        version: "0".into(),
        id: EventId(format!("evt-{n}")),
        // An event the portal's own consumer only acknowledges: every AWS call of the test is a PutEvents.
        detail_type: "ModelVersionRegistered".into(),
        source: "ml.portal".into(),
        account: "111111111111".into(),
        time: Utc::now(),
        region: "eu-west-1".into(),
        resources: vec![],
        detail: serde_json::json!({ "model": { "versionId": format!("dev.credit-risk.pd-model.{n}") } }),
    }
}

/// A recorded `PutEvents` answer (HTTP 200, the per-entry results in request order).
fn answer(body: &str) -> ReplayEvent {
    ReplayEvent::new(
        http::Request::builder()
            .uri("https://events.eu-west-1.amazonaws.com/")
            .body(SdkBody::empty())
            .expect("request"),
        http::Response::builder().status(200).body(SdkBody::from(body.to_string())).expect("response"),
    )
}

/// The portal's event ids of each `PutEvents` request the bus received, in order.
fn sent(replay: &StaticReplayClient) -> Vec<Vec<String>> {
    replay
        .actual_requests()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(r.body().bytes().unwrap_or_default()).expect("json");
            body["Entries"]
                .as_array()
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|e| e["Detail"].as_str())
                        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                        .filter_map(|d| d["portalEventId"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn a_refused_entry_stays_pending_and_is_retried_alone_while_the_accepted_ones_are_delivered_once() {
    // The bus takes the first and third entries and throttles the second; the publisher's own retries (two
    // more, alone) are throttled too; the dispatcher's next attempt, after its backoff, is accepted.
    let throttled =
        r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"ThrottlingException","ErrorMessage":"Rate exceeded"}]}"#;
    let replay = StaticReplayClient::new(vec![
        answer(
            r#"{"FailedEntryCount":1,"Entries":[{"EventId":"eb-1"},{"ErrorCode":"ThrottlingException","ErrorMessage":"Rate exceeded"},{"EventId":"eb-3"}]}"#,
        ),
        answer(throttled),
        answer(throttled),
        answer(r#"{"FailedEntryCount":0,"Entries":[{"EventId":"eb-2"}]}"#),
    ]);
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_eventbridge::config::SharedCredentialsProvider::new(
            aws_sdk_eventbridge::config::Credentials::new("a", "b", None, None, "static"),
        ))
        .http_client(replay.clone())
        .build();
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        demo_data: Some(false),
        aws: Some(AwsSettings::single_account("eu-west-1", "111111111111", None)),
        ..Settings::default()
    };
    let portal = server::build_with(settings, Some(config)).await.expect("the portal builds on AWS");
    let store = portal.state.store.clone();
    store
        .ports()
        .journal
        .release(Effects { events: (1..=3).map(envelope).collect(), audit: vec![] })
        .await
        .expect("outbox");

    let bus_deliveries = || async {
        let events =
            portal.state.service.ports_for_tests().ledger.events(None, Window::new(0, 50)).await.expect("events");
        events
            .items
            .iter()
            .flat_map(|r| r.deliveries.iter().filter(|d| d.target == EVENTBRIDGE).cloned())
            .map(|d| (d.event_id.0.clone(), d))
            .collect::<BTreeMap<_, _>>()
    };

    portal.dispatcher.tick().await;
    let requests = sent(&replay);
    assert_eq!(requests.len(), 3, "one batch, then the refused entry retried twice by the publisher: {requests:?}");
    assert_eq!(requests[0].len(), 3, "the three events in one batch");
    // The bus refused the second entry of the batch, whichever event the outbox put there.
    let refused = requests[0][1].clone();
    assert_eq!(requests[1..], [vec![refused.clone()], vec![refused.clone()]], "retried alone");
    let deliveries = bus_deliveries().await;
    for (id, d) in &deliveries {
        if *id == refused {
            assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 1), "not reported delivered: {d:?}");
            assert!(d.last_error.as_deref().is_some_and(|e| e.contains("ThrottlingException")), "{d:?}");
        } else {
            assert_eq!(d.state, DeliveryState::Delivered, "accepted: {d:?}");
        }
    }
    assert_eq!(deliveries.len(), 3);

    // Before its backoff ends nothing is sent: neither the refused event nor the delivered ones again.
    portal.dispatcher.tick().await;
    assert_eq!(sent(&replay).len(), 3);

    // After the backoff the dispatcher retries the refused event alone; the bus accepts it.
    let due = deliveries[&refused].next_attempt_at;
    let wait = (due - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(100);
    assert!(wait <= Duration::from_secs(3), "the first retry waits the dispatcher's 2 s backoff, not {wait:?}");
    tokio::time::sleep(wait).await;
    portal.dispatcher.tick().await;
    let requests = sent(&replay);
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[3], std::slice::from_ref(&refused), "the dispatcher's retry carries the refused event only");
    let deliveries = bus_deliveries().await;
    assert!(deliveries.values().all(|d| d.state == DeliveryState::Delivered), "{deliveries:?}");

    // Each accepted event went to the bus in exactly one accepted position: delivered once.
    portal.dispatcher.tick().await;
    let requests = sent(&replay);
    assert_eq!(requests.len(), 4, "nothing is sent once everything is delivered");
    for id in deliveries.keys().filter(|id| **id != refused) {
        assert_eq!(requests.iter().flatten().filter(|sent| *sent == id).count(), 1, "{id} sent once");
    }
}
