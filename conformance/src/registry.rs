//! The model registry's contract: registration numbers versions, reads give back what was registered,
//! decisions compare-and-set on the revision, the central copy is made once, lists filter and page.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use governance::decision::{Decision, Verdict};
use governance::ids::ModelGroupName;
use governance::model::{Lineage, ModelCard, ModelVersion, NewModelVersion};
use governance::policy::Transition;
use governance::ports::{CopyOutcome, DecisionCommit, Effects, ModelRegistry, StoreError, VersionQuery, Window};
use governance::{ApprovalStatus, DecisionId, EventId, Persona, ProjectId, Stage, Subject, VersionId};

/// The model group every check registers under.
pub const GROUP: &str = "conformance-model";

/// A version as a build pipeline registers it.
pub fn new_version(project: &ProjectId, n: u32) -> NewModelVersion {
    NewModelVersion {
        project: project.clone(),
        group: ModelGroupName(GROUP.into()),
        description: format!("conformance version {n}"),
        lineage: Lineage {
            source_version: None,
            mlflow_run_id: Some(format!("run{n}")),
            training_data: vec!["s3://datasets/credit/2026-11".into()],
            code_commit: Some("3f2c1e9".into()),
            artifact_uri: format!("s3://models/conformance/{n}/model.tar.gz"),
            container_image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7".into(),
        },
        metrics: BTreeMap::from([("auc".to_string(), 0.8 + f64::from(n) / 100.0)]),
        model_card: ModelCard { intended_use: "Scoring credit applications".into(), ..ModelCard::default() },
    }
}

fn decision(version: &ModelVersion, n: u32, stage: Stage, to: (Stage, ApprovalStatus)) -> Decision {
    Decision {
        id: DecisionId(format!("dec-conformance-{}-{n}", version.project)),
        version: version.id.clone(),
        stage,
        verdict: Verdict::Approve,
        from: (version.stage, version.status),
        to,
        quorum: None,
        decided_by: Subject("dana".into()),
        decided_by_name: "Dana".into(),
        persona: Persona::DataScientist,
        justification: "Beats the baseline.".into(),
        evidence_digest: format!("sha256:{n:064}"),
        event_id: EventId(format!("evt-conformance-{}-{n}", version.project)),
        decided_at: Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).single().unwrap_or_default(),
        rollback_to: None,
    }
}

/// Runs every check on `project` (which the adapter must know and which holds no `GROUP` versions yet).
pub async fn check_all(registry: &dyn ModelRegistry, project: &ProjectId) {
    let (v1, v2) = registration_numbers_versions_and_reads_back(registry, project).await;
    an_unknown_version_is_none(registry, project).await;
    lists_filter_by_registry_status_and_search(registry, project, &v1, &v2).await;
    let v1 = a_decision_moves_the_version_and_a_stale_one_conflicts(registry, &v1).await;
    let copy = the_central_copy_is_made_once(registry, &v1).await;
    awaiting_lists_what_each_stage_decides(registry, project, &v2, &copy).await;
}

pub async fn registration_numbers_versions_and_reads_back(
    registry: &dyn ModelRegistry,
    project: &ProjectId,
) -> (ModelVersion, ModelVersion) {
    let at = Utc::now();
    let mut versions = Vec::new();
    for n in 1..=2 {
        let new = new_version(project, n);
        let v = registry
            .register(
                // Unique per project, as the service makes ids: adapters that keep the given id must not collide.
                VersionId(format!("mv-conformance-{project}-{n}")),
                new.clone(),
                Subject("ci".into()),
                at,
                Box::new(|_| Effects::default()),
            )
            .await
            .expect("register");
        assert_eq!(
            (v.stage, v.status),
            (Stage::Dev, ApprovalStatus::PendingManualApproval),
            "a new version awaits Dev"
        );
        assert!(!v.registry.is_central(), "registered in the Dev registry");
        let read = registry.version(&v.id).await.expect("read").expect("the registered version");
        assert_eq!(read.id, v.id);
        assert_eq!(read.group.as_str(), GROUP);
        assert_eq!(read.project, *project);
        assert_eq!(read.description, new.description);
        assert_eq!(read.lineage.artifact_uri, new.lineage.artifact_uri);
        assert_eq!(read.lineage.container_image, new.lineage.container_image);
        assert_eq!(read.lineage.code_commit, new.lineage.code_commit);
        assert_eq!(read.lineage.mlflow_run_id, new.lineage.mlflow_run_id);
        assert_eq!(read.lineage.training_data, new.lineage.training_data);
        assert_eq!(read.metrics, new.metrics);
        assert_eq!(read.model_card, new.model_card);
        assert_eq!(read.registered_by, Subject("ci".into()));
        versions.push(read);
    }
    assert_eq!(versions[1].number, versions[0].number + 1, "numbered after the group's last version");
    let v2 = versions.pop().expect("two");
    let v1 = versions.pop().expect("two");
    (v1, v2)
}

pub async fn an_unknown_version_is_none(registry: &dyn ModelRegistry, project: &ProjectId) {
    let unknown = VersionId(format!("dev.{project}.no-such-model.9"));
    assert_eq!(registry.version(&unknown).await.expect("read"), None);
}

pub async fn lists_filter_by_registry_status_and_search(
    registry: &dyn ModelRegistry,
    project: &ProjectId,
    v1: &ModelVersion,
    v2: &ModelVersion,
) {
    let query = |central, status, window| VersionQuery {
        project: Some(project.clone()),
        stage: Some(Stage::Dev),
        status,
        central: Some(central),
        group: None,
        search: Some(GROUP.into()),
        window,
        within: None,
    };
    let page = registry.list_versions(&query(false, None, Window::new(0, 50))).await.expect("list");
    let ids: Vec<&VersionId> = page.items.iter().map(|v| &v.id).collect();
    assert_eq!(ids, [&v2.id, &v1.id], "newest first");
    assert_eq!(page.total, 2);
    let first = registry.list_versions(&query(false, None, Window::new(0, 1))).await.expect("list");
    let second = registry.list_versions(&query(false, None, Window::new(1, 1))).await.expect("list");
    assert_eq!(
        (first.items[0].id.clone(), second.items[0].id.clone(), first.total),
        (v2.id.clone(), v1.id.clone(), 2),
        "pages"
    );
    let approved =
        registry.list_versions(&query(false, Some(ApprovalStatus::Approved), Window::new(0, 50))).await.expect("list");
    assert!(approved.items.is_empty(), "no approved version yet");
    let central = registry.list_versions(&query(true, None, Window::new(0, 50))).await.expect("list");
    assert!(central.items.is_empty(), "nothing in the central registry yet");
    // A reader's projects: the list keeps only theirs, and none when they hold none.
    let within = |projects: Vec<ProjectId>| VersionQuery {
        project: None,
        search: Some(GROUP.into()),
        central: Some(false),
        window: Window::new(0, 50),
        within: Some(projects),
        ..VersionQuery::default()
    };
    let mine = registry.list_versions(&within(vec![project.clone()])).await.expect("list");
    assert_eq!((mine.total, mine.items.len()), (2, 2), "the reader's project");
    let other = registry.list_versions(&within(vec![ProjectId("no-such-project".into())])).await.expect("list");
    assert_eq!((other.total, other.items.len()), (0, 0), "another project's versions are not listed");
    let none = registry.list_versions(&within(vec![])).await.expect("list");
    assert_eq!((none.total, none.items.len()), (0, 0), "no project, no versions");
}

pub async fn a_decision_moves_the_version_and_a_stale_one_conflicts(
    registry: &dyn ModelRegistry,
    v1: &ModelVersion,
) -> ModelVersion {
    let to = (Stage::Dev, ApprovalStatus::Approved);
    let commit = |n, revision| DecisionCommit {
        decision: decision(v1, n, Stage::Dev, to),
        expected_revision: revision,
        transition: Transition::Move { stage: to.0, status: to.1 },
        effects: Effects::default(),
    };
    registry.commit_decision(commit(1, v1.revision)).await.expect("decide");
    let after = registry.version(&v1.id).await.expect("read").expect("exists");
    assert_eq!((after.stage, after.status), to);
    assert_eq!(after.revision, v1.revision + 1, "the revision moves");
    let stale = registry.commit_decision(commit(2, v1.revision)).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "a decision on an old revision conflicts: {stale:?}");
    let decisions = registry.decisions(&v1.id).await.expect("decisions");
    let ids: Vec<String> = decisions.iter().map(|d| d.id.0.clone()).collect();
    assert_eq!(ids, [format!("dec-conformance-{}-1", v1.project)], "only the winning decision is stored");
    after
}

pub async fn the_central_copy_is_made_once(registry: &dyn ModelRegistry, v1: &ModelVersion) -> ModelVersion {
    let event = EventId(format!("evt-conformance-approval-{}", v1.project));
    let copy = |n: u32| {
        registry.copy_to_central(
            &v1.id,
            VersionId(format!("mv-copy-{}-{n}", v1.project)),
            &event,
            Utc::now(),
            Box::new(|_| Effects::default()),
        )
    };
    let CopyOutcome::Created(copy_version) = copy(1).await.expect("copy") else { panic!("the first copy creates") };
    let again = copy(2).await.expect("copy again");
    assert_eq!(again, CopyOutcome::AlreadyCopied(copy_version.id.clone()), "a redelivered event makes no second copy");
    let read = registry.version(&copy_version.id).await.expect("read").expect("the copy");
    assert!(read.registry.is_central());
    assert_eq!((read.stage, read.status), (Stage::Dev, ApprovalStatus::Approved), "the copy mirrors the Dev approval");
    assert_eq!(read.lineage.source_version.as_ref(), Some(&v1.id), "lineage to the Dev version");
    assert_eq!(read.lineage.artifact_uri, v1.lineage.artifact_uri);
    assert_eq!(read.metrics, v1.metrics);
    let source = registry.version(&v1.id).await.expect("read").expect("exists");
    assert_eq!(source.central_copy.as_ref(), Some(&read.id), "the Dev version points at its copy");
    read
}

pub async fn awaiting_lists_what_each_stage_decides(
    registry: &dyn ModelRegistry,
    project: &ProjectId,
    v2: &ModelVersion,
    copy: &ModelVersion,
) {
    let projects = [project.clone()];
    let dev = registry.awaiting(Stage::Dev, &projects, Window::new(0, 50)).await.expect("awaiting");
    let dev_ids: Vec<&VersionId> = dev.items.iter().map(|v| &v.id).collect();
    assert!(
        dev_ids.contains(&&v2.id) && !dev_ids.contains(&&copy.id),
        "Dev awaits the pending Dev version: {dev_ids:?}"
    );
    let test = registry.awaiting(Stage::Test, &projects, Window::new(0, 50)).await.expect("awaiting");
    assert_eq!(test.items.iter().map(|v| &v.id).collect::<Vec<_>>(), [&copy.id], "Test awaits the central copy");
    let prod = registry.awaiting(Stage::Prod, &projects, Window::new(0, 50)).await.expect("awaiting");
    assert!(prod.items.is_empty());
}
