//! The parser of SageMaker's state-change envelopes (EventBridge events that arrive at the webhook or on the
//! queue, from anyone who can reach them) under generated input: whatever JSON arrives, it answers, never
//! panics, and it only ever names a version of a project the portal knows, with the status the event carries.

mod common;

use std::sync::Arc;

use common::journal::MemoryJournal;
use governance::ports::Clock;
use governance::{ApprovalStatus, ProjectId};
use portal_aws::clients::SageMakerClients;
use portal_aws::SageMakerRegistry;
use proptest::prelude::*;
use serde_json::{json, Value};

struct FixedClock;
impl Clock for FixedClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_796_083_200, 0).unwrap_or_default()
    }
}

/// A registry that is never called: parsing an envelope makes no SageMaker call. The endpoint is unroutable.
fn registry() -> SageMakerRegistry {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let settings = portal_aws::settings::AwsSettings::single_account(
            common::REGION,
            common::ACCOUNT,
            Some("http://127.0.0.1:9".into()),
        );
        let clients = SageMakerClients::new(&common::config_at("http://127.0.0.1:9").await, &settings).await;
        let projects = vec![ProjectId("credit-risk".into()), ProjectId("credit".into())];
        SageMakerRegistry::new(settings, clients, Arc::new(MemoryJournal::default()), Arc::new(FixedClock), projects)
    })
}

/// Any JSON value, nested up to a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field values an attacker would try: real and near-real ARNs (other projects, central, a prefix's
/// neighbour, a huge or zero number, extra segments), statuses in other spellings, and garbage.
fn arn() -> impl Strategy<Value = String> {
    let group = prop_oneof![
        Just("credit-risk-pd-model".to_string()),
        Just("central-credit-risk-pd-model".to_string()),
        Just("credit-pd-model".to_string()),
        Just("credit-risk".to_string()),
        Just("central-".to_string()),
        Just("other-project-model".to_string()),
        "[a-z-]{0,70}",
    ];
    let number =
        prop_oneof![Just("1".to_string()), Just("0".to_string()), Just("99999999999".to_string()), "[0-9a-z/]{0,12}"];
    (group, number, prop_oneof![Just("model-package"), Just("model-package-group"), Just("")])
        .prop_map(|(group, number, kind)| format!("arn:aws:sagemaker:us-east-1:123456789012:{kind}/{group}/{number}"))
}

fn status() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("Approved")),
        Just(json!("Rejected")),
        Just(json!("PendingManualApproval")),
        Just(json!("approved")),
        Just(json!(1)),
        Just(Value::Null),
        ".{0,20}".prop_map(Value::String),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary JSON is answered: refused or taken, never a panic.
    #[test]
    fn any_json_is_answered_without_a_panic(event in any_json()) {
        let registry = registry();
        let _ = registry.state_change(&event);
    }

    /// Envelope-shaped events: a version is named only for a known project's own group, with a number, and
    /// with the status as sent; anything else is refused or ignored.
    #[test]
    fn an_envelope_names_only_known_versions_with_the_status_it_carries(
        arn in arn(),
        status in status(),
        source in prop_oneof![Just("aws.sagemaker".to_string()), ".{0,16}"],
        extra in any_json(),
        via_resources in any::<bool>(),
    ) {
        let registry = registry();
        let mut event = json!({
            "id": "e-1",
            "source": source,
            "detail-type": "SageMaker Model Package State Change",
            "detail": { "ModelApprovalStatus": status, "CustomerMetadataProperties": extra },
        });
        if via_resources {
            event["resources"] = json!([arn]);
        } else {
            event["detail"]["ModelPackageArn"] = json!(arn);
        }
        if let Ok(Some(change)) = registry.state_change(&event) {
            let id = change.version.as_str().to_string();
            prop_assert!(source == "aws.sagemaker");
            prop_assert!(
                id.starts_with("dev.credit-risk.") || id.starts_with("dev.credit.") || id.starts_with("central.credit"),
                "{id} from {arn}"
            );
            prop_assert!(arn.contains(":model-package/"), "{arn}");
            prop_assert_eq!(Some(change.status), status.as_str().and_then(ApprovalStatus::parse));
        }
    }
}
