//! The portal's CloudFormation template (deploy/cloudformation/portal.yaml) deployed onto the AWS emulator (moto),
//! and the portal run against what the stack created, configured from the stack's outputs only: the promotion
//! events it publishes reach the stack's bus (a CI/CD account's rule on it receives them), and SageMaker's
//! state changes, put on the central bus (as a Dev account's forwarding rule does) and on the central account's
//! default bus, reach the stack's queue through the stack's rules and are taken in by the portal's consumer:
//! each recorded on its version's timeline, every message deleted. The roles carry the policies docs/aws.md
//! documents.
//!
//! moto's CloudFormation has no implementation of AWS::Events::EventBusPolicy, AWS::SQS::QueuePolicy and
//! AWS::CloudWatch::Alarm (it skips them and still reports them CREATE_COMPLETE), so the stack is deployed with
//! `EmulatorMode=true`, which leaves exactly those three out; cfn-lint (AWS's resource specifications, in moto's
//! venv) checks the whole template, those three included. moto enforces neither IAM nor resource policies.

#[path = "../../aws/tests/common/mod.rs"]
mod moto;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::decision::{DecisionRequest, Verdict};
use governance::{Actor, ApprovalStatus, Stage, VersionId};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::aws::queue::{Polled, StateChangeConsumer};
use server::settings::{Secret, Settings};
use tower::ServiceExt;

const TOKEN: &str = "test-token-credit-risk";
/// Not the default bus name, so the portal reaches this bus only through the stack's output.
const BUS: &str = "portal-e2e-promotions";
const ORGANIZATION: &str = "o-exampleorgid";
/// The portal's own identity (its ECS task role on AWS), allowed to assume the stack's roles.
const TRUST: &str = "arn:aws:iam::123456789012:role/portal-task";

fn template() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/cloudformation/portal.yaml")
}

/// Creates the stack with boto3 from moto's own venv, waits until it is no longer in progress (a poll with a
/// deadline) and prints the stack's status, outputs, resources and roles as JSON. boto3 rather than the
/// aws-sdk-cloudformation crate, which is not in Cargo.lock: that would be another SDK crate to download and
/// compile (on 2 cores) for four calls, whereas the venv is already required by every emulator test.
const DEPLOY: &str = r#"
import ast, json, sys, time
import boto3

url, region, template, bus, org, trust = sys.argv[1:7]
kw = dict(endpoint_url=url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
cf, iam = boto3.client("cloudformation", **kw), boto3.client("iam", **kw)
with open(template) as f:
    body = f.read()
params = {"OrganizationId": org, "PortalRoleTrustPrincipal": trust, "BusName": bus, "EmulatorMode": "true"}
stack = cf.create_stack(
    StackName="governance-portal", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
)["StackId"]
deadline = time.monotonic() + 60
while True:
    described = cf.describe_stacks(StackName=stack)["Stacks"][0]
    if not described["StackStatus"].endswith("_IN_PROGRESS"):
        break
    if time.monotonic() > deadline:
        sys.exit("the stack is still " + described["StackStatus"] + " after 60 s")
    time.sleep(0.2)

def document(doc):
    # moto stores an inline policy given by CloudFormation as the Python repr of its dict, not as JSON.
    if isinstance(doc, str):
        try:
            return json.loads(doc)
        except ValueError:
            return ast.literal_eval(doc)
    return doc

outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
roles = {}
for key in ("RegistryRoleArn", "TestApprovalRoleArn", "ProdApprovalRoleArn"):
    name = outputs.get(key, "").rsplit("/", 1)[-1]
    if name:
        names = iam.list_role_policies(RoleName=name)["PolicyNames"]
        roles[name] = {
            "trust": document(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]),
            "policies": {p: document(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]) for p in names},
        }
# moto lists a resource it skipped (a false condition, an unsupported type) as an entry without a logical id.
resources = cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]
print(json.dumps({
    "status": described["StackStatus"], "reason": described.get("StackStatusReason"), "outputs": outputs,
    "resources": sorted(r["LogicalResourceId"] for r in resources if r.get("LogicalResourceId")), "roles": roles,
}))
"#;

/// The stack as deployed: what the deploy script printed.
struct Stack {
    status: String,
    reason: Value,
    outputs: BTreeMap<String, String>,
    resources: Vec<String>,
    roles: Value,
}

impl Stack {
    fn deploy(moto: &moto::Moto) -> Stack {
        let python = moto::venv().join("bin/python");
        let template = template();
        let out = Command::new(&python)
            .arg("-c")
            .arg(DEPLOY)
            .arg(&moto.url)
            .arg(moto::REGION)
            .arg(&template)
            .args([BUS, ORGANIZATION, TRUST])
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
        assert!(out.status.success(), "the stack was not created: {}", String::from_utf8_lossy(&out.stderr));
        let printed: Value = serde_json::from_slice(&out.stdout).expect("the deploy script's JSON");
        let outputs = printed["outputs"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        let resources = printed["resources"]
            .as_array()
            .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let status = printed["status"].as_str().unwrap_or_default().to_string();
        Stack { status, reason: printed["reason"].clone(), outputs, resources, roles: printed["roles"].clone() }
    }

    fn output(&self, key: &str) -> String {
        self.outputs.get(key).cloned().unwrap_or_else(|| panic!("the stack has no output {key}: {:?}", self.outputs))
    }
}

/// The JSON block of docs/aws.md that follows `heading`, for the emulator's account and region.
fn documented_policy(heading: &str) -> Value {
    let docs =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/aws.md")).expect("docs/aws.md");
    let after = &docs[docs.find(heading).unwrap_or_else(|| panic!("docs/aws.md has no {heading:?}"))..];
    let block = after.split("```json\n").nth(1).and_then(|b| b.split("```").next()).expect("a JSON block");
    let block = block.replace("eu-west-1", moto::REGION).replace("111111111111", moto::ACCOUNT);
    serde_json::from_str(&block).unwrap_or_else(|e| panic!("the policy after {heading:?} is not JSON: {e}"))
}

/// SageMaker's `SageMaker Model Package State Change` detail for a package, as SageMaker emits it.
fn state_change_detail(arn: &str, group: &str, status: &str, metadata: &Value) -> String {
    json!({
        "ModelPackageGroupName": group, "ModelPackageArn": arn, "ModelApprovalStatus": status,
        "ModelPackageStatus": "Completed", "CustomerMetadataProperties": metadata
    })
    .to_string()
}

struct Run {
    portal: server::Portal,
    router: axum::Router,
    config: aws_config::SdkConfig,
    _dir: tempfile::TempDir,
}

impl Run {
    /// Registers a pd-model version through the API as CI does; returns its id.
    async fn register(&self) -> VersionId {
        let body = json!({
            "model_group": "pd-model", "artifact_uri": "s3://ml-artifacts/pd-model/run-cfn/model.tar.gz",
            "container_image": "xgb:1", "metrics": {"auc": 0.81}
        });
        let request = Request::post("/api/v1/projects/credit-risk/versions")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let registered: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::CREATED, "{registered}");
        VersionId(registered["id"].as_str().expect("an id").into())
    }

    /// Runs the outbox dispatcher until nothing is due (the central copy's consumer and the EventBridge target).
    async fn dispatch(&self) {
        for _ in 0..10 {
            if self.portal.dispatcher.tick().await == 0 {
                return;
            }
        }
        panic!("the dispatcher still had work after 10 ticks");
    }

    /// Dana approves the version for Dev in the portal.
    async fn approve_dev(&self, id: &VersionId) {
        let service = &self.portal.state.service;
        let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").expect("dana");
        let detail = service.version_detail(&Actor::Person(dana.clone()), id).await.expect("evidence");
        let request = DecisionRequest {
            stage: Stage::Dev,
            verdict: Verdict::Approve,
            justification: "Beats the baseline.".into(),
            evidence_digest: detail.digest,
            seen_test_run: None,
        };
        service.decide(&dana, id, request).await.expect("decide");
        self.dispatch().await;
    }

    fn arn(&self, id: &VersionId) -> String {
        let registry = self.portal.state.sagemaker.as_ref().expect("the SageMaker registry");
        registry.arn(&portal_aws::names::PackageRef::parse(id).expect("a SageMaker version id"))
    }

    /// Someone rejects the package in the SageMaker console: only its approval status changes (the whole
    /// metadata map is sent back, since moto replaces it); returns SageMaker's event detail for the change.
    async fn reject_in_console(&self, id: &VersionId) -> (String, String) {
        let sagemaker = aws_sdk_sagemaker::Client::new(&self.config);
        let arn = self.arn(id);
        let package = sagemaker.describe_model_package().model_package_name(&arn).send().await.expect("the package");
        let metadata = package.customer_metadata_properties().cloned().unwrap_or_default();
        let group = package.model_package_group_name().unwrap_or_default().to_string();
        let mut update = sagemaker
            .update_model_package()
            .model_package_arn(&arn)
            .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Rejected);
        for (key, value) in &metadata {
            update = update.customer_metadata_properties(key, value);
        }
        update.send().await.expect("rejected in the console");
        let metadata: serde_json::Map<String, Value> =
            metadata.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        (arn.clone(), state_change_detail(&arn, &group, "Rejected", &Value::Object(metadata)))
    }

    /// SageMaker's state-change event put on a bus (source `aws.sagemaker`, as AWS delivers it).
    async fn put_sagemaker_event(&self, bus: &str, arn: &str, detail: String) {
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(bus)
            .source("aws.sagemaker")
            .detail_type("SageMaker Model Package State Change")
            .resources(arn)
            .detail(detail)
            .build();
        let out = aws_sdk_eventbridge::Client::new(&self.config)
            .put_events()
            .entries(entry)
            .send()
            .await
            .expect("put the event");
        assert_eq!(out.failed_entry_count(), 0, "{out:?}");
    }

    /// The version page's "Changed outside the portal" timeline entries, as Gina (governance) sees them.
    async fn outside_on_timeline(&self, id: &VersionId) -> Vec<String> {
        let page = self.portal.state.service.version_page(&gina(), id, Default::default()).await.expect("the page");
        page.timeline.iter().filter(|e| e.title == "Changed outside the portal").map(|e| e.detail.clone()).collect()
    }
}

/// Gina, a governance engineer of the demo directory.
fn gina() -> governance::Principal {
    server::demo::people().into_iter().find(|p| p.subject.as_str() == "gina").expect("gina")
}

/// (messages waiting, messages in flight) on a queue, as SQS counts them.
async fn on_queue(config: &aws_config::SdkConfig, url: &str) -> (u64, u64) {
    let out = aws_sdk_sqs::Client::new(config)
        .get_queue_attributes()
        .queue_url(url)
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

async fn queue_attributes(config: &aws_config::SdkConfig, url: &str) -> BTreeMap<String, String> {
    aws_sdk_sqs::Client::new(config)
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("queue attributes")
        .attributes()
        .map(|a| a.iter().map(|(k, v)| (k.as_str().to_string(), v.clone())).collect())
        .unwrap_or_default()
}

/// Polls until a poll receives nothing (within a deadline); the sum of what the polls did.
async fn drain(consumer: &StateChangeConsumer) -> Polled {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut total = Polled::default();
    loop {
        assert!(Instant::now() < deadline, "the queue never emptied within 30 s: {total:?}");
        let p = consumer.poll_once().await.expect("the stack's queue is readable");
        if p.received == 0 {
            return total;
        }
        total.received += p.received;
        total.recorded += p.recorded;
        total.ignored += p.ignored;
        total.dropped += p.dropped;
        total.kept += p.kept;
    }
}

#[tokio::test]
async fn the_portal_runs_on_what_its_cloudformation_template_creates() {
    let started = Instant::now();

    // The whole template is valid CloudFormation for AWS, the resources moto cannot create included.
    let lint = Command::new(moto::venv().join("bin/cfn-lint")).arg(template()).output().expect("run cfn-lint");
    assert!(
        lint.status.success(),
        "cfn-lint finds problems in the template:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );

    let moto = moto::Moto::start();
    let config = moto.config().await;
    let stack = Stack::deploy(&moto);
    assert_eq!(stack.status, "CREATE_COMPLETE", "{}", stack.reason);
    assert_eq!(
        stack.resources,
        [
            "Bus",
            "DefaultBusStateChangeRule",
            "ProdApprovalRole",
            "RegistryRole",
            "StateChangeDeadLetterQueue",
            "StateChangeQueue",
            "StateChangeRule",
            "TestApprovalRole"
        ],
        "everything but the bus policy, the queue policy and the alarm (left out by EmulatorMode)"
    );
    let bus = stack.output("EventBusName");
    let queue_url = stack.output("StateChangeQueueUrl");
    let dead_letters_url = stack.output("StateChangeDeadLetterQueueUrl");
    let registry_role = stack.output("RegistryRoleArn");
    assert_eq!(bus, BUS);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let described = events.describe_event_bus().name(&bus).send().await.expect("the stack's bus exists");
    let bus_arn = described.arn().expect("the bus's ARN").to_string();

    // The queue as docs/aws.md asks: a redrive policy to the dead-letter queue after 5 receives, a 60 s
    // visibility timeout, 14 days' retention.
    let queue = queue_attributes(&config, &queue_url).await;
    let dead_letters = queue_attributes(&config, &dead_letters_url).await;
    let redrive: Value = serde_json::from_str(queue.get("RedrivePolicy").expect("a redrive policy")).expect("json");
    assert_eq!(redrive["deadLetterTargetArn"].as_str(), dead_letters.get("QueueArn").map(String::as_str));
    assert_eq!(redrive["maxReceiveCount"].to_string().trim_matches('"'), "5");
    assert_eq!(queue.get("VisibilityTimeout").map(String::as_str), Some("60"));
    assert_eq!(queue.get("MessageRetentionPeriod").map(String::as_str), Some("1209600"));
    assert_eq!(dead_letters.get("MessageRetentionPeriod").map(String::as_str), Some("1209600"));

    // The roles: trusted by the portal's identity, with the policies docs/aws.md documents.
    for role in ["portal-registry", "portal-approve-test", "portal-approve-prod"] {
        let trust = &stack.roles[role]["trust"]["Statement"][0];
        assert_eq!(
            (trust["Principal"]["AWS"].as_str(), trust["Action"].as_str()),
            (Some(TRUST), Some("sts:AssumeRole"))
        );
    }
    let policy = |role: &str, name: &str| stack.roles[role]["policies"][name].clone();
    assert_eq!(policy("portal-registry", "registry"), documented_policy("Registry role in the central account"));
    assert_eq!(policy("portal-approve-test", "decide-test"), documented_policy("AI engineers' role (Test decisions)"));
    assert_eq!(
        policy("portal-approve-prod", "decide-prod"),
        documented_policy("Governance engineers' role (Prod decisions)")
    );
    let queue_arn = queue.get("QueueArn").cloned().expect("the queue's ARN");
    let central = policy("portal-registry", "events-and-state-changes");
    assert_eq!(
        central["Statement"],
        json!([
            {"Sid": "PublishPromotionEvents", "Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn},
            {"Sid": "ReadStateChangeQueue", "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
             "Resource": queue_arn}
        ])
    );

    // A CI/CD account's rule on the stack's bus: a queue receiving everything the portal publishes.
    let promotions = moto::subscribe_queue(&config, &bus, "ml.portal", "cicd-promotions").await;

    // The portal, configured from the outputs: the bus, the queue, its central role and the approval roles.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut aws = moto.settings();
    aws.event_bus_name = bus.clone();
    aws.state_change_queue_url = Some(queue_url.clone());
    aws.central.role_arn = Some(registry_role.clone());
    aws.central.approval_roles.test = Some(stack.output("TestApprovalRoleArn"));
    aws.central.approval_roles.prod = Some(stack.output("ProdApprovalRoleArn"));
    server::aws::validate::validate(&aws).expect("the outputs make valid [aws] settings");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        project_tokens: [("credit-risk".to_string(), Secret(TOKEN.into()))].into_iter().collect(),
        event_account: moto::ACCOUNT.into(),
        event_region: moto::REGION.into(),
        aws: Some(aws),
        ..Settings::default()
    };
    let mut portal = server::build_with(settings, Some(config.clone())).await.expect("the portal builds on AWS");
    let consumer =
        portal.state_change_queue.take().expect("a consumer for the stack's queue").with_wait(Duration::from_secs(1));
    let router = server::routes::router(portal.state.clone());
    let run = Run { portal, router, config: config.clone(), _dir: dir };

    // (a) Registration and Dev approval in the portal: their events reach the stack's bus.
    let id = run.register().await;
    run.dispatch().await;
    run.approve_dev(&id).await;
    let received = moto::drain(&config, &promotions).await;
    let seen: Vec<(String, String, String, String)> = received
        .iter()
        .map(|b| {
            let s = |p: &str| b.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
            (s("/source"), s("/detail-type"), s("/detail/stage"), s("/detail/model/versionId"))
        })
        .collect();
    assert!(
        seen.iter().any(|(s, t, _, v)| s == "ml.portal" && t == "ModelVersionRegistered" && v == id.as_str()),
        "the registration's event on the stack's bus: {seen:?}"
    );
    let approved: (String, String, String, String) =
        ("ml.portal".into(), "ModelApproved".into(), "Dev".into(), id.to_string());
    assert!(seen.contains(&approved), "the Dev approval's event on the stack's bus: {seen:?}");
    // The portal published as the stack's registry role (moto's STS issued it a session).
    assert!(moto.access_key_roles().values().any(|r| r == &registry_role), "the portal assumed {registry_role}");
    // None of the portal's own events went into the state-change queue: the stack's rules take SageMaker's only.
    assert_eq!(on_queue(&config, &queue_url).await, (0, 0), "the state-change queue holds none of the portal's events");

    // (b) Changes made in the SageMaker console: the Dev package (its event forwarded to the central bus by the
    // Dev account's rule) and its central copy (an event on the central account's default bus).
    let service = &run.portal.state.service;
    let dev = service.ports_for_tests().registry.version(&id).await.expect("read").expect("exists");
    let central_id = dev.central_copy.clone().expect("the consumer made the central copy");
    let (dev_arn, dev_event) = run.reject_in_console(&id).await;
    run.put_sagemaker_event(&bus, &dev_arn, dev_event).await;
    let (central_arn, central_event) = run.reject_in_console(&central_id).await;
    run.put_sagemaker_event("default", &central_arn, central_event).await;

    let polled = drain(&consumer).await;
    assert_eq!(
        polled,
        Polled { received: 2, recorded: 2, ..Polled::default() },
        "both events reached the stack's queue through its rules and were recorded"
    );
    for version in [&id, &central_id] {
        let entries = run.outside_on_timeline(version).await;
        assert_eq!(entries.len(), 1, "one outside change on {version}'s timeline: {entries:?}");
        assert!(entries[0].contains("says Dev / Rejected"), "{}", entries[0]);
        let shown = service.version(&Actor::Person(gina()), version).await.expect("read");
        assert_eq!(shown.status, ApprovalStatus::Approved, "the record: no decision was taken outside");
        assert_eq!(shown.outside.map(|o| o.registry), Some((Stage::Dev, ApprovalStatus::Rejected)));
    }
    assert_eq!(on_queue(&config, &queue_url).await, (0, 0), "every message deleted: none waiting, none in flight");
    assert_eq!(on_queue(&config, &dead_letters_url).await, (0, 0), "nothing dead-lettered");
    eprintln!("stack on moto, portal against it: {:.1?}", started.elapsed());
}

/// The Kubernetes example (deploy/kubernetes/portal.yaml) against the Kubernetes API's own schemas
/// (`kubernetes-validate --strict`, in moto's venv: an unknown or misspelt field fails), and what it must say for
/// a fleet: two replicas, readiness on `/readyz`, a disruption budget over the same pods, the database URL from
/// a Secret, and settings the portal itself accepts.
#[test]
fn the_kubernetes_example_validates_and_runs_two_ready_replicas_on_postgres() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes/portal.yaml");
    let check = Command::new(moto::venv().join("bin/kubernetes-validate"))
        .arg("--strict")
        .arg(&manifest)
        .output()
        .expect("run kubernetes-validate (bash scripts/setup.sh --tests installs it)");
    let said = format!("{}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));
    assert!(check.status.success(), "kubernetes-validate refuses the example:\n{said}");
    for kind in ["configmap/portal-settings", "deployment/portal", "poddisruptionbudget/portal", "service/portal"] {
        assert!(said.contains(&format!("passed for resource {kind}")), "{kind} not checked:\n{said}");
    }
    let text = std::fs::read_to_string(&manifest).expect("the manifest");
    assert!(text.contains("replicas: 2"), "two replicas");
    assert!(text.contains("path: /readyz"), "readiness on /readyz");
    assert!(text.contains("kind: PodDisruptionBudget") && text.contains("minAvailable: 1"));
    assert!(text.contains("name: PORTAL_DATABASE_URL") && text.contains("secretKeyRef:"), "the URL from a Secret");
    // The ConfigMap's portal.toml, as the portal reads it (with the database URL the Secret would give).
    let toml: String = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("portal.toml: |"))
        .skip(1)
        .take_while(|l| l.starts_with("    ") || l.trim().is_empty())
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    assert!(toml.contains("mode = \"production\""), "{toml}");
    let settings = Settings::from_figment(
        figment::Figment::from(figment::providers::Serialized::defaults(Settings::default()))
            .merge(<figment::providers::Toml as figment::providers::Format>::string(&toml))
            .merge(figment::providers::Serialized::default("database_url", "postgres://portal@db:5432/portal")),
    )
    .expect("the example's settings are valid");
    assert_eq!(settings.database_url, Some(Secret("postgres://portal@db:5432/portal".into())));
    assert_eq!(settings.addr.port(), 3000);
}
