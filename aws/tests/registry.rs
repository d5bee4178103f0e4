//! The SageMaker registry adapter on the emulator: the registry conformance suite the embedded store passes,
//! the pending-decision protocol across a crash, one central copy under racing consumers, and error mapping.

mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use common::journal::MemoryJournal;
use common::Moto;
use governance::decision::{Decision, Verdict};
use governance::events::{EventOrigin, PromotionEvent, VersionRef};
use governance::policy::Transition;
use governance::ports::{Clock, CopyOutcome, DecisionCommit, Effects, ModelRegistry, StoreError};
use governance::{ApprovalStatus, DecisionId, EventId, Persona, ProjectId, Stage, Subject, VersionId};
use portal_aws::clients::SageMakerClients;
use portal_aws::SageMakerRegistry;

struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        Utc::now()
    }
}

async fn registry(moto: &Moto, journal: Arc<MemoryJournal>, projects: &[&str]) -> SageMakerRegistry {
    let settings = moto.settings();
    let clients = SageMakerClients::new(&moto.config().await, &settings).await;
    let projects = projects.iter().map(|p| ProjectId((*p).into())).collect();
    SageMakerRegistry::new(settings, clients, journal, Arc::new(SystemClock), projects).with_page_size(2)
}

#[tokio::test]
async fn the_sagemaker_registry_passes_the_conformance_suite() {
    let moto = Moto::start();
    // Two projects whose names share a prefix: neither may see the other's groups.
    let registry = registry(&moto, Arc::new(MemoryJournal::default()), &["credit", "credit-risk"]).await;
    let started = std::time::Instant::now();
    portal_conformance::registry::check_all(&registry, &ProjectId("credit-risk".into())).await;
    portal_conformance::registry::check_all(&registry, &ProjectId("credit".into())).await;
    eprintln!("registry conformance on moto, twice: {:.1?}", started.elapsed());
}

fn approval(version: &governance::model::ModelVersion, id: &str) -> DecisionCommit {
    let event_id = EventId(format!("evt-{id}"));
    let decision = Decision {
        id: DecisionId(id.into()),
        version: version.id.clone(),
        stage: Stage::Dev,
        verdict: Verdict::Approve,
        from: (version.stage, version.status),
        to: (Stage::Dev, ApprovalStatus::Approved),
        quorum: None,
        decided_by: Subject("dana".into()),
        decided_by_name: "Dana".into(),
        persona: Persona::DataScientist,
        justification: "Beats the baseline.".into(),
        evidence_digest: "sha256:abc".into(),
        event_id: event_id.clone(),
        decided_at: Utc::now(),
        rollback_to: None,
    };
    let model = VersionRef {
        project: version.project.clone(),
        model_group: version.group.clone(),
        version_id: version.id.clone(),
        version_number: version.number,
        registry: version.registry.clone(),
        package_arn: version.package_arn.clone(),
    };
    let event = PromotionEvent::ModelApproved {
        model,
        stage: Stage::Dev,
        decision_id: decision.id.clone(),
        approved_by: decision.decided_by.clone(),
        persona: decision.persona,
        justification: decision.justification.clone(),
        evidence_digest: decision.evidence_digest.clone(),
        deployment_config: None,
        deployment_commit: None,
    }
    .envelope(
        event_id,
        Utc::now(),
        &EventOrigin { account: common::ACCOUNT.into(), region: common::REGION.into() },
    );
    DecisionCommit {
        decision,
        expected_revision: version.revision,
        transition: Transition::Move { stage: Stage::Dev, status: ApprovalStatus::Approved },
        effects: Effects { events: vec![event], audit: vec![] },
    }
}

async fn registered(registry: &SageMakerRegistry, project: &str) -> governance::model::ModelVersion {
    let project = ProjectId(project.into());
    registry
        .register(
            VersionId("ignored".into()),
            portal_conformance::registry::new_version(&project, 1),
            Subject("ci".into()),
            Utc::now(),
            Box::new(|_| Effects::default()),
        )
        .await
        .expect("register")
}

#[tokio::test]
async fn a_decision_left_pending_by_a_crash_is_completed_by_the_reconciler() {
    let moto = Moto::start();
    let journal = Arc::new(MemoryJournal::default());
    let first_life = registry(&moto, journal.clone(), &["credit-risk"]).await;
    let version = registered(&first_life, "credit-risk").await;
    let commit = approval(&version, "dec-crash");

    // The process dies after SageMaker applied the decision and before the portal committed it.
    first_life.crash_after_apply(true);
    let crashed = first_life.commit_decision(commit.clone()).await;
    assert!(matches!(crashed, Err(StoreError::Unavailable(_))), "{crashed:?}");
    drop(first_life);
    assert_eq!(journal.pending_count(), 1, "the decision is pending");
    assert!(journal.outbox().is_empty(), "its event is held back");
    assert!(governance::ports::RegistryJournal::decisions(journal.as_ref(), &version.id)
        .await
        .expect("decisions")
        .is_empty());

    // A decision racing the pending one is refused, not applied on top.
    let second_life = registry(&moto, journal.clone(), &["credit-risk"]).await;
    let applied = second_life.version(&version.id).await.expect("read").expect("exists");
    let racing = second_life.commit_decision(approval(&applied, "dec-racing")).await;
    assert!(matches!(racing, Err(StoreError::Conflict(_))), "{racing:?}");

    // The next life's reconciler finds SageMaker applied it and commits it.
    let done = second_life.reconcile(Duration::zero()).await.expect("reconcile");
    assert_eq!(done.completed, ["dec-crash"]);
    assert_eq!(journal.pending_count(), 0);
    assert_eq!(
        journal.outbox().iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["evt-dec-crash"],
        "event released once"
    );
    let after = second_life.version(&version.id).await.expect("read").expect("exists");
    assert_eq!(
        (after.stage, after.status, after.revision),
        (Stage::Dev, ApprovalStatus::Approved, version.revision + 1)
    );
    assert_eq!(second_life.decisions(&version.id).await.expect("decisions").len(), 1);
    // Running it again finds nothing to do.
    assert_eq!(second_life.reconcile(Duration::zero()).await.expect("reconcile"), Default::default());
}

#[tokio::test]
async fn the_reconciler_applies_a_decision_never_sent_and_fails_one_overtaken() {
    let moto = Moto::start();
    let journal = Arc::new(MemoryJournal::default());
    let registry = registry(&moto, journal.clone(), &["credit-risk"]).await;
    // Crash before SageMaker heard of it: recorded pending only.
    let v1 = registered(&registry, "credit-risk").await;
    let commit = approval(&v1, "dec-unsent");
    governance::ports::RegistryJournal::begin_decision(
        journal.as_ref(),
        governance::ports::PendingDecision {
            project: v1.project.clone(),
            commit,
            recorded_at: Utc::now() - Duration::minutes(5),
        },
    )
    .await
    .expect("pending");
    // Crash after the version moved on by another route: the stale decision must not land.
    let v2 = registered(&registry, "credit-risk").await;
    let mut stale = approval(&v2, "dec-stale");
    stale.expected_revision = v2.revision + 7;
    governance::ports::RegistryJournal::begin_decision(
        journal.as_ref(),
        governance::ports::PendingDecision {
            project: v2.project.clone(),
            commit: stale,
            recorded_at: Utc::now() - Duration::minutes(5),
        },
    )
    .await
    .expect("pending");

    let done = registry.reconcile(Duration::minutes(1)).await.expect("reconcile");
    assert_eq!(done.completed, ["dec-unsent"]);
    assert_eq!(done.failed, ["dec-stale"]);
    let v1 = registry.version(&v1.id).await.expect("read").expect("exists");
    assert_eq!(v1.status, ApprovalStatus::Approved, "the unsent decision applied now");
    let v2 = registry.version(&v2.id).await.expect("read").expect("exists");
    assert_eq!(v2.status, ApprovalStatus::PendingManualApproval, "the stale one never applied");
    assert_eq!(journal.outbox().iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["evt-dec-unsent"]);
    assert!(journal.failed()[0].1.contains("changed"), "{:?}", journal.failed());
}

async fn copy(registry: &SageMakerRegistry, source: &VersionId) -> Result<CopyOutcome, StoreError> {
    let event = EventId("evt-dec-dev".into());
    registry
        .copy_to_central(source, VersionId("ignored".into()), &event, Utc::now(), Box::new(|_| Effects::default()))
        .await
}

#[tokio::test]
async fn racing_consumers_of_one_dev_approval_make_one_central_copy() {
    let moto = Moto::start();
    let journal = Arc::new(MemoryJournal::default());
    // Two replicas sharing the portal database.
    let a = registry(&moto, journal.clone(), &["credit-risk"]).await;
    let b = registry(&moto, journal.clone(), &["credit-risk"]).await;
    let dev = registered(&a, "credit-risk").await;
    a.commit_decision(approval(&dev, "dec-dev")).await.expect("approve");
    let (ra, rb) = tokio::join!(copy(&a, &dev.id), copy(&b, &dev.id));
    let outcomes = [ra, rb];
    let created: Vec<_> = outcomes.iter().filter(|o| matches!(o, Ok(CopyOutcome::Created(_)))).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    // The loser retries (the dispatcher would) and learns of the copy.
    let again = copy(&b, &dev.id).await.expect("redelivered");
    let Ok(CopyOutcome::Created(made)) = created[0] else { unreachable!() };
    assert_eq!(again, CopyOutcome::AlreadyCopied(made.id.clone()));
    let central = aws_sdk_sagemaker::Client::new(&moto.config().await)
        .list_model_packages()
        .model_package_group_name("central-credit-risk-conformance-model")
        .send()
        .await
        .expect("list");
    assert_eq!(central.model_package_summary_list().len(), 1, "one package in the central group");
    let read = a.version(&made.id).await.expect("read").expect("copy");
    assert_eq!(read.lineage.source_version.as_ref(), Some(&dev.id));
}

#[tokio::test]
async fn errors_read_as_the_domain_says() {
    let moto = Moto::start();
    let registry = registry(&moto, Arc::new(MemoryJournal::default()), &["credit-risk"]).await;
    // A well-formed id of a package that does not exist: a 404, not an outage.
    assert_eq!(registry.version(&VersionId("central.credit-risk.nothing.4".into())).await, Ok(None));
    let err = registry.commit_decision(approval(&registered(&registry, "credit-risk").await, "x")).await;
    assert!(err.is_ok());
    let missing = governance::model::ModelVersion {
        id: VersionId("dev.credit-risk.nothing.4".into()),
        ..registry.version(&VersionId("dev.credit-risk.conformance-model.1".into())).await.expect("read").expect("v1")
    };
    let refused = registry.commit_decision(approval(&missing, "y")).await;
    assert!(matches!(&refused, Err(StoreError::NotFound(m)) if m.contains("dev.credit-risk.nothing.4")), "{refused:?}");
    // Not an id of this adapter at all (e.g. from the embedded store): none.
    assert_eq!(registry.version(&VersionId("mv-123".into())).await, Ok(None));
}
