//! SageMaker's state-change events read from an SQS queue (`aws.state_change_queue_url`) on the emulator (moto):
//! a change made outside the portal arrives (twice, as AWS may send it) among the portal's own change, an unknown
//! package, an event that is no state change and a malformed message. The outside change is recorded once, the
//! rest is deleted (the malformed message logged, not retried forever) and the queue ends empty. A message whose
//! event cannot be recorded now (the database is locked) stays on the queue and is recorded when it comes back;
//! the consumer `main` runs takes events as they arrive and stops at once on shutdown, mid long poll.

#[path = "../../aws/tests/common/mod.rs"]
mod moto;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::ports::Window;
use governance::VersionId;
use http_body_util::BodyExt;
use portal_aws::SageMakerRegistry;
use server::aws::queue::{Polled, StateChangeConsumer};
use server::settings::{Secret, Settings};
use server::Portal;
use sqlx::Connection;
use tower::ServiceExt;

const TOKEN: &str = "test-token-credit-risk";
/// How long a received message stays invisible: short, so a message left on the queue comes back soon.
const VISIBILITY_SECS: &str = "2";

struct Run {
    portal: Portal,
    router: axum::Router,
    config: aws_config::SdkConfig,
    queue_url: String,
    dir: tempfile::TempDir,
    _moto: moto::Moto,
}

async fn start() -> Run {
    let moto = moto::Moto::start();
    let config = moto.config().await;
    let queue_url = aws_sdk_sqs::Client::new(&config)
        .create_queue()
        .queue_name("sagemaker-state-changes")
        .attributes(QueueAttributeName::VisibilityTimeout, VISIBILITY_SECS)
        .send()
        .await
        .expect("the queue")
        .queue_url()
        .unwrap_or_default()
        .to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut aws = moto.settings();
    aws.state_change_queue_url = Some(queue_url.clone());
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        project_tokens: [("credit-risk".to_string(), Secret(TOKEN.into()))].into_iter().collect(),
        event_account: moto::ACCOUNT.into(),
        event_region: moto::REGION.into(),
        aws: Some(aws),
        ..Settings::default()
    };
    // The settings are checked as at start-up: the emulator's queue URL is a valid one.
    server::aws::validate::validate(settings.aws.as_ref().expect("aws")).expect("valid [aws] settings");
    let portal = server::build_with(settings, Some(config.clone())).await.expect("the portal builds on AWS");
    let router = server::routes::router(portal.state.clone());
    Run { portal, router, config, queue_url, dir, _moto: moto }
}

impl Run {
    /// The consumer `build` wired for the queue, with a short long poll so an empty queue answers at once.
    fn consumer(&mut self) -> StateChangeConsumer {
        self.portal
            .state_change_queue
            .take()
            .expect("a consumer for the configured queue")
            .with_wait(Duration::from_secs(1))
    }

    /// Registers a pd-model version through the API as CI does; returns its id and its package ARN.
    async fn register(&self) -> (VersionId, String) {
        let body = serde_json::json!({
            "model_group": "pd-model", "artifact_uri": "s3://ml-artifacts/pd-model/run-q/model.tar.gz",
            "container_image": "xgb:1", "metrics": {"auc": 0.8}
        });
        let request = Request::builder()
            .method("POST")
            .uri("/api/v1/projects/credit-risk/versions")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::CREATED);
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let registered: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        let id = VersionId(registered["id"].as_str().expect("an id").into());
        let registry = self.portal.state.sagemaker.as_ref().expect("the SageMaker registry");
        let arn = arn(registry, &id);
        (id, arn)
    }

    /// Someone rejects the package in the SageMaker console (straight on the emulator, not through the portal).
    async fn reject_outside(&self, arn: &str) {
        aws_sdk_sagemaker::Client::new(&self.config)
            .update_model_package()
            .model_package_arn(arn)
            .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Rejected)
            .customer_metadata_properties("portal:stage", "Dev")
            .customer_metadata_properties("portal:revision", "1")
            .customer_metadata_properties("portal:project", "credit-risk")
            .send()
            .await
            .expect("update in the console");
    }

    async fn send(&self, body: &str) {
        aws_sdk_sqs::Client::new(&self.config)
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .expect("send");
    }

    /// (messages waiting, messages received and neither deleted nor back yet), as SQS counts them.
    async fn on_queue(&self) -> (u64, u64) {
        let out = aws_sdk_sqs::Client::new(&self.config)
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes");
        let count = |name: QueueAttributeName| {
            out.attributes().and_then(|a| a.get(&name)).and_then(|n| n.parse().ok()).expect("a count")
        };
        (
            count(QueueAttributeName::ApproximateNumberOfMessages),
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        )
    }

    /// The version's `ModelPackageChangedOutsidePortal` events and the `version.changed_outside_portal` audit
    /// entries naming it.
    async fn outside_changes(&self, id: &VersionId) -> (usize, usize) {
        let ledger = &self.portal.state.service.ports_for_tests().ledger;
        let events = ledger.events(Some(id), Window::new(0, 50)).await.expect("events");
        let events =
            events.items.iter().filter(|r| r.envelope.detail_type == "ModelPackageChangedOutsidePortal").count();
        let audit = ledger.audit(Window::new(0, 50)).await.expect("audit");
        let entries = audit
            .items
            .iter()
            .filter(|e| e.record.action == "version.changed_outside_portal" && e.record.target == id.as_str())
            .count();
        (events, entries)
    }
}

fn arn(registry: &SageMakerRegistry, version: &VersionId) -> String {
    let at = portal_aws::names::PackageRef::parse(version).expect("a SageMaker version id");
    registry.arn(&at)
}

/// SageMaker's event for a package, as an EventBridge rule with an SQS target puts it in the message body.
fn state_change(event_id: &str, arn: &str, status: &str) -> String {
    serde_json::json!({
        "version": "0", "id": event_id, "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker", "account": moto::ACCOUNT, "time": "2026-11-26T12:00:00Z", "region": moto::REGION,
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": "credit-risk-pd-model", "ModelPackageVersion": 1, "ModelPackageArn": arn,
            "ModelApprovalStatus": status, "ModelPackageStatus": "Completed",
            "CustomerMetadataProperties": { "portal:stage": "Dev" }
        }
    })
    .to_string()
}

/// Polls until a poll receives nothing; the sum of what the polls did.
async fn drain(consumer: &StateChangeConsumer) -> Polled {
    let mut total = Polled::default();
    for _ in 0..10 {
        let p = consumer.poll_once().await.expect("the queue is readable");
        if p.received == 0 {
            return total;
        }
        total.received += p.received;
        total.recorded += p.recorded;
        total.ignored += p.ignored;
        total.dropped += p.dropped;
        total.kept += p.kept;
    }
    panic!("the queue never emptied: {total:?}");
}

/// The log lines written while the guard lives (this thread's, which runs the test's tasks).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let log = self.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || log.clone()).finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log")).into_owned()
    }
}

#[tokio::test]
async fn an_outside_change_from_the_queue_is_recorded_once_and_every_message_is_deleted() {
    let started = Instant::now();
    let mut run = start().await;
    let consumer = run.consumer();
    let (id, arn) = run.register().await;
    run.reject_outside(&arn).await;

    // The registration's own event, the console's rejection delivered twice, a package of no project the portal
    // knows, another service's event and a body that is not JSON.
    run.send(&state_change("sm-evt-0", &arn, "PendingManualApproval")).await;
    run.send(&state_change("sm-evt-1", &arn, "Rejected")).await;
    run.send(&state_change("sm-evt-1", &arn, "Rejected")).await;
    let unknown = arn.replace("credit-risk-pd-model", "fraud-scoring-model");
    run.send(&state_change("sm-evt-2", &unknown, "Approved")).await;
    let other = serde_json::json!({"version": "0", "id": "ec2-1", "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2", "detail": {"state": "running"}});
    run.send(&other.to_string()).await;
    run.send("{\"version\": \"0\", \"id\": \"cut-off").await;

    let log = Log::default();
    let polled = {
        let _capture = log.capture();
        drain(&consumer).await
    };
    assert_eq!(
        polled,
        Polled { received: 6, recorded: 1, ignored: 3, dropped: 2, kept: 0 },
        "one outside change; own change, duplicate and unknown package deleted quietly; two dropped"
    );
    assert_eq!(run.outside_changes(&id).await, (1, 1), "one event on the version's timeline, one audit entry");
    assert_eq!(run.on_queue().await, (0, 0), "every message deleted: none waiting, none in flight");
    let log = log.text();
    assert!(
        log.contains("state-change message dropped") && log.contains("not JSON"),
        "the malformed message is logged: {log}"
    );
    assert!(log.contains("not a SageMaker model package state change"), "the other event is logged: {log}");

    // Later polls find nothing: the dropped messages are not delivered again.
    tokio::time::sleep(Duration::from_secs(VISIBILITY_SECS.parse().unwrap_or(2) + 1)).await;
    assert_eq!(drain(&consumer).await, Polled::default());
    // The portal shows its record (no decision was taken) and SageMaker's status beside it.
    let mut reader = governance::Principal::from_grants(governance::Subject("r".into()), "R", Default::default());
    reader.admin = true;
    let version = run.portal.state.service.version(&governance::Actor::Person(reader), &id).await.expect("read");
    assert_eq!(version.status, governance::ApprovalStatus::PendingManualApproval);
    assert_eq!(version.outside.map(|o| o.registry.1), Some(governance::ApprovalStatus::Rejected));
    eprintln!("queue consumer on moto: {:.1?}", started.elapsed());
}

#[tokio::test]
async fn a_message_that_cannot_be_recorded_now_stays_on_the_queue_and_is_recorded_when_it_comes_back() {
    let mut run = start().await;
    let consumer = run.consumer();
    let (id, arn) = run.register().await;
    run.reject_outside(&arn).await;
    run.send(&state_change("sm-evt-9", &arn, "Rejected")).await;

    // Another process holds the database's write lock for longer than the portal's busy timeout.
    let path = run.dir.path().join("portal.sqlite");
    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("connect");
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut lock).await.expect("lock");
    let polled = consumer.poll_once().await.expect("the queue is readable");
    assert_eq!(polled, Polled { received: 1, kept: 1, ..Polled::default() });
    assert_eq!(run.outside_changes(&id).await, (0, 0), "nothing recorded");
    let (waiting, in_flight) = run.on_queue().await;
    assert_eq!(waiting + in_flight, 1, "the message is still on the queue");
    sqlx::query("COMMIT").execute(&mut lock).await.expect("unlock");

    // After the visibility timeout SQS hands it out again; now it is recorded, once, and deleted.
    tokio::time::sleep(Duration::from_secs(VISIBILITY_SECS.parse().unwrap_or(2))).await;
    let polled = drain(&consumer).await;
    assert_eq!(polled, Polled { received: 1, recorded: 1, ..Polled::default() });
    assert_eq!(run.outside_changes(&id).await, (1, 1));
    assert_eq!(run.on_queue().await, (0, 0));
}

#[tokio::test]
async fn the_consumer_main_runs_takes_events_as_they_arrive_and_stops_at_once_on_shutdown() {
    let mut run = start().await;
    // As `main` runs it: SQS's full 20 s long poll.
    let consumer = run.portal.state_change_queue.take().expect("a consumer for the configured queue");
    let (id, arn) = run.register().await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(consumer.run(stopped));

    run.reject_outside(&arn).await;
    run.send(&state_change("sm-evt-5", &arn, "Rejected")).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while run.outside_changes(&id).await != (1, 1) {
        assert!(Instant::now() < deadline, "the running consumer did not record the event within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Shut down while it waits in a long poll on the now empty queue: it stops without waiting the poll out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    stop.send(true).expect("the consumer listens");
    tokio::time::timeout(Duration::from_secs(2), task).await.expect("stopped within 2 s").expect("no panic");
    assert!(asked.elapsed() < Duration::from_secs(2));
    assert_eq!(run.on_queue().await, (0, 0), "the message it took in was deleted");
}
