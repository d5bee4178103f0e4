//! The whole promotion path with the portal on the AWS adapters against the emulator (moto): register through
//! the API -> Dev approval -> central copy -> Test -> test results through the API -> Prod. After each step the
//! emulator's model package has the expected approval status and stage, and an SQS queue subscribed to the bus by
//! a rule received the promotion event. Then a change made outside the portal arrives as SageMaker's
//! state-change event at the webhook: recorded once on the version's timeline and in the audit log. A portal
//! process killed between applying a decision on SageMaker and committing it finishes it on its next start. With
//! per-stage approval roles configured, each decision's `UpdateModelPackage` is signed by its stage's role.
//! A rollback and a retirement of Prod versions reject their packages through the same pending-decision protocol.

#[path = "../../aws/tests/common/mod.rs"]
mod moto;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::decision::{DecisionRequest, Verdict};
use governance::deployment::{DeploymentConfig, ProductionVariant};
use governance::model::ModelVersion;
use governance::ports::Window;
use governance::{Actor, ApprovalStatus, Environment, Stage, VersionId};
use http_body_util::BodyExt;
use portal_aws::{ApiKey, SageMakerRegistry};
use server::settings::{Secret, Settings};
use server::Portal;
use tower::ServiceExt;

const TOKEN: &str = "test-token-credit-risk";
const KEY: &str = "state-change-key-0123456789";

struct Run {
    portal: Portal,
    router: axum::Router,
    moto: moto::Moto,
    config: aws_config::SdkConfig,
    queue: String,
    settings: Settings,
    _dir: tempfile::TempDir,
}

impl Run {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: String,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response =
            self.router.clone().oneshot(request.body(Body::from(body)).expect("request")).await.expect("answer");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    /// A page as a demo person sees it (signed in through the development sign-in); its HTML.
    async fn page(&self, uri: String, who: &str) -> String {
        let sign_in = Request::post("/fn/sign_in")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("subject={who}")))
            .expect("request");
        let response = self.router.clone().oneshot(sign_in).await.expect("answer");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        let request = Request::get(uri).header("cookie", cookie).body(Body::empty()).expect("request");
        let response = self.router.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        String::from_utf8_lossy(&bytes).to_string()
    }

    /// Registers a pd-model version with a complete model card through the API as CI does; returns its id.
    async fn register(&self, training_run: &str) -> VersionId {
        let bearer = format!("Bearer {TOKEN}");
        let card = serde_json::json!({
            "intended_use": "Score retail loan applications.", "limitations": "Retail only.", "risk_rating": "High",
            "training_data": "See lineage.", "evaluation": "Hold-out AUC.", "owner": "credit-risk-ds@example.com"
        });
        let body = serde_json::json!({
            "model_group": "pd-model", "artifact_uri": format!("s3://ml-artifacts/pd-model/{training_run}/model.tar.gz"),
            "container_image": "xgb:1", "metrics": {"auc": 0.82}, "model_card": card
        });
        let uri = "/api/v1/projects/credit-risk/versions";
        let (status, registered) = self.send("POST", uri, &[("authorization", &bearer)], body.to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{registered}");
        VersionId(registered["id"].as_str().expect("an id").into())
    }

    /// Runs the dispatcher until nothing is due: the consumer (central copies) and the EventBridge target.
    async fn dispatch(&self) {
        for _ in 0..10 {
            if self.portal.dispatcher.tick().await == 0 {
                return;
            }
        }
    }

    /// The emulator's model package of a version: (ModelApprovalStatus, the stage), read with the SDK directly.
    async fn package(&self, version: &VersionId) -> (String, String) {
        let registry = self.portal.state.sagemaker.as_ref().expect("the SageMaker registry");
        let sagemaker = aws_sdk_sagemaker::Client::new(&self.config);
        let arn = arn(registry, version);
        let p = sagemaker.describe_model_package().model_package_name(&arn).send().await.expect("the package exists");
        let status = p.model_approval_status().map(|s| s.as_str().to_string()).unwrap_or_default();
        // moto stores no ModelLifeCycle: the stage is read from the portal's mirror where it is missing.
        let stage = p
            .model_life_cycle()
            .and_then(|l| l.stage().map(str::to_string))
            .or_else(|| p.customer_metadata_properties().and_then(|m| m.get("portal:stage").cloned()))
            .unwrap_or_default();
        (status, stage)
    }

    /// The promotion events the queue received since the last call: (detail-type, stage, version id).
    async fn received(&self) -> Vec<(String, String, String)> {
        moto::drain(&self.config, &self.queue)
            .await
            .into_iter()
            .map(|b| {
                let s = |p: &str| b.pointer(p).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                (s("/detail-type"), s("/detail/stage"), s("/detail/model/versionId"))
            })
            .collect()
    }

    async fn decide(&self, who: &str, version: &ModelVersion, stage: Stage) -> ModelVersion {
        let service = &self.portal.state.service;
        let person = server::demo::people().into_iter().find(|p| p.subject.as_str() == who).expect("demo person");
        let detail = service.version_detail(&Actor::Person(person.clone()), &version.id).await.expect("evidence");
        let seen_test_run = detail.evidence.latest_test_run.as_ref().map(|r| r.id.to_string());
        let request = DecisionRequest {
            stage,
            verdict: Verdict::Approve,
            justification: format!("{stage} gates met."),
            evidence_digest: detail.digest,
            seen_test_run,
        };
        service.decide(&person, &version.id, request).await.expect("decide");
        self.dispatch().await;
        service.ports_for_tests().registry.version(&version.id).await.expect("read").expect("exists")
    }
}

/// A Test (and Prod) deployment config of one instance and one variant.
fn one_instance() -> DeploymentConfig {
    DeploymentConfig {
        instance_type: "ml.m5.large".into(),
        initial_instance_count: 1,
        autoscaling_min: 1,
        autoscaling_max: 2,
        variants: vec![ProductionVariant { name: "champion".into(), weight: 100 }],
        data_capture_percent: 10,
    }
}

fn arn(registry: &SageMakerRegistry, version: &VersionId) -> String {
    let at = portal_aws::names::PackageRef::parse(version).expect("a SageMaker version id");
    registry.arn(&at)
}

async fn start() -> Run {
    start_with(moto::Moto::start(), |_| {}).await
}

/// As [`start`], on a given emulator and with changed `[aws]` settings.
async fn start_with(moto: moto::Moto, configure: impl FnOnce(&mut portal_aws::AwsSettings)) -> Run {
    let config = moto.config().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut aws = moto.settings();
    aws.state_change_api_key = Some(ApiKey(KEY.into()));
    configure(&mut aws);
    // A rule on the bus forwards everything the portal publishes to a queue, as a CI/CD account's would.
    let queue = moto::subscribe_queue(&config, &aws.event_bus_name, &aws.event_source, "promotions").await;
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        project_tokens: [("credit-risk".to_string(), Secret(TOKEN.into()))].into_iter().collect(),
        event_account: moto::ACCOUNT.into(),
        event_region: moto::REGION.into(),
        aws: Some(aws),
        ..Settings::default()
    };
    let portal = server::build_with(settings.clone(), Some(config.clone())).await.expect("the portal builds on AWS");
    let router = server::routes::router(portal.state.clone());
    Run { portal, router, moto, config, queue, settings, _dir: dir }
}

#[tokio::test]
async fn dev_approval_to_prod_on_sagemaker_with_events_on_the_bus() {
    let started = std::time::Instant::now();
    let run = start().await;
    let bearer = format!("Bearer {TOKEN}");
    let auth = [("authorization", bearer.as_str())];
    let id = run.register("run-x").await;
    assert!(id.as_str().starts_with("dev.credit-risk.pd-model."), "a SageMaker version id: {id}");
    assert_eq!(run.package(&id).await, ("PendingManualApproval".into(), "Dev".into()));
    run.dispatch().await;
    let registered_events = run.received().await;
    assert!(
        registered_events.iter().any(|(t, _, v)| t == "ModelVersionRegistered" && v == id.as_str()),
        "{registered_events:?}"
    );

    // Dev approval: the Dev package is approved and the consumer copies it into the central registry.
    let service = &run.portal.state.service;
    let dev = service.ports_for_tests().registry.version(&id).await.expect("read").expect("exists");
    let dev = run.decide("dana", &dev, Stage::Dev).await;
    assert_eq!(run.package(&dev.id).await, ("Approved".into(), "Dev".into()));
    let central_id = dev.central_copy.clone().expect("the consumer made the central copy");
    assert_eq!(run.package(&central_id).await, ("Approved".into(), "Dev".into()), "the copy mirrors the Dev approval");
    let events = run.received().await;
    assert!(events.contains(&("ModelApproved".into(), "Dev".into(), dev.id.to_string())), "{events:?}");
    assert!(events.iter().any(|(t, _, v)| t == "ModelCopiedToCentral" && v == central_id.as_str()), "{events:?}");

    // Test: an AI engineer saves the Test deployment config and approves.
    let erin = server::demo::people().into_iter().find(|p| p.subject.as_str() == "erin").expect("erin");
    let config = one_instance();
    let central = service.ports_for_tests().registry.version(&central_id).await.expect("read").expect("the copy");
    service.save_deployment_config(&erin, &central.id, Environment::Test, config.clone()).await.expect("config");
    let central = run.decide("erin", &central, Stage::Test).await;
    assert_eq!((central.stage, central.status), (Stage::Test, ApprovalStatus::Approved));
    assert_eq!(run.package(&central.id).await, ("Approved".into(), "Test".into()));
    let events = run.received().await;
    assert!(events.contains(&("ModelApproved".into(), "Test".into(), central.id.to_string())), "{events:?}");

    // Test results from CI through the API, then the Prod sign-off.
    let junit = r#"<testsuite name="it"><testcase name="invoke" time="0.1"/></testsuite>"#;
    let results = serde_json::json!({"junit_xml": junit, "performance": {"latency_p99_ms": 120.0}});
    let uri = format!("/api/v1/versions/{}/test-runs", central.id);
    let (status, answer) = run.send("POST", &uri, &auth, results.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    service.save_deployment_config(&erin, &central.id, Environment::Prod, config).await.expect("prod config");
    let prod = run.decide("gina", &central, Stage::Prod).await;
    assert_eq!((prod.stage, prod.status), (Stage::Prod, ApprovalStatus::Approved));
    assert_eq!(run.package(&prod.id).await, ("Approved".into(), "Prod".into()));
    let events = run.received().await;
    assert!(events.contains(&("ModelApproved".into(), "Prod".into(), prod.id.to_string())), "{events:?}");

    // Every event of the run was accepted by the bus: none is left pending for the EventBridge target.
    let all = service.ports_for_tests().ledger.events(None, Window::new(0, 200)).await.expect("events");
    let bus_states: BTreeMap<String, usize> = all
        .items
        .iter()
        .flat_map(|r| r.deliveries.iter().filter(|d| d.target == server::aws::EVENTBRIDGE))
        .fold(BTreeMap::new(), |mut m, d| {
            *m.entry(d.state.as_str().to_string()).or_default() += 1;
            m
        });
    assert_eq!(bus_states.keys().collect::<Vec<_>>(), ["Delivered"], "{bus_states:?}");

    // Every event about a version names its real package ARN (Dev or central, in its own account).
    let registry_for_arns = run.portal.state.sagemaker.clone().expect("the SageMaker registry");
    for version in [&dev.id, &prod.id] {
        let events = service.events(&reader(), Some(version), Window::new(0, 50)).await.expect("events");
        assert!(!events.items.is_empty());
        for record in events.items.iter().filter(|r| r.envelope.detail.pointer("/model/versionId").is_some()) {
            let model = record.envelope.detail["model"]["versionId"].as_str().unwrap_or_default().to_string();
            let expected = arn(&registry_for_arns, &VersionId(model));
            assert_eq!(record.envelope.resources, vec![expected], "{}", record.envelope.detail_type);
        }
    }

    // In the console, someone moves the Prod package back to Test. Its metadata still names the Prod decision,
    // whose other end that is: a difference from the record all the same, recorded once.
    let registry = run.portal.state.sagemaker.clone().expect("the SageMaker registry");
    let prod_arn = arn(&registry, &prod.id);
    aws_sdk_sagemaker::Client::new(&run.config)
        .update_model_package()
        .model_package_arn(&prod_arn)
        .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Approved)
        .customer_metadata_properties("portal:stage", "Test")
        .send()
        .await
        .expect("rolled back in the console");
    let decision = service.decisions(&reader(), &prod.id).await.expect("decisions").last().expect("Prod").id.clone();
    let metadata = serde_json::json!({"portal:stage": "Test", "portal:decision-id": decision.as_str()});
    let event = state_change("sm-rollback", &prod_arn, "Approved", metadata);
    let (status, answer) = run.send("POST", "/api/aws/sagemaker-events", &[("x-api-key", KEY)], event).await;
    assert_eq!((status, answer["recorded"].as_bool()), (StatusCode::OK, Some(true)), "{answer}");
    assert_eq!(service.sweep_outside_changes().await.expect("sweep"), 0, "recorded already");
    let shown = service.version(&reader(), &prod.id).await.expect("read");
    assert_eq!((shown.stage, shown.status), (Stage::Prod, ApprovalStatus::Approved), "the record");
    assert_eq!(shown.outside.map(|o| o.registry), Some((Stage::Test, ApprovalStatus::Approved)), "and SageMaker");
    eprintln!("Dev -> Prod on SageMaker (moto), {} events on the bus: {:.1?}", all.total, started.elapsed());
    drop(run.moto);
}

/// SageMaker's event for a package, in the shape an EventBridge rule delivers to an API destination.
fn state_change(event_id: &str, arn: &str, status: &str, metadata: serde_json::Value) -> String {
    serde_json::json!({
        "version": "0", "id": event_id, "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker", "account": moto::ACCOUNT, "time": "2026-11-26T12:00:00Z", "region": moto::REGION,
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": "credit-risk-pd-model", "ModelPackageVersion": 1, "ModelPackageArn": arn,
            "ModelApprovalStatus": status, "ModelPackageStatus": "Completed", "CustomerMetadataProperties": metadata
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_change_made_outside_the_portal_is_recorded_once_from_sagemakers_event() {
    let run = start().await;
    let id = run.register("run-y").await;
    let registry = run.portal.state.sagemaker.clone().expect("the SageMaker registry");
    let arn = arn(&registry, &id);
    let uri = "/api/aws/sagemaker-events";
    let key = [("x-api-key", KEY)];

    // The registration itself comes back as SageMaker's event: the portal's own change, not recorded.
    let own = state_change("sm-evt-0", &arn, "PendingManualApproval", serde_json::json!({"portal:stage": "Dev"}));
    let (status, answer) = run.send("POST", uri, &key, own).await;
    assert_eq!((status, answer["recorded"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");

    // Someone rejects the package in the SageMaker console.
    aws_sdk_sagemaker::Client::new(&run.config)
        .update_model_package()
        .model_package_arn(&arn)
        .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Rejected)
        .customer_metadata_properties("portal:stage", "Dev")
        .customer_metadata_properties("portal:revision", "1")
        .customer_metadata_properties("portal:project", "credit-risk")
        .send()
        .await
        .expect("update in the console");
    let outside = state_change("sm-evt-1", &arn, "Rejected", serde_json::json!({"portal:stage": "Dev"}));
    let (status, answer) = run.send("POST", uri, &[("x-api-key", "wrong-key-0123456789")], outside.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let (status, answer) = run.send("POST", uri, &key, outside.clone()).await;
    assert_eq!((status, answer["recorded"].as_bool()), (StatusCode::OK, Some(true)), "{answer}");
    assert_eq!(answer["now"]["status"], "Rejected", "the version as SageMaker has it now: {answer}");
    // AWS delivers the same event again: nothing new.
    let (status, answer) = run.send("POST", uri, &key, outside).await;
    assert_eq!((status, answer["recorded"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");

    let service = &run.portal.state.service;
    let events = service.ports_for_tests().ledger.events(Some(&id), Window::new(0, 50)).await.expect("events");
    let outside_events: Vec<_> =
        events.items.iter().filter(|r| r.envelope.detail_type == "ModelPackageChangedOutsidePortal").collect();
    assert_eq!(outside_events.len(), 1, "one event on the version's timeline");
    assert_eq!(outside_events[0].envelope.detail["registryState"]["status"], "Rejected");
    assert_eq!(outside_events[0].envelope.detail["recordedState"]["status"], "PendingManualApproval");
    let audit = service.ports_for_tests().ledger.audit(Window::new(0, 50)).await.expect("audit");
    let entries: Vec<_> = audit.items.iter().filter(|e| e.record.action == "version.changed_outside_portal").collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].record.target, id.to_string());
    // The portal shows its record, and what SageMaker says beside it.
    let version = service.version(&reader(), &id).await.expect("read");
    assert_eq!(version.status, ApprovalStatus::PendingManualApproval, "the record: no decision was taken");
    assert_eq!(version.outside.map(|o| o.registry), Some((Stage::Dev, ApprovalStatus::Rejected)));
    // The version page's timeline says so, in words.
    let gina = server::demo::people().into_iter().find(|p| p.subject.as_str() == "gina").expect("gina");
    let page = service.version_page(&gina, &id, Default::default()).await.expect("the page");
    let entry = page.timeline.iter().find(|e| e.title == "Changed outside the portal").expect("on the timeline");
    assert!(entry.detail.contains("says Dev / Rejected"), "{}", entry.detail);
    // Another event about the same difference, and the periodic sweep: still one record of it.
    let again = state_change("sm-evt-2", &arn, "Rejected", serde_json::json!({"portal:stage": "Dev"}));
    let (status, answer) = run.send("POST", uri, &key, again).await;
    assert_eq!((status, answer["recorded"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");
    assert_eq!(service.sweep_outside_changes().await.expect("sweep"), 0);
    let audit = service.ports_for_tests().ledger.audit(Window::new(0, 50)).await.expect("audit");
    assert_eq!(audit.items.iter().filter(|e| e.record.action == "version.changed_outside_portal").count(), 1);
}

/// Who the tests read as: an organisation Admin, who may read every project.
fn reader() -> Actor {
    let mut admin =
        governance::Principal::from_grants(governance::Subject("reader".into()), "Reader", Default::default());
    admin.admin = true;
    Actor::Person(admin)
}

#[tokio::test]
async fn state_made_in_sagemaker_never_passes_as_a_governed_approval() {
    let run = start().await;
    let service = &run.portal.state.service;
    let registry = run.portal.state.sagemaker.clone().expect("the SageMaker registry");
    let sagemaker = aws_sdk_sagemaker::Client::new(&run.config);
    let id = run.register("run-o").await;
    let dev_arn = arn(&registry, &id);
    // In the console: the Dev package approved, and marked as if it were in Prod.
    sagemaker
        .update_model_package()
        .model_package_arn(&dev_arn)
        .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Approved)
        .customer_metadata_properties("portal:stage", "Prod")
        .customer_metadata_properties("portal:revision", "1")
        .customer_metadata_properties("portal:project", "credit-risk")
        .send()
        .await
        .expect("update in the console");
    // And a central package made by hand whose metadata points at it.
    sagemaker
        .create_model_package_group()
        .model_package_group_name("central-credit-risk-pd-model")
        .send()
        .await
        .expect("central group");
    let made = sagemaker
        .create_model_package()
        .model_package_group_name("central-credit-risk-pd-model")
        .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Approved)
        .inference_specification(
            aws_sdk_sagemaker::types::InferenceSpecification::builder()
                .containers(
                    aws_sdk_sagemaker::types::ModelPackageContainerDefinition::builder()
                        .image("xgb:1")
                        .model_data_url("s3://ml-artifacts/pd-model/run-o/model.tar.gz")
                        .build(),
                )
                .supported_content_types("application/json")
                .supported_response_mime_types("application/json")
                .build(),
        )
        .customer_metadata_properties("portal:stage", "Dev")
        .customer_metadata_properties("portal:revision", "1")
        .customer_metadata_properties("portal:project", "credit-risk")
        .customer_metadata_properties("portal:source-version", id.as_str())
        .customer_metadata_properties("portal:source-arn", dev_arn.as_str())
        .send()
        .await
        .expect("a central package made outside the portal");
    let central_arn = made.model_package_arn().expect("an ARN").to_string();
    let central_id = registry.version_of_arn(&central_arn).expect("a central version of credit-risk");

    // No event reported these changes: the registry index does not know them until the periodic
    // reconciliation lists SageMaker again, which finds the changed Dev package and the new central one.
    let index = run.portal.reconciler.as_ref().expect("a reconciler on AWS").index.clone();
    assert!(
        service
            .versions(&reader(), &governance::ports::VersionQuery::default())
            .await
            .expect("list")
            .items
            .iter()
            .all(|v| !v.registry.is_central()),
        "the hand-made central package is not listed yet"
    );
    let repaired = index.reconcile().await.expect("reconcile");
    assert_eq!(repaired.changed, vec![id.clone()], "{repaired:?}");
    // The periodic sweep notices the Dev package differs from the record: recorded once, however often it runs.
    assert_eq!(service.sweep_outside_changes().await.expect("sweep"), 1);
    assert_eq!(service.sweep_outside_changes().await.expect("sweep"), 0);
    let dev = service.version(&reader(), &id).await.expect("read");
    assert_eq!((dev.stage, dev.status), (Stage::Dev, ApprovalStatus::PendingManualApproval), "shown as recorded");
    assert_eq!(dev.outside.map(|o| o.registry), Some((Stage::Prod, ApprovalStatus::Approved)), "and what differs");

    // The AI engineer finds the hand-made central package awaiting Test, but its Dev approval is no decision.
    let erin = server::demo::people().into_iter().find(|p| p.subject.as_str() == "erin").expect("erin");
    let config = one_instance();
    service.save_deployment_config(&erin, &central_id, Environment::Test, config).await.expect("config");
    let detail = service.version_detail(&Actor::Person(erin.clone()), &central_id).await.expect("detail");
    let (_, gates) = detail.awaiting.clone().expect("awaits Test");
    let dev_gate = gates.iter().find(|g| g.label == "Dev-approved").expect("the gate");
    assert!(!dev_gate.met, "{dev_gate:?}");
    assert!(dev_gate.detail.contains("no Dev approval recorded by the portal"), "{dev_gate:?}");
    let request = DecisionRequest {
        stage: Stage::Test,
        verdict: Verdict::Approve,
        justification: "Looks approved in SageMaker.".into(),
        evidence_digest: detail.digest.clone(),
        seen_test_run: None,
    };
    let refused = service.decide(&erin, &central_id, request).await.expect_err("refused");
    assert!(refused.to_string().contains("Gate not met: Dev-approved"), "{refused}");
    run.dispatch().await;
    assert!(service.deployment_requests(&reader(), &central_id).await.expect("read").is_empty(), "no deployment");
    assert!(service.decisions(&reader(), &central_id).await.expect("read").is_empty(), "no decision");

    // A Data Scientist decides in the portal: the record moves, SageMaker is written back, the copy is the portal's.
    let dev = run.decide("dana", &dev, Stage::Dev).await;
    assert_eq!(run.package(&id).await, ("Approved".into(), "Dev".into()));
    let seen = service.version(&reader(), &id).await.expect("read");
    assert!(seen.outside.is_none(), "the registry agrees with the record again: {:?}", seen.outside);
    let copy = dev.central_copy.expect("the portal's own central copy");
    assert_ne!(copy, central_id, "the hand-made package is not the portal's copy");
    let detail = service.version_detail(&Actor::Person(erin), &central_id).await.expect("detail");
    let (_, gates) = detail.awaiting.expect("still awaits Test");
    assert!(!gates.iter().any(|g| g.label == "Dev-approved" && g.met), "the hand-made package never qualifies");
}

#[tokio::test]
async fn a_project_made_while_the_portal_runs_is_in_the_sagemaker_registry_from_its_first_version() {
    let run = start().await;
    let service = &run.portal.state.service;
    let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
    let new = governance::service::NewProject {
        id: "fraud".into(),
        name: "Fraud".into(),
        description: String::new(),
        template: governance::template::TemplateId("classical-regression".into()),
        parameters: [("model_group".to_string(), "fraud-model".to_string())].into(),
        members: String::new(),
    };
    service.create_project(&dana, new).await.expect("a project from the seed template");
    run.dispatch().await;
    let fraud = governance::ProjectId("fraud".into());
    let machine = governance::Actor::Machine(governance::persona::Machine {
        subject: governance::Subject("ci:fraud".into()),
        project: fraud.clone(),
        may: governance::trust_policy::MachineAction::ALL.into(),
    });
    let input = governance::model::RegisterVersionInput {
        model_group: "fraud-model".into(),
        description: String::new(),
        mlflow_run_id: None,
        training_data: vec![],
        code_commit: None,
        artifact_uri: "s3://ml-artifacts/fraud-model/run-f/model.tar.gz".into(),
        container_image: "xgb:1".into(),
        metrics: Default::default(),
        model_card: Default::default(),
    };
    let version = service.register_version(&machine, &fraud, input).await.expect("registered on SageMaker");
    // Listed with every project's versions, and its SageMaker events recognised, without a restart.
    let everything = governance::ports::VersionQuery { window: Window::new(0, 100), ..Default::default() };
    let listed = service.ports_for_tests().registry.list_versions(&everything).await.expect("list");
    assert!(
        listed.items.iter().any(|v| v.id == version.id),
        "{:?}",
        listed.items.iter().map(|v| &v.id).collect::<Vec<_>>()
    );
    let registry = run.portal.state.sagemaker.as_ref().expect("registry");
    assert_eq!(registry.version_of_arn(&arn(registry, &version.id)), Some(version.id.clone()));
}

/// The crash test's child process: where its portal keeps its database, and the emulator it uses.
const CRASH_DIR: &str = "AWS_E2E_CRASH_DIR";
const CRASH_MOTO: &str = "AWS_E2E_CRASH_MOTO";
const CRASH_TEST: &str = "a_portal_killed_between_applying_and_committing_a_decision_finishes_it_on_the_next_start";

/// Settings of the crash test's portal: its database in `dir`, on the emulator at `moto_url`.
fn crash_settings(dir: &std::path::Path, moto_url: &str, grace_secs: u64) -> Settings {
    let mut aws = portal_aws::AwsSettings::single_account(moto::REGION, moto::ACCOUNT, Some(moto_url.to_string()));
    aws.reconcile_grace_secs = grace_secs;
    Settings {
        data_dir: dir.to_path_buf(),
        project_tokens: [("credit-risk".to_string(), Secret(TOKEN.into()))].into_iter().collect(),
        event_account: moto::ACCOUNT.into(),
        event_region: moto::REGION.into(),
        aws: Some(aws),
        ..Settings::default()
    }
}

/// The first life, in a child process: registers a version, then Dana's Dev approval, during which the process
/// aborts right after SageMaker applied it and before the portal database committed it. Never returns.
async fn first_life_dies_in_a_decision(dir: &std::path::Path, moto_url: &str) {
    let config = moto::config_at(moto_url).await;
    let portal = server::build_with(crash_settings(dir, moto_url, 120), Some(config)).await.expect("builds");
    let service = &portal.state.service;
    let machine = governance::Actor::Machine(governance::persona::Machine {
        subject: governance::Subject("ci:credit-risk".into()),
        project: governance::ProjectId("credit-risk".into()),
        may: governance::trust_policy::MachineAction::ALL.into(),
    });
    let input = governance::model::RegisterVersionInput {
        model_group: "pd-model".into(),
        description: String::new(),
        mlflow_run_id: None,
        training_data: vec![],
        code_commit: None,
        artifact_uri: "s3://ml-artifacts/pd-model/run-k/model.tar.gz".into(),
        container_image: "xgb:1".into(),
        metrics: Default::default(),
        model_card: Default::default(),
    };
    let credit_risk = governance::ProjectId("credit-risk".into());
    let version = service.register_version(&machine, &credit_risk, input).await.expect("registered");
    std::fs::write(dir.join("version-id"), version.id.as_str()).expect("the id for the parent");
    let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
    let detail = service.version_detail(&Actor::Person(dana.clone()), &version.id).await.expect("evidence");
    let request = DecisionRequest {
        stage: Stage::Dev,
        verdict: Verdict::Approve,
        justification: "Beats the baseline.".into(),
        evidence_digest: detail.digest,
        seen_test_run: None,
    };
    portal.state.sagemaker.as_ref().expect("registry").abort_after_apply(true);
    let outcome = service.decide(&dana, &version.id, request).await;
    panic!("the process should have died inside the decision, but it returned {outcome:?}");
}

#[tokio::test]
async fn a_portal_killed_between_applying_and_committing_a_decision_finishes_it_on_the_next_start() {
    if let (Ok(dir), Ok(moto_url)) = (std::env::var(CRASH_DIR), std::env::var(CRASH_MOTO)) {
        return first_life_dies_in_a_decision(std::path::Path::new(&dir), &moto_url).await;
    }
    let moto = moto::Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    // The first life runs this same test binary, selected to this test, as a child process.
    let child = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([CRASH_TEST, "--exact", "--nocapture"])
        .env(CRASH_DIR, dir.path())
        .env(CRASH_MOTO, &moto.url)
        .output()
        .expect("the child runs");
    let said = format!("{}{}", String::from_utf8_lossy(&child.stdout), String::from_utf8_lossy(&child.stderr));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(child.status.signal(), Some(6), "the first life is killed (SIGABRT) mid-decision: {said}");
    let id = VersionId(std::fs::read_to_string(dir.path().join("version-id")).expect("the version id"));

    let approvals = |portal: &Portal| {
        let ledger = portal.state.service.ports_for_tests().ledger.clone();
        let id = id.clone();
        async move {
            let events = ledger.events(Some(&id), Window::new(0, 50)).await.expect("events");
            events.items.iter().filter(|r| r.envelope.detail_type == "ModelApproved").count()
        }
    };
    // Started again within the grace period: SageMaker has the decision, the portal holds it pending.
    let config = moto.config().await;
    let second = server::build_with(crash_settings(dir.path(), &moto.url, 120), Some(config.clone()))
        .await
        .expect("the portal starts again");
    let version = second.state.service.ports_for_tests().registry.version(&id).await.expect("read").expect("exists");
    assert_eq!((version.stage, version.status), (Stage::Dev, ApprovalStatus::Approved), "applied on SageMaker");
    assert_eq!(approvals(&second).await, 0, "its event is held back while pending");
    assert!(
        second.state.service.ports_for_tests().registry.decisions(&id).await.expect("decisions").is_empty(),
        "not committed"
    );
    drop(second);

    // After the grace period the next start completes it before serving: committed, its event released once.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let third =
        server::build_with(crash_settings(dir.path(), &moto.url, 1), Some(config.clone())).await.expect("and again");
    assert_eq!(approvals(&third).await, 1);
    assert_eq!(
        third.state.service.ports_for_tests().registry.decisions(&id).await.expect("decisions").len(),
        1,
        "committed"
    );
    let fourth = server::build_with(crash_settings(dir.path(), &moto.url, 1), Some(config)).await.expect("again");
    assert_eq!(approvals(&fourth).await, 1, "a further start releases nothing twice");
}

/// The role that signed a recorded request: its `Authorization` header's access key, looked up among the keys
/// moto's STS handed out (`None`: the base credentials, no assumed role).
fn signer(request: &serde_json::Value, roles: &BTreeMap<String, String>) -> Option<String> {
    let authorization = request.pointer("/headers/Authorization").and_then(|v| v.as_str()).unwrap_or_default();
    let key = authorization.split("Credential=").nth(1).and_then(|c| c.split('/').next()).unwrap_or_default();
    roles.get(key).cloned()
}

/// A recorded request's JSON body (moto records it base64-encoded when `body_encoded`).
fn recorded_body(request: &serde_json::Value) -> serde_json::Value {
    use base64::Engine;
    let body = request["body"].as_str().unwrap_or_default();
    let bytes = if request["body_encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD.decode(body).expect("base64")
    } else {
        body.as_bytes().to_vec()
    };
    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
}

#[tokio::test]
async fn each_decision_is_applied_with_the_approval_role_of_its_stage() {
    let role = |name: &str| format!("arn:aws:iam::{}:role/{name}", moto::ACCOUNT);
    let run = start_with(moto::Moto::start_recording(), |aws| {
        aws.central.approval_roles.test = Some(role("portal-approve-test"));
        aws.central.approval_roles.prod = Some(role("portal-approve-prod"));
        // The project's Dev account (the emulator's one account again) with a role for its Dev decisions.
        let mut dev = portal_aws::Account::new(moto::ACCOUNT, None);
        dev.approval_roles.dev = Some(role("portal-approve-dev"));
        aws.dev_accounts.insert("credit-risk".into(), dev);
    })
    .await;
    server::aws::validate::validate(run.settings.aws.as_ref().expect("aws")).expect("valid settings");
    run.moto.begin_recording();

    // Dev -> Test -> Prod as in the end-to-end test above, through the portal.
    let service = &run.portal.state.service;
    let bearer = format!("Bearer {TOKEN}");
    let auth = [("authorization", bearer.as_str())];
    let id = run.register("run-r").await;
    let dev = service.ports_for_tests().registry.version(&id).await.expect("read").expect("exists");
    let dev = run.decide("dana", &dev, Stage::Dev).await;
    let central_id = dev.central_copy.clone().expect("the consumer made the central copy");
    let erin = server::demo::people().into_iter().find(|p| p.subject.as_str() == "erin").expect("erin");
    let config = one_instance();
    let central = service.ports_for_tests().registry.version(&central_id).await.expect("read").expect("the copy");
    service.save_deployment_config(&erin, &central.id, Environment::Test, config.clone()).await.expect("config");
    let central = run.decide("erin", &central, Stage::Test).await;
    let junit = r#"<testsuite name="it"><testcase name="invoke" time="0.1"/></testsuite>"#;
    let results = serde_json::json!({"junit_xml": junit, "performance": {"latency_p99_ms": 120.0}});
    let uri = format!("/api/v1/versions/{}/test-runs", central.id);
    let (status, answer) = run.send("POST", &uri, &auth, results.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    service.save_deployment_config(&erin, &central.id, Environment::Prod, config).await.expect("prod config");
    let prod = run.decide("gina", &central, Stage::Prod).await;
    // The decisions still apply: SageMaker (moto) holds each stage.
    assert_eq!(run.package(&dev.id).await, ("Approved".into(), "Dev".into()));
    assert_eq!((prod.stage, prod.status), (Stage::Prod, ApprovalStatus::Approved));
    assert_eq!(run.package(&prod.id).await, ("Approved".into(), "Prod".into()));

    // Who signed what, as moto recorded it: each decision's UpdateModelPackage by its stage's role in its
    // account (Dev: the project's Dev account; Test and Prod: the central account), and every other call (reads,
    // the registration, the central copy) by the accounts' own credentials.
    let roles = run.moto.access_key_roles();
    let requests = run.moto.recorded_requests();
    let sagemaker: Vec<_> = requests
        .iter()
        .filter_map(|r| {
            let target = r.pointer("/headers/X-Amz-Target").and_then(|v| v.as_str())?;
            target.strip_prefix("SageMaker.").map(|op| (op.to_string(), r))
        })
        .collect();
    let decisions: Vec<(String, Option<String>)> = sagemaker
        .iter()
        .filter(|(op, _)| op == "UpdateModelPackage")
        .map(|(_, r)| {
            let stage =
                recorded_body(r)["CustomerMetadataProperties"]["portal:stage"].as_str().unwrap_or("?").to_string();
            (stage, signer(r, &roles))
        })
        .collect();
    assert_eq!(
        decisions,
        [
            ("Dev".to_string(), Some(role("portal-approve-dev"))),
            ("Test".to_string(), Some(role("portal-approve-test"))),
            ("Prod".to_string(), Some(role("portal-approve-prod")))
        ],
        "the UpdateModelPackage of each decision and the role that signed it"
    );
    let others: Vec<_> = sagemaker
        .iter()
        .filter(|(op, r)| op != "UpdateModelPackage" && signer(r, &roles).is_some())
        .map(|(op, _)| op.clone())
        .collect();
    assert!(others.is_empty(), "only decisions use the approval roles: {others:?}");
    assert!(sagemaker.len() > decisions.len(), "reads were recorded too: {}", sagemaker.len());
}

#[tokio::test]
async fn an_approval_event_delivered_after_an_outside_change_moves_nothing() {
    let run = start().await;
    let service = &run.portal.state.service;
    let registry = run.portal.state.sagemaker.clone().expect("the SageMaker registry");
    let id = run.register("run-late").await;
    // Dana approves in the portal; its event waits in the outbox (the dispatcher has not run yet).
    let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
    let detail = service.version_detail(&Actor::Person(dana.clone()), &id).await.expect("detail");
    let request = DecisionRequest {
        stage: Stage::Dev,
        verdict: Verdict::Approve,
        justification: "Beats the baseline.".into(),
        evidence_digest: detail.digest,
        seen_test_run: None,
    };
    service.decide(&dana, &id, request).await.expect("decided");
    // Before the consumer copies it, someone rejects the package in the console.
    aws_sdk_sagemaker::Client::new(&run.config)
        .update_model_package()
        .model_package_arn(arn(&registry, &id))
        .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Rejected)
        .send()
        .await
        .expect("rejected in the console");
    // The approval's delivery (and a redelivery) finds it no longer standing: no central copy is made.
    run.dispatch().await;
    let dev = service.version(&reader(), &id).await.expect("read");
    assert_eq!(dev.central_copy, None, "no central copy of a version SageMaker now says is rejected");
    assert_eq!(dev.outside.map(|o| o.registry.1), Some(ApprovalStatus::Rejected), "shown as changed outside");
    let approval = service
        .events(&reader(), Some(&id), Window::new(0, 20))
        .await
        .expect("events")
        .items
        .into_iter()
        .find(|r| r.envelope.detail_type == "ModelApproved")
        .expect("the approval event");
    service.handle_event(&approval.envelope).await.expect("handled");
    assert_eq!(service.version(&reader(), &id).await.expect("read").central_copy, None, "redelivered: still none");
}

/// Makes `count` packages in a group directly on the emulator (as another tool would, or before the portal
/// ran): (group name, description, status, the portal's stage mirror). One at a time within the group: the
/// emulator numbers a group's versions by counting them, so two creates in flight at once in one group can get
/// the same number and one package silently replaces the other (seen as a listing 1 to 7 short). Callers
/// seed different groups concurrently instead.
async fn seed_packages(
    config: &aws_config::SdkConfig,
    group: &str,
    count: usize,
    description: &str,
    status: aws_sdk_sagemaker::types::ModelApprovalStatus,
) {
    let sagemaker = aws_sdk_sagemaker::Client::new(config);
    let _ = sagemaker.create_model_package_group().model_package_group_name(group).send().await;
    let before = group_size(&sagemaker, group).await;
    for i in 0..count {
        // The emulator sometimes answers a create with a bare 500 under this load (an exception inside it,
        // seen on a slow machine). It may or may not have made the package: the group's size says which, so a
        // retry never makes a second one.
        let mut attempts = 0;
        while let Err(e) = sagemaker
            .create_model_package()
            .model_package_group_name(group)
            .model_package_description(format!("{description} #{i}"))
            .model_approval_status(status.clone())
            .inference_specification(
                aws_sdk_sagemaker::types::InferenceSpecification::builder()
                    .containers(
                        aws_sdk_sagemaker::types::ModelPackageContainerDefinition::builder()
                            .image("xgb:1")
                            .model_data_url("s3://ml-artifacts/seeded/model.tar.gz")
                            .build(),
                    )
                    .supported_content_types("application/json")
                    .supported_response_mime_types("application/json")
                    .build(),
            )
            .customer_metadata_properties("portal:stage", "Dev")
            .customer_metadata_properties("portal:revision", "1")
            .customer_metadata_properties("portal:project", "credit-risk")
            .send()
            .await
        {
            attempts += 1;
            let made = group_size(&sagemaker, group).await;
            if made == before + i + 1 {
                break;
            }
            assert!(
                attempts < 5 && made == before + i,
                "a seeded package ({made} in {group} after {attempts} tries): {e:?}"
            );
        }
    }
    // The emulator must hold exactly what was made, or every count below would be off for a reason of its own.
    let listed = sagemaker
        .list_model_packages()
        .model_package_group_name(group)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .len();
    assert!(listed >= count, "the emulator holds {listed} of the {count} packages seeded in {group}");
}

/// How many packages the emulator holds in `group`, from a listing that answered every page.
async fn group_size(sagemaker: &aws_sdk_sagemaker::Client, group: &str) -> usize {
    for _ in 0..5 {
        let pages = sagemaker.list_model_packages().model_package_group_name(group).into_paginator().items().send();
        let items = pages.collect::<Vec<_>>().await;
        if items.iter().all(|p| p.is_ok()) {
            return items.len();
        }
    }
    panic!("the emulator failed to list {group} five times");
}

/// Every id of a listing, read page by page with `limit` (the query's window replaced).
async fn every_page(
    service: &governance::service::Service,
    query: &governance::ports::VersionQuery,
    limit: u64,
) -> (Vec<VersionId>, u64) {
    let mut ids = Vec::new();
    let mut offset = 0;
    loop {
        let q = governance::ports::VersionQuery { window: Window::new(offset, limit), ..query.clone() };
        let page = service.versions(&reader(), &q).await.expect("a page");
        let seen = page.items.len() as u64;
        ids.extend(page.items.into_iter().map(|v| v.id));
        offset += seen;
        if seen == 0 || offset >= page.total {
            return (ids, page.total);
        }
    }
}

/// Past 200 packages (where the live views stopped) at 5,000: 3,400 Dev packages in 18 groups (one named inside
/// another's descriptions, one with unicode descriptions, fifteen with empty ones) and 1,600 approved central
/// packages older than a fresh central copy, besides the portal's own version and a group of no project. Every listing is complete and exact at every offset, group counts are
/// exact, the fresh copy reaches the AI engineer's inbox, and pages cost no SageMaker call (the index), a
/// version page a few.
#[tokio::test]
async fn the_registry_index_lists_every_package_exactly_at_any_size_and_offset() {
    const DEV: u64 = 300 + 60 + 40 + 15 * 200;
    const CENTRAL: u64 = 1_600;
    use aws_sdk_sagemaker::types::ModelApprovalStatus as Status;
    use governance::ports::VersionQuery;
    // The emulator has no throttling: the reconciliation need not be paced.
    let run = start_with(moto::Moto::start(), |aws| aws.reconcile_calls_per_second = 10_000).await;
    let service = &run.portal.state.service;
    let registry = run.portal.state.sagemaker.clone().expect("the SageMaker registry");
    let index = run.portal.reconciler.as_ref().expect("a reconciler").index.clone();
    let started = std::time::Instant::now();
    // Each group one package at a time (see seed_packages), the groups at once.
    let names: Vec<String> = (1..=15).map(|g| format!("credit-risk-g{g:02}")).collect();
    let mut seeds: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>> = vec![
        Box::pin(seed_packages(
            &run.config,
            "credit-risk-big",
            300,
            "big, compare with credit-risk-small",
            Status::PendingManualApproval,
        )),
        Box::pin(seed_packages(&run.config, "credit-risk-small", 60, "small", Status::PendingManualApproval)),
        Box::pin(seed_packages(
            &run.config,
            "credit-risk-unicode",
            40,
            "ünïcödé — 模型",
            Status::PendingManualApproval,
        )),
        Box::pin(seed_packages(
            &run.config,
            "central-credit-risk-big",
            1_600,
            "an older central package",
            Status::Approved,
        )),
        Box::pin(seed_packages(&run.config, "made-by-hand", 3, "no project's", Status::PendingManualApproval)),
    ];
    for name in &names {
        seeds.push(Box::pin(seed_packages(&run.config, name, 200, "", Status::PendingManualApproval)));
    }
    futures_util::future::join_all(seeds).await;
    eprintln!("seeded 5,003 packages in 20 groups in {:?}", started.elapsed());

    // A version through the portal, approved for Dev: its central copy is the newest central package.
    let fresh = run.register("run-fresh").await;
    let v = service.ports_for_tests().registry.version(&fresh).await.expect("read").expect("exists");
    let approved = run.decide("dana", &v, Stage::Dev).await;
    let copy = approved.central_copy.clone().expect("a central copy");

    let started = std::time::Instant::now();
    let done = index.reconcile().await.expect("reconcile");
    eprintln!(
        "reconciled {} summaries, {} describes, {} calls in {:?}",
        done.listed,
        done.described,
        done.calls,
        started.elapsed()
    );
    assert_eq!(done.listed, DEV + CENTRAL + 2, "every package listed: {done:?}");
    // Once the index is whole, a pass costs its listing pages and its turn of stalest describes only.
    let again = index.reconcile().await.expect("reconcile again");
    eprintln!("a second pass: {} describes, {} calls", again.described, again.calls);
    assert!(again.changed.is_empty() && again.removed.is_empty(), "{again:?}");
    assert!(again.described <= 50 && again.calls <= 200, "{again:?}");

    let calls = || registry.calls().total();
    let before = calls();
    // Dev listing: exact total, every id once, at every offset.
    let dev = VersionQuery { central: Some(false), ..VersionQuery::default() };
    let (ids, total) = every_page(service, &dev, 200).await;
    assert_eq!((total, ids.len() as u64), (DEV + 1, DEV + 1), "every Dev version, counted exactly");
    assert_eq!(ids.iter().collect::<std::collections::BTreeSet<_>>().len() as u64, DEV + 1, "each once");
    let far = service
        .versions(&reader(), &VersionQuery { window: Window::new(DEV + 1 - 11, 20), ..dev.clone() })
        .await
        .expect("a far page");
    assert_eq!((far.items.len() as u64, far.total), (11, DEV + 1), "offsets past 200 are not empty");
    // Stage filter: every Dev-stage version, central ones included.
    let (_, at_dev) =
        every_page(service, &VersionQuery { stage: Some(Stage::Dev), ..VersionQuery::default() }, 100).await;
    assert_eq!(
        at_dev,
        DEV + 1 + CENTRAL + 1,
        "every version at Dev: the Dev packages (the approved one too) and the central ones"
    );
    // An exact group filter and exact group counts: the group named in another's descriptions is not counted there.
    let group = |name: &str| VersionQuery {
        group: Some(governance::ids::ModelGroupName(name.into())),
        central: Some(false),
        ..VersionQuery::default()
    };
    assert_eq!(every_page(service, &group("small"), 200).await.1, 60);
    assert_eq!(every_page(service, &group("big"), 200).await.1, 300);
    let groups = service.model_groups(&reader(), None, Window::new(0, 50)).await.expect("groups");
    let count = |name: &str| groups.items.iter().find(|g| g.name.as_str() == name).map(|g| g.version_count);
    assert_eq!(
        (count("big"), count("small"), count("unicode"), count("pd-model")),
        (Some(300), Some(60), Some(40), Some(1))
    );
    let big = groups.items.iter().find(|g| g.name.as_str() == "big").expect("big");
    assert_eq!(
        big.latest.map(|l| l.0),
        Some(1_600),
        "the newest of big is its central package 1600 (numbers are per group)"
    );
    // Awaiting Test: 211 approved central packages at Dev, the fresh copy the newest; the inbox reaches it.
    let awaiting = service
        .ports_for_tests()
        .registry
        .awaiting(Stage::Test, &[governance::ProjectId("credit-risk".into())], Window::new(CENTRAL - 10, 50))
        .await
        .expect("awaiting");
    assert_eq!(awaiting.total, CENTRAL + 1);
    assert!(awaiting.items.iter().any(|v| v.id == copy), "the newest is on the last page");
    let erin = server::demo::people().into_iter().find(|p| p.subject.as_str() == "erin").expect("erin");
    let inbox = service.inbox(&erin).await.expect("inbox");
    assert!(
        inbox.iter().any(|i| i.version.id == copy && i.stage == Stage::Test),
        "the fresh copy awaits the AI engineer"
    );
    assert_eq!(
        calls() - before,
        0,
        "lists, counts, groups and the inbox cost no SageMaker call: {:?}",
        registry.calls().by_operation()
    );

    // A version page reads its package live, and little else.
    let before = calls();
    service.version_detail(&reader(), &copy).await.expect("the version page");
    let spent = calls() - before;
    assert!(spent <= 5, "a version page costs {spent} SageMaker calls");

    // Groups of no project are listed for operations and auditors (the audit page), and only for them.
    let unmanaged = service.unmanaged_groups(&reader()).await.expect("unmanaged");
    assert!(unmanaged.iter().any(|g| g.name == "made-by-hand" && g.account == moto::ACCOUNT), "{unmanaged:?}");
    assert!(!unmanaged
        .iter()
        .any(|g| g.name.starts_with("credit-risk-") || g.name.starts_with("central-credit-risk-")));
    assert!(service.unmanaged_groups(&Actor::Person(erin)).await.is_err(), "not for an AI engineer");
}

/// A package whose metadata another tool filled to SageMaker's limit (50 entries) cannot take the decision's
/// entries: the decision is refused before anything is written, with a message that names the limit and what
/// to do, and the package, the record and the events are as they were.
#[tokio::test]
async fn a_package_with_full_metadata_refuses_a_decision_with_the_reason_and_changes_nothing() {
    let run = start().await;
    let service = &run.portal.state.service;
    let registry = run.portal.state.sagemaker.clone().expect("the SageMaker registry");
    let sagemaker = aws_sdk_sagemaker::Client::new(&run.config);
    let id = run.register("run-full").await;
    let dev_arn = arn(&registry, &id);
    let described = sagemaker.describe_model_package().model_package_name(&dev_arn).send().await.expect("describe");
    let mut meta = described.customer_metadata_properties().cloned().unwrap_or_default();
    let theirs = 50 - meta.len();
    for i in 0..theirs {
        meta.insert(format!("other-tool:key-{i}"), "v".into());
    }
    assert_eq!(meta.len(), 50);
    sagemaker
        .update_model_package()
        .model_package_arn(&dev_arn)
        .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::PendingManualApproval)
        .set_customer_metadata_properties(Some(meta))
        .send()
        .await
        .expect("another tool fills the metadata");
    run.dispatch().await;
    run.received().await;

    let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
    let detail = service.version_detail(&Actor::Person(dana.clone()), &id).await.expect("evidence");
    let request = DecisionRequest {
        stage: Stage::Dev,
        verdict: Verdict::Approve,
        justification: "Dev gates met.".into(),
        evidence_digest: detail.digest,
        seen_test_run: None,
    };
    let refused = service.decide(&dana, &id, request).await.expect_err("refused");
    let message = refused.to_string();
    assert!(
        matches!(refused, governance::service::ServiceError::Conflict(_))
            && message.contains("SageMaker allows 50")
            && message.contains(&format!("{theirs} of them were set outside the portal")),
        "{message}"
    );
    assert_eq!(run.package(&id).await, ("PendingManualApproval".into(), "Dev".into()), "the package is as it was");
    assert!(service.decisions(&reader(), &id).await.expect("decisions").is_empty(), "no decision recorded");
    run.dispatch().await;
    assert!(run.received().await.is_empty(), "no event");
    let pending = governance::ports::RegistryJournal::pending_decisions(
        run.portal.state.store.ports().journal.as_ref(),
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
    )
    .await
    .expect("pending");
    assert!(pending.is_empty(), "nothing left pending");
}

/// With SageMaker unreachable, `/readyz` says so (503, naming it), a version read through the API answers 503
/// naming SageMaker rather than the portal's database, and the lists go on from the registry index.
#[tokio::test]
async fn an_unreachable_sagemaker_is_named_by_readyz_and_the_api_while_lists_go_on() {
    let mut run = start().await;
    let id = run.register("run-outage").await;
    let (status, ready) = run.send("GET", "/readyz", &[], String::new()).await;
    assert_eq!((status, &ready["backends"]["SageMaker"]), (StatusCode::OK, &serde_json::json!("ok")), "{ready}");

    run.moto.stop();
    let (status, ready) = run.send("GET", "/readyz", &[], String::new()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["backends"]["database"], "ok");
    assert!(ready["backends"]["SageMaker"].as_str().is_some_and(|s| s.contains("SageMaker")), "{ready}");

    let bearer = format!("Bearer {TOKEN}");
    let (status, body) =
        run.send("GET", &format!("/api/v1/versions/{id}"), &[("authorization", &bearer)], String::new()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "backend_unavailable");
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("SageMaker is unavailable")), "{body}");
    let (status, body) =
        run.send("GET", "/api/v1/versions?project=credit-risk", &[("authorization", &bearer)], String::new()).await;
    assert_eq!(status, StatusCode::OK, "lists read the index: {body}");
    assert_eq!(body["total"], 1);
}

/// A version number SageMaker reuses (a package deleted and made again) is another package: the decisions
/// recorded on the earlier one do not count for it. The emulator cannot delete packages, so the re-creation is
/// what the registry index learns from SageMaker's listing: the package's creation time, here an hour later.
#[tokio::test]
async fn decisions_on_an_earlier_package_of_the_same_number_do_not_count_for_a_new_one() {
    let run = start().await;
    let id = run.register("run-reused").await;
    let v = run.portal.state.service.ports_for_tests().registry.version(&id).await.expect("read").expect("exists");
    run.decide("dana", &v, Stage::Dev).await;
    let registry = &run.portal.state.service.ports_for_tests().registry;
    assert_eq!(registry.decisions(&id).await.expect("decisions").len(), 1, "the Dev approval of this package");

    let later = server::store::ts_for_tests(chrono::Utc::now() + chrono::Duration::hours(1));
    sqlx::query("UPDATE registry_index SET registered_at = ? WHERE id = ?")
        .bind(later)
        .bind(id.as_str())
        .execute(run.portal.state.store.sqlite_pool().expect("the SQLite store"))
        .await
        .expect("the index learns of a package made again");
    assert!(
        registry.decisions(&id).await.expect("decisions").is_empty(),
        "the earlier package's approval does not count"
    );
}

#[tokio::test]
async fn a_package_made_again_under_an_earlier_number_inherits_neither_its_details_nor_its_central_copy() {
    use governance::ports::CopyOutcome;
    let run = start().await;
    let id = run.register("run-recreated").await;
    let registry = run.portal.state.service.ports_for_tests().registry.clone();
    let v = registry.version(&id).await.expect("read").expect("exists");
    assert_eq!(v.metrics.get("auc"), Some(&0.82), "the registration's metrics, kept in the portal database");
    let approved = run.decide("dana", &v, Stage::Dev).await;
    let first_copy = approved.central_copy.clone().expect("the consumer made the central copy");

    // What the journal kept now belongs to an earlier package of the same number: the package SageMaker holds
    // was made an hour after it (deleted and registered again outside the portal, as the emulator cannot).
    let pool = run.portal.state.store.sqlite_pool().expect("the SQLite store");
    for sql in [
        "UPDATE journal_version_details SET package_created = package_created - 3600000 WHERE version = ?",
        "UPDATE journal_copy_claims SET source_created = source_created - 3600000 WHERE source = ?",
    ] {
        let done = sqlx::query(sql).bind(id.as_str()).execute(pool).await.expect("the journal's rows");
        assert_eq!(done.rows_affected(), 1, "{sql}");
    }
    let v = registry.version(&id).await.expect("read").expect("exists");
    assert!(v.metrics.is_empty(), "the earlier package's metrics are not this one's: {:?}", v.metrics);
    assert_eq!(v.model_card, governance::model::ModelCard::default(), "nor is its model card");
    assert_eq!(v.central_copy, None, "nor its central copy");
    let page = run.page("/versions/".to_string() + id.as_str(), "dana").await;
    assert!(!page.contains(first_copy.as_str()), "the version page links no central copy of the earlier package");
    // The page says where its state comes from: the package read live, the lists as of the last reconciliation.
    assert!(page.contains("Read live from SageMaker at"), "{page}");
    assert!(
        page.contains("the registry&#x27;s lists last agreed with SageMaker in full at")
            || page.contains("the registry's lists last agreed with SageMaker in full at"),
        "the reconciliation's time"
    );

    // Its Dev approval is copied afresh, not answered "already copied".
    let outcome = registry
        .copy_to_central(
            &id,
            VersionId("unused".into()),
            &governance::EventId("evt-recreated".into()),
            chrono::Utc::now(),
            Box::new(|_| governance::ports::Effects::default()),
        )
        .await
        .expect("the copy");
    match outcome {
        CopyOutcome::Created(copy) => assert_ne!(copy.id, first_copy, "a new central package"),
        CopyOutcome::AlreadyCopied(copy) => panic!("answered 'already copied' with the earlier package's {copy}"),
    }
}

impl Run {
    /// A new pd-model version taken to Prod (dana, erin, CI's test run, gina): its central copy.
    async fn in_prod(&self, training_run: &str) -> ModelVersion {
        let service = &self.portal.state.service;
        let read = |id: VersionId| async move {
            service.ports_for_tests().registry.version(&id).await.expect("read").expect("exists")
        };
        let dev = self.decide("dana", &read(self.register(training_run).await).await, Stage::Dev).await;
        let central = read(dev.central_copy.clone().expect("the central copy")).await;
        let erin = server::demo::people().into_iter().find(|p| p.subject.as_str() == "erin").expect("erin");
        for environment in [Environment::Test, Environment::Prod] {
            service.save_deployment_config(&erin, &central.id, environment, one_instance()).await.expect("config");
        }
        let tested = self.decide("erin", &central, Stage::Test).await;
        let run = serde_json::json!({
            "junit_xml": r#"<testsuite name="it"><testcase name="invoke" time="0.1"/></testsuite>"#,
            "performance": {"latency_p99_ms": 110.0},
        });
        let bearer = format!("Bearer {TOKEN}");
        let uri = format!("/api/v1/versions/{}/test-runs", tested.id);
        assert_eq!(
            self.send("POST", &uri, &[("authorization", &bearer)], run.to_string()).await.0,
            StatusCode::CREATED
        );
        self.decide("gina", &tested, Stage::Prod).await
    }
}

#[tokio::test]
async fn a_rollback_and_a_retirement_on_sagemaker_go_through_the_pending_decision_protocol() {
    let run = start().await;
    let service = run.portal.state.service.clone();
    let (earlier, current) = (run.in_prod("run-a").await, run.in_prod("run-b").await);
    assert!(earlier.number < current.number);
    run.received().await;
    let hugo = server::demo::people().into_iter().find(|p| p.subject.as_str() == "hugo").expect("hugo");
    let digest = |v: &ModelVersion| {
        let (service, id, hugo) = (service.clone(), v.id.clone(), hugo.clone());
        async move { service.version_detail(&Actor::Person(hugo), &id).await.expect("evidence").digest }
    };

    // The rollback: the current package rejected on SageMaker, the earlier one still approved for Prod, the
    // event on the bus, the earlier version's Prod deployment requested, no decision left pending.
    let request = governance::decision::RollbackRequest {
        to: earlier.id.clone(),
        justification: "p99 regressed after the release.".into(),
        evidence_digest: digest(&earlier).await,
        review: None,
    };
    service.roll_back(&hugo, &current.id, request).await.expect("rolled back");
    run.dispatch().await;
    assert_eq!(run.package(&current.id).await, ("Rejected".into(), "Prod".into()));
    assert_eq!(run.package(&earlier.id).await, ("Approved".into(), "Prod".into()));
    let events = run.received().await;
    assert!(events.iter().any(|(t, _, v)| t == "ModelRolledBack" && v == current.id.as_str()), "{events:?}");
    let requests = service.deployment_requests(&reader(), &earlier.id).await.expect("deployments");
    assert_eq!(requests.iter().filter(|d| d.environment == Environment::Prod).count(), 2, "signed off, then back");
    let pending = service.ports_for_tests().registry.pending_states(&current.id).await.expect("pending");
    assert!(pending.is_empty(), "{pending:?}");

    // The earlier version retired: its package rejected too; it can no longer be rolled back to.
    let request = governance::decision::RetireRequest {
        justification: "Superseded; data retention ends.".into(),
        evidence_digest: digest(&earlier).await,
        review: None,
    };
    service.retire(&hugo, &earlier.id, request).await.expect("retired");
    run.dispatch().await;
    assert_eq!(run.package(&earlier.id).await, ("Rejected".into(), "Prod".into()));
    assert!(run.received().await.iter().any(|(t, _, v)| t == "ModelRetired" && v == earlier.id.as_str()));
    let shown = service.version(&reader(), &earlier.id).await.expect("read");
    assert_eq!((shown.stage, shown.status, shown.outside), (Stage::Prod, ApprovalStatus::Rejected, None));
    drop(run.moto);
}
