//! Both stores, SQLite and PostgreSQL, against the port conformance suites the AWS adapters pass on the
//! emulator (`conformance/`), and their `RegistryJournal` (the portal database's half of the SageMaker
//! registry): one pending decision per version, effects released once on completion and never on failure, one
//! copy claim.

mod pg;

use chrono::{Duration, TimeZone, Utc};
use governance::audit::AuditRecord;
use governance::decision::{Decision, Verdict};
use governance::events::EventEnvelope;
use governance::policy::Transition;
use governance::ports::{
    CopyClaim, DecisionCommit, Effects, PackageKey, PendingDecision, RegistryJournal, StoreError, VersionDetails,
    Window,
};
use governance::project::{Project, ProjectPolicy};
use governance::{ApprovalStatus, DecisionId, EventId, Persona, ProjectId, Stage, Subject, VersionId};
use server::sqlite::SqliteStore;
use server::store::Store;

/// What keeps a store's database while a test runs (the SQLite file's folder).
type Keep = Option<tempfile::TempDir>;

async fn sqlite() -> (Store, Keep) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        SqliteStore::open(&dir.path().join("portal.sqlite"), vec!["portal-consumer".into()]).await.expect("open");
    (store.into(), Some(dir))
}

async fn postgres() -> (Store, Keep) {
    (pg::store(vec!["portal-consumer".into()]).await, None)
}

/// Each suite as a test on each store.
macro_rules! on_both_stores {
    ($($suite:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $suite() {
                let (store, _keep) = super::sqlite().await;
                super::$suite(store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $suite() {
                let (store, _keep) = super::postgres().await;
                super::$suite(store).await;
            })*
        }
    };
}

on_both_stores!(
    the_registry_passes_the_registry_conformance_suite,
    the_monitoring_passes_the_monitoring_conformance_suite,
    the_journal_lets_one_pending_decision_per_version_and_releases_its_effects_once,
    the_journal_claims_each_central_copy_once_and_keeps_details,
    a_lease_is_held_by_one_replica_at_a_time_and_taken_over_when_its_holder_dies,
    replicas_claiming_at_once_get_each_delivery_once_and_a_lapsed_claim_is_taken_over,
);

async fn the_registry_passes_the_registry_conformance_suite(store: Store) {
    add_projects(&store).await;
    let registry = store.ports().registry.as_ref();
    portal_conformance::registry::check_all(registry, &ProjectId("credit-risk".into())).await;
    portal_conformance::registry::check_all(registry, &ProjectId("credit".into())).await;
}

/// Two projects whose names share a prefix, as on the emulator: neither may see the other's versions.
async fn add_projects(store: &Store) {
    for id in ["credit", "credit-risk"] {
        let project = Project {
            id: ProjectId(id.into()),
            name: id.into(),
            template: "Classical Regression".into(),
            description: String::new(),
            policy: ProjectPolicy::default(),
        };
        store.upsert_project(&project).await.expect("project");
    }
}

async fn the_monitoring_passes_the_monitoring_conformance_suite(store: Store) {
    add_projects(&store).await;
    // The embedded store keeps series of versions it knows: register the two the suite pushes to.
    let project = ProjectId("credit-risk".into());
    let mut ids = Vec::new();
    for n in 1..=2 {
        let new = portal_conformance::registry::new_version(&project, n);
        let v = store
            .ports()
            .registry
            .register(
                VersionId(format!("mv-monitoring-{n}")),
                new,
                Subject("ci".into()),
                Utc::now(),
                Box::new(|_| Effects::default()),
            )
            .await
            .expect("register");
        ids.push(v.id);
    }
    portal_conformance::monitoring::check_all(store.ports().monitoring.as_ref(), &ids[0], &ids[1]).await;
}

fn event(id: &str) -> EventEnvelope {
    EventEnvelope {
        version: "0".into(),
        id: EventId(id.into()),
        detail_type: "ModelApproved".into(),
        source: "ml.portal".into(),
        account: "123456789012".into(),
        time: Utc::now(),
        region: "us-east-1".into(),
        resources: vec![],
        detail: serde_json::json!({ "model": { "versionId": "central.credit-risk.pd-model.1" }, "stage": "Test" }),
    }
}

fn pending(id: &str, version: &str, recorded_minutes_ago: i64) -> PendingDecision {
    let at = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).single().unwrap_or_default();
    let decision = Decision {
        id: DecisionId(id.into()),
        version: VersionId(version.into()),
        stage: Stage::Test,
        verdict: Verdict::Approve,
        from: (Stage::Dev, ApprovalStatus::Approved),
        to: (Stage::Test, ApprovalStatus::Approved),
        quorum: None,
        decided_by: Subject("erin".into()),
        decided_by_name: "Erin".into(),
        persona: Persona::AiEngineer,
        justification: "Ready for Test.".into(),
        evidence_digest: "sha256:abc".into(),
        event_id: EventId(format!("evt-{id}")),
        decided_at: at,
        rollback_to: None,
    };
    let audit = AuditRecord {
        at,
        actor: Subject("erin".into()),
        action: "decision.approve".into(),
        target: version.into(),
        detail: serde_json::json!({}),
    };
    PendingDecision {
        project: ProjectId("credit-risk".into()),
        commit: DecisionCommit {
            decision,
            expected_revision: 2,
            transition: Transition::Move { stage: Stage::Test, status: ApprovalStatus::Approved },
            effects: Effects { events: vec![event(&format!("evt-{id}"))], audit: vec![audit] },
        },
        recorded_at: Utc::now() - Duration::minutes(recorded_minutes_ago),
    }
}

async fn the_journal_lets_one_pending_decision_per_version_and_releases_its_effects_once(store: Store) {
    let (ledger, store) = (store.ports().ledger.clone(), store.ports().journal.clone());
    let version = "central.credit-risk.pd-model.1";
    store.begin_decision(pending("dec-1", version, 10)).await.expect("first decider proceeds");
    let second = store.begin_decision(pending("dec-2", version, 0)).await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "a racing decider is refused: {second:?}");
    store.begin_decision(pending("dec-3", "central.credit-risk.pd-model.2", 0)).await.expect("another version");

    let stale = store.pending_decisions(Utc::now() - Duration::minutes(5)).await.expect("pending");
    assert_eq!(stale.iter().map(|p| p.commit.decision.id.as_str()).collect::<Vec<_>>(), ["dec-1"], "older than grace");
    let events = || {
        let ledger = ledger.clone();
        async move { ledger.events(None, Window::new(0, 50)).await.expect("events").total }
    };
    assert_eq!(events().await, 0, "held back while pending");

    store.complete_decision(&DecisionId("dec-1".into())).await.expect("complete");
    store.complete_decision(&DecisionId("dec-1".into())).await.expect("completing twice is a no-op");
    assert_eq!(events().await, 1, "released once");
    let decided = RegistryJournal::decisions(store.as_ref(), &VersionId(version.into())).await.expect("decisions");
    assert_eq!(decided.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["dec-1"]);
    let recent =
        RegistryJournal::recent_decisions(store.as_ref(), Some(&ProjectId("credit-risk".into())), Window::new(0, 10))
            .await
            .expect("recent");
    assert_eq!(recent.total, 1);
    store.begin_decision(pending("dec-4", version, 0)).await.expect("the version is free again");

    let audit_before = ledger.audit(Window::new(0, 50)).await.expect("audit").total;
    store.fail_decision(&DecisionId("dec-3".into()), "the version changed", Utc::now()).await.expect("fail");
    let audit = ledger.audit(Window::new(0, 50)).await.expect("audit");
    assert_eq!(audit.total, audit_before + 1, "the failure is audited");
    assert_eq!(audit.items[0].record.action, "decision.fail");
    assert_eq!(audit.items[0].record.detail["reason"], "the version changed");
    assert_eq!(events().await, 1, "a failed decision's events are never released");
    assert!(ledger.verify_audit().await.expect("verify").broken.is_none(), "the chain holds");
}

async fn the_journal_claims_each_central_copy_once_and_keeps_details(store: Store) {
    let store = store.ports().journal.clone();
    let created = Utc::now() - Duration::hours(2);
    let source = PackageKey::new(VersionId("dev.credit-risk.pd-model.3".into()), created);
    let copy = VersionId("central.credit-risk.pd-model.1".into());
    let long_ago = Utc::now() - Duration::minutes(5);
    assert_eq!(store.claim_copy(&source, long_ago).await.expect("claim"), CopyClaim::Claimed);
    assert_eq!(store.claim_copy(&source, long_ago).await.expect("claim"), CopyClaim::InProgress, "a fresh claim holds");
    let future = Utc::now() + Duration::minutes(1);
    assert_eq!(
        store.claim_copy(&source, future).await.expect("claim"),
        CopyClaim::TakenOver,
        "an old claim is taken over"
    );
    assert_eq!(store.copy_of(&source).await.expect("copy of"), None);
    store
        .record_copy(&source, &copy, Effects { events: vec![event("evt-copy")], audit: vec![] })
        .await
        .expect("record");
    assert_eq!(store.claim_copy(&source, future).await.expect("claim"), CopyClaim::Copied(copy.clone()));
    assert_eq!(store.copy_of(&source).await.expect("copy of"), Some(copy.clone()));

    let details = VersionDetails {
        metrics: [("auc".to_string(), 0.81)].into_iter().collect(),
        training_data: vec!["s3://datasets/credit/2026-11".into()],
        ..VersionDetails::default()
    };
    assert_eq!(store.details(&source).await.expect("details"), None);
    store.save_details(&source, details.clone()).await.expect("save");
    store.save_details(&source, details.clone()).await.expect("save again");
    assert_eq!(store.details(&source).await.expect("details"), Some(details.clone()));

    // The package deleted and made again under the same number: it inherits neither the copy nor the details.
    let recreated = PackageKey::new(source.version.clone(), created + Duration::minutes(30));
    assert_eq!(store.copy_of(&recreated).await.expect("copy of"), None, "the earlier package's copy is not this one's");
    assert_eq!(store.details(&recreated).await.expect("details"), None, "nor are its metrics and card");
    assert_eq!(
        store.claim_copy(&recreated, long_ago).await.expect("claim"),
        CopyClaim::Claimed,
        "the re-created package is copied afresh, not 'already copied'"
    );
    let second = VersionId("central.credit-risk.pd-model.2".into());
    store
        .record_copy(&recreated, &second, Effects { events: vec![event("evt-copy-2")], audit: vec![] })
        .await
        .expect("record");
    assert_eq!(store.copy_of(&recreated).await.expect("copy of"), Some(second));
    assert_eq!(store.copy_of(&source).await.expect("copy of"), None, "and the earlier package's claim is gone");
}

/// Three replicas (holders) doing the reconciler's kind of work under one lease: never two inside at once, and
/// a holder that dies (stops renewing) is taken over once its lease lapses, not before.
async fn a_lease_is_held_by_one_replica_at_a_time_and_taken_over_when_its_holder_dies(store: Store) {
    use server::lease::Lease;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration as StdDuration;

    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let runs = Arc::new(AtomicUsize::new(0));
    let replicas: Vec<_> = ["replica-a", "replica-b", "replica-c"]
        .into_iter()
        .map(|holder| {
            let lease = Lease::new(store.clone(), "reconciler", StdDuration::from_millis(600)).as_holder(holder);
            let (inside, most, runs) = (inside.clone(), most.clone(), runs.clone());
            tokio::spawn(async move {
                // Each replica keeps asking until it has run three passes: the lease passes from one to another.
                let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
                let mut mine = 0;
                while mine < 3 {
                    assert!(std::time::Instant::now() < deadline, "{holder} never got the lease");
                    let work = async {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(StdDuration::from_millis(30)).await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    };
                    if lease.exclusively(work).await.is_some() {
                        mine += 1;
                        runs.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::time::sleep(StdDuration::from_millis(5)).await;
                }
            })
        })
        .collect();
    for replica in replicas {
        replica.await.expect("a replica");
    }
    assert_eq!(most.load(Ordering::SeqCst), 1, "two replicas ran the work at once");
    assert_eq!(runs.load(Ordering::SeqCst), 9, "each replica ran its passes in turn");

    // A holder that takes the lease and dies: the others wait until it lapses, then one takes it over.
    let dead = Lease::new(store.clone(), "queue", StdDuration::from_millis(800)).as_holder("replica-dead");
    let next = Lease::new(store.clone(), "queue", StdDuration::from_millis(800)).as_holder("replica-next");
    assert!(dead.take().await, "a free lease is taken");
    let taken_at = std::time::Instant::now();
    assert!(!next.take().await, "a live holder's lease is not taken over");
    while !next.take().await {
        assert!(taken_at.elapsed() < StdDuration::from_secs(5), "a dead holder's lease was never taken over");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(
        taken_at.elapsed() >= StdDuration::from_millis(700),
        "taken over before it lapsed: {:?}",
        taken_at.elapsed()
    );
    assert!(!dead.take().await, "the old holder, come back, does not get it back while the new one holds it");
    next.release().await;
    assert!(dead.take().await, "a released lease is free at once");
}

/// Three dispatchers (replicas) claiming from one outbox at the same moment: each due delivery goes to exactly
/// one of them, none is left out, a live claim is nobody else's, and a lapsed one (its holder died) is taken over.
async fn replicas_claiming_at_once_get_each_delivery_once_and_a_lapsed_claim_is_taken_over(store: Store) {
    use governance::ports::DeliveryClaim;
    use std::collections::BTreeSet;
    let ledger = store.ports().ledger.clone();
    let journal = store.ports().journal.clone();
    let events: Vec<EventEnvelope> = (0..60)
        .map(|n| {
            let mut e = event(&format!("evt-claim-{n}"));
            e.detail = serde_json::json!({ "model": { "versionId": format!("mv-claim-{n}") } });
            e.time = Utc::now() - Duration::seconds(5);
            e
        })
        .collect();
    journal.release(Effects { events, audit: vec![] }).await.expect("outbox");
    let now = Utc::now();
    let claim =
        |holder: &str, seconds: i64| DeliveryClaim { holder: holder.into(), until: now + Duration::seconds(seconds) };
    let (claim_a, claim_b, claim_c) = (claim("replica-a", 60), claim("replica-b", 60), claim("replica-c", 1));
    let (a, b, c) = tokio::join!(
        ledger.due_deliveries(now, &claim_a, None, 25),
        ledger.due_deliveries(now, &claim_b, None, 25),
        ledger.due_deliveries(now, &claim_c, None, 25),
    );
    let ids = |d: Vec<(governance::ports::Delivery, EventEnvelope)>| -> Vec<String> {
        d.into_iter().map(|(d, _)| d.event_id.0).collect()
    };
    let (a, b, c) = (ids(a.expect("a")), ids(b.expect("b")), ids(c.expect("c")));
    let all: BTreeSet<String> = a.iter().chain(&b).chain(&c).cloned().collect();
    assert_eq!(all.len(), a.len() + b.len() + c.len(), "a delivery claimed twice: {a:?} {b:?} {c:?}");
    assert_eq!(all.len(), 60, "every due delivery claimed by someone");
    // Nobody else gets a live claim; replica-c's one-second claims lapse ("it died") and are taken over.
    let later = now + Duration::seconds(2);
    let d = ids(ledger
        .due_deliveries(
            later,
            &DeliveryClaim { holder: "replica-d".into(), until: later + Duration::seconds(60) },
            None,
            100,
        )
        .await
        .expect("d"));
    let taken: BTreeSet<String> = d.into_iter().collect();
    assert_eq!(taken, c.into_iter().collect::<BTreeSet<_>>(), "exactly the lapsed claims are taken over");
}
