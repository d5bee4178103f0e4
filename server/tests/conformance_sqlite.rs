//! The embedded store against the port conformance suites the AWS adapters pass on the emulator
//! (`conformance/`), and its `RegistryJournal` (the portal database's half of the SageMaker registry):
//! one pending decision per version, effects released once on completion and never on failure, one copy claim.

use chrono::{Duration, TimeZone, Utc};
use governance::audit::AuditRecord;
use governance::decision::{Decision, Verdict};
use governance::events::EventEnvelope;
use governance::policy::Transition;
use governance::ports::{
    CopyClaim, DecisionCommit, Effects, Ledger, ModelRegistry, PackageKey, PendingDecision, RegistryJournal,
    StoreError, VersionDetails, Window,
};
use governance::project::{Project, ProjectPolicy};
use governance::{ApprovalStatus, DecisionId, EventId, Persona, ProjectId, Stage, Subject, VersionId};
use server::sqlite::SqliteStore;

async fn store(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("portal.sqlite"), vec!["portal-consumer".into()]).await.expect("open")
}

#[tokio::test]
async fn the_embedded_registry_passes_the_registry_conformance_suite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    add_projects(&store).await;
    portal_conformance::registry::check_all(&store, &ProjectId("credit-risk".into())).await;
    portal_conformance::registry::check_all(&store, &ProjectId("credit".into())).await;
}

/// Two projects whose names share a prefix, as on the emulator: neither may see the other's versions.
async fn add_projects(store: &SqliteStore) {
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

#[tokio::test]
async fn the_embedded_monitoring_passes_the_monitoring_conformance_suite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    add_projects(&store).await;
    // The embedded store keeps series of versions it knows: register the two the suite pushes to.
    let project = ProjectId("credit-risk".into());
    let mut ids = Vec::new();
    for n in 1..=2 {
        let new = portal_conformance::registry::new_version(&project, n);
        let v = store
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
    portal_conformance::monitoring::check_all(&store, &ids[0], &ids[1]).await;
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

#[tokio::test]
async fn the_journal_lets_one_pending_decision_per_version_and_releases_its_effects_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    let version = "central.credit-risk.pd-model.1";
    store.begin_decision(pending("dec-1", version, 10)).await.expect("first decider proceeds");
    let second = store.begin_decision(pending("dec-2", version, 0)).await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "a racing decider is refused: {second:?}");
    store.begin_decision(pending("dec-3", "central.credit-risk.pd-model.2", 0)).await.expect("another version");

    let stale = store.pending_decisions(Utc::now() - Duration::minutes(5)).await.expect("pending");
    assert_eq!(stale.iter().map(|p| p.commit.decision.id.as_str()).collect::<Vec<_>>(), ["dec-1"], "older than grace");
    let events =
        |store: SqliteStore| async move { store.events(None, Window::new(0, 50)).await.expect("events").total };
    assert_eq!(events(store.clone()).await, 0, "held back while pending");

    store.complete_decision(&DecisionId("dec-1".into())).await.expect("complete");
    store.complete_decision(&DecisionId("dec-1".into())).await.expect("completing twice is a no-op");
    assert_eq!(events(store.clone()).await, 1, "released once");
    let decided = RegistryJournal::decisions(&store, &VersionId(version.into())).await.expect("decisions");
    assert_eq!(decided.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["dec-1"]);
    let recent = RegistryJournal::recent_decisions(&store, Some(&ProjectId("credit-risk".into())), Window::new(0, 10))
        .await
        .expect("recent");
    assert_eq!(recent.total, 1);
    store.begin_decision(pending("dec-4", version, 0)).await.expect("the version is free again");

    let audit_before = store.audit(Window::new(0, 50)).await.expect("audit").total;
    store.fail_decision(&DecisionId("dec-3".into()), "the version changed", Utc::now()).await.expect("fail");
    let audit = store.audit(Window::new(0, 50)).await.expect("audit");
    assert_eq!(audit.total, audit_before + 1, "the failure is audited");
    assert_eq!(audit.items[0].record.action, "decision.fail");
    assert_eq!(audit.items[0].record.detail["reason"], "the version changed");
    assert_eq!(events(store.clone()).await, 1, "a failed decision's events are never released");
    assert!(store.verify_audit().await.expect("verify").broken.is_none(), "the chain holds");
}

#[tokio::test]
async fn the_journal_claims_each_central_copy_once_and_keeps_details() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
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
