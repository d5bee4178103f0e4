//! The promotion policy as a table: every persona x stage x gate state, separation of duties, quorum,
//! justification and stale evidence.

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use governance::decision::{Decision, DecisionRequest, Verdict};
use governance::deployment::{DeploymentConfig, ProductionVariant, SavedDeploymentConfig};
use governance::evidence::Evidence;
use governance::ids::ModelGroupName;
use governance::model::{Lineage, ModelCard, ModelVersion};
use governance::policy::{check, check_recertify, check_retire, check_rollback, decide, Transition};
use governance::project::{Bound, MetricThreshold, ProjectPolicy};
use governance::test_run::{CaseStatus, TestCase, TestRun};
use governance::{ApprovalStatus, DenialCode, Environment, Persona, Principal, ProjectId, Registry, Stage, Subject};

const PROJECT: &str = "credit-risk";

fn person(subject: &str, personas: &[Persona]) -> Principal {
    Principal::from_grants(
        Subject(subject.into()),
        subject,
        BTreeMap::from([(ProjectId(PROJECT.into()), personas.iter().copied().collect::<BTreeSet<_>>())]),
    )
}

fn card() -> ModelCard {
    ModelCard {
        intended_use: "score loan applications".into(),
        limitations: "not for SME loans".into(),
        risk_rating: "High".into(),
        training_data: "applications 2019-2024".into(),
        evaluation: "AUC 0.81 on holdout".into(),
        owner: "risk-ds@example.com".into(),
    }
}

fn version(registry: Registry, stage: Stage, status: ApprovalStatus) -> ModelVersion {
    ModelVersion {
        id: "mv-1".into(),
        project: PROJECT.into(),
        group: ModelGroupName("pd-model".into()),
        number: 1,
        registry,
        stage,
        status,
        revision: 3,
        description: String::new(),
        registered_by: "dana".into(),
        registered_at: DateTime::UNIX_EPOCH,
        lineage: Lineage { source_version: Some("mv-0".into()), ..Lineage::default() },
        metrics: BTreeMap::from([("auc".into(), 0.81)]),
        model_card: card(),
        central_copy: None,
        outside: None,
        package_arn: None,
    }
}

fn config() -> SavedDeploymentConfig {
    SavedDeploymentConfig {
        version: "mv-1".into(),
        environment: Environment::Test,
        config: DeploymentConfig {
            instance_type: "ml.m5.large".into(),
            initial_instance_count: 1,
            autoscaling_min: 1,
            autoscaling_max: 2,
            variants: vec![ProductionVariant { name: "champion".into(), weight: 100 }],
            data_capture_percent: 10,
        },
        saved_by: "erin".into(),
        saved_at: DateTime::UNIX_EPOCH,
        commit: None,
    }
}

fn run(passed: bool) -> TestRun {
    TestRun {
        id: "run-1".into(),
        version: "mv-1".into(),
        passed,
        cases: vec![TestCase {
            suite: "smoke".into(),
            name: "invoke".into(),
            status: if passed { CaseStatus::Passed } else { CaseStatus::Failed },
            duration_ms: 5,
            message: String::new(),
        }],
        performance: BTreeMap::from([("latency_p99_ms".into(), 120.0)]),
        ci_run: String::new(),
        reported_by: "ci".into(),
        recorded_at: DateTime::UNIX_EPOCH,
    }
}

fn decision(stage: Stage, verdict: Verdict, by: &str) -> Decision {
    Decision {
        id: format!("d-{by}").as_str().into(),
        version: "mv-1".into(),
        stage,
        verdict,
        from: (Stage::Dev, ApprovalStatus::Approved),
        to: (stage, ApprovalStatus::Approved),
        quorum: None,
        decided_by: by.into(),
        decided_by_name: by.into(),
        persona: Persona::deciding(stage),
        justification: "fine".into(),
        evidence_digest: String::new(),
        event_id: "e".into(),
        decided_at: DateTime::UNIX_EPOCH,
        rollback_to: None,
    }
}

/// Evidence where every gate of the awaited stage is met.
fn ready_for(stage: Stage) -> Evidence {
    let (registry, at) = match stage {
        Stage::Dev => (Registry::Dev(PROJECT.into()), (Stage::Dev, ApprovalStatus::PendingManualApproval)),
        Stage::Test => (Registry::Central, (Stage::Dev, ApprovalStatus::Approved)),
        Stage::Prod => (Registry::Central, (Stage::Test, ApprovalStatus::Approved)),
    };
    let mut v = version(registry, at.0, at.1);
    if stage == Stage::Dev {
        v.lineage.source_version = None;
    }
    Evidence {
        version: v,
        dev_approved: stage != Stage::Dev,
        deployment_configs: if stage == Stage::Dev {
            BTreeMap::new()
        } else {
            BTreeMap::from([(Environment::Test, config())])
        },
        latest_test_run: (stage == Stage::Prod).then(|| run(true)),
        decisions: if stage == Stage::Prod { vec![decision(Stage::Test, Verdict::Approve, "erin")] } else { vec![] },
    }
}

fn strict_policy() -> ProjectPolicy {
    ProjectPolicy {
        prod_quorum: 1,
        metric_thresholds: vec![
            MetricThreshold { metric: "auc".into(), bound: Bound::AtLeast(0.75) },
            MetricThreshold { metric: "latency_p99_ms".into(), bound: Bound::AtMost(250.0) },
        ],
        require_model_card: true,
        required_test_suites: Vec::new(),
        lineage_required: Vec::new(),
        ..ProjectPolicy::default()
    }
}

#[test]
fn every_persona_at_every_stage_with_all_gates_met() {
    let policy = strict_policy();
    for stage in Stage::ALL {
        let evidence = ready_for(stage);
        for persona in Persona::ALL {
            let principal = person("gina", &[persona]);
            for verdict in [Verdict::Approve, Verdict::Reject] {
                let result = check(&principal, &evidence, &policy, stage, verdict);
                if persona == Persona::deciding(stage) {
                    let status =
                        if verdict == Verdict::Approve { ApprovalStatus::Approved } else { ApprovalStatus::Rejected };
                    assert_eq!(result, Ok(Transition::Move { stage, status }), "{persona:?} {stage:?} {verdict:?}");
                } else {
                    assert_eq!(
                        result.unwrap_err().code,
                        DenialCode::MissingPersona,
                        "{persona:?} {stage:?} {verdict:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_persona_in_another_project_may_not_decide() {
    let mut principal = person("gina", &[]);
    principal.memberships =
        BTreeMap::from([(ProjectId("other".into()), BTreeSet::from([Persona::GovernanceEngineer]))]);
    let denial =
        check(&principal, &ready_for(Stage::Prod), &strict_policy(), Stage::Prod, Verdict::Approve).unwrap_err();
    assert_eq!(denial.code, DenialCode::MissingPersona);
    assert!(denial.reason.contains("credit-risk"), "{}", denial.reason);
}

#[test]
fn only_the_awaited_stage_can_be_decided() {
    let policy = strict_policy();
    let all = person("gina", &Persona::ALL);
    for awaited in Stage::ALL {
        for stage in Stage::ALL.into_iter().filter(|s| *s != awaited) {
            let denial = check(&all, &ready_for(awaited), &policy, stage, Verdict::Approve).unwrap_err();
            assert_eq!(denial.code, DenialCode::NotAwaitingDecision, "{awaited:?} {stage:?}");
        }
    }
    // Terminal states await nothing.
    for (stage, status) in [
        (Stage::Prod, ApprovalStatus::Approved),
        (Stage::Test, ApprovalStatus::Rejected),
        (Stage::Dev, ApprovalStatus::Rejected),
    ] {
        let mut evidence = ready_for(Stage::Prod);
        evidence.version.stage = stage;
        evidence.version.status = status;
        for s in Stage::ALL {
            assert_eq!(
                check(&all, &evidence, &policy, s, Verdict::Reject).unwrap_err().code,
                DenialCode::NotAwaitingDecision
            );
        }
    }
}

/// Each gate, unmet on its own, refuses approval and names itself; rejection stays possible.
#[test]
fn each_unmet_gate_refuses_approval_with_its_name() {
    type Breaker = fn(&mut Evidence);
    let cases: Vec<(Stage, Breaker, &str)> = vec![
        (Stage::Test, |e| e.dev_approved = false, "Dev-approved"),
        (Stage::Test, |e| e.deployment_configs.clear(), "deployment config for Test"),
        (
            Stage::Test,
            |e| e.deployment_configs.get_mut(&Environment::Test).unwrap().config.variants[0].weight = 90,
            "deployment config for Test",
        ),
        (Stage::Prod, |e| e.latest_test_run = None, "test run passed"),
        (Stage::Prod, |e| e.latest_test_run = Some(run(false)), "test run passed"),
        (
            Stage::Prod,
            |e| {
                e.version.metrics.insert("auc".into(), 0.6);
            },
            "auc",
        ),
        (
            Stage::Prod,
            |e| {
                e.version.metrics.remove("auc");
            },
            "auc",
        ),
        (
            Stage::Prod,
            |e| {
                e.latest_test_run.as_mut().unwrap().performance.insert("latency_p99_ms".into(), 900.0);
            },
            "latency_p99_ms",
        ),
        (Stage::Prod, |e| e.version.model_card.limitations.clear(), "Model card complete"),
        (Stage::Prod, |e| e.deployment_configs.clear(), "deployment config for Prod"),
    ];
    let policy = strict_policy();
    for (stage, brk, gate) in cases {
        let mut evidence = ready_for(stage);
        brk(&mut evidence);
        let principal = person("gina", &[Persona::deciding(stage)]);
        let denial = check(&principal, &evidence, &policy, stage, Verdict::Approve).unwrap_err();
        assert_eq!(denial.code, DenialCode::GateUnmet, "{gate}");
        assert!(denial.reason.contains(gate), "{gate}: {}", denial.reason);
        assert!(check(&principal, &evidence, &policy, stage, Verdict::Reject).is_ok(), "{gate}: reject");
    }
}

#[test]
fn a_required_test_suite_must_be_in_the_latest_run_without_failures() {
    let gina = person("gina", &[Persona::GovernanceEngineer]);
    let policy = ProjectPolicy { required_test_suites: vec!["smoke".into(), "fairness".into()], ..strict_policy() };
    let mut evidence = ready_for(Stage::Prod);
    let denial = check(&gina, &evidence, &policy, Stage::Prod, Verdict::Approve).unwrap_err();
    assert_eq!(denial.code, DenialCode::GateUnmet);
    assert!(denial.reason.contains("Required test suite fairness"), "{}", denial.reason);
    assert!(!denial.reason.contains("suite smoke"), "smoke ran and passed: {}", denial.reason);

    let run = evidence.latest_test_run.as_mut().unwrap();
    run.cases.push(TestCase {
        suite: "fairness".into(),
        name: "parity".into(),
        status: CaseStatus::Failed,
        duration_ms: 3,
        message: "gap 0.2".into(),
    });
    let denial = check(&gina, &evidence, &policy, Stage::Prod, Verdict::Approve).unwrap_err();
    assert!(denial.reason.contains("Required test suite fairness"), "{}", denial.reason);

    evidence.latest_test_run.as_mut().unwrap().cases[1].status = CaseStatus::Passed;
    assert!(check(&gina, &evidence, &policy, Stage::Prod, Verdict::Approve).is_ok());
}

#[test]
fn model_card_gate_follows_the_policy() {
    let mut evidence = ready_for(Stage::Prod);
    evidence.version.model_card = ModelCard::default();
    let policy = ProjectPolicy { require_model_card: false, ..strict_policy() };
    assert!(check(&person("gina", &[Persona::GovernanceEngineer]), &evidence, &policy, Stage::Prod, Verdict::Approve)
        .is_ok());
}

#[test]
fn separation_of_duties_for_prod() {
    let policy = strict_policy();
    let evidence = ready_for(Stage::Prod);
    // The registrant (dana) and the Test approver (erin) may not sign off Prod, even holding the persona.
    for who in ["dana", "erin"] {
        let principal = person(who, &Persona::ALL);
        let denial = check(&principal, &evidence, &policy, Stage::Prod, Verdict::Approve).unwrap_err();
        assert_eq!(denial.code, DenialCode::SeparationOfDuties, "{who}");
    }
    // They may still reject: stopping a model needs no separation.
    assert!(check(&person("erin", &Persona::ALL), &evidence, &policy, Stage::Prod, Verdict::Reject).is_ok());
    // The registrant may approve Dev and Test (separation applies to Prod).
    let dana = person("dana", &Persona::ALL);
    assert!(check(&dana, &ready_for(Stage::Dev), &policy, Stage::Dev, Verdict::Approve).is_ok());
    assert!(check(&dana, &ready_for(Stage::Test), &policy, Stage::Test, Verdict::Approve).is_ok());
}

#[test]
fn quorum_needs_distinct_governance_engineers() {
    let policy = ProjectPolicy { prod_quorum: 2, ..strict_policy() };
    let mut evidence = ready_for(Stage::Prod);
    let gina = person("gina", &[Persona::GovernanceEngineer]);
    assert_eq!(
        check(&gina, &evidence, &policy, Stage::Prod, Verdict::Approve),
        Ok(Transition::Signoff { signed: 1, required: 2 })
    );
    evidence.decisions.push(decision(Stage::Prod, Verdict::Approve, "gina"));
    assert_eq!(
        check(&gina, &evidence, &policy, Stage::Prod, Verdict::Approve).unwrap_err().code,
        DenialCode::AlreadySigned
    );
    let hugo = person("hugo", &[Persona::GovernanceEngineer]);
    assert_eq!(
        check(&hugo, &evidence, &policy, Stage::Prod, Verdict::Approve),
        Ok(Transition::Move { stage: Stage::Prod, status: ApprovalStatus::Approved })
    );
}

#[test]
fn decide_requires_a_justification_and_fresh_evidence() {
    let policy = strict_policy();
    let evidence = ready_for(Stage::Prod);
    let gina = person("gina", &[Persona::GovernanceEngineer]);
    let request = |justification: &str, digest: String| DecisionRequest {
        stage: Stage::Prod,
        verdict: Verdict::Approve,
        justification: justification.into(),
        evidence_digest: digest,
        seen_test_run: Some("run-1".into()),
    };
    assert!(decide(&gina, &evidence, &policy, &request("All gates met, tests green.", evidence.digest())).is_ok());
    for blank in ["", "   ", "ok"] {
        let denial = decide(&gina, &evidence, &policy, &request(blank, evidence.digest())).unwrap_err();
        assert_eq!(denial.code, DenialCode::JustificationRequired, "{blank:?}");
    }
    let too_long = "x".repeat(2001);
    assert_eq!(
        decide(&gina, &evidence, &policy, &request(&too_long, evidence.digest())).unwrap_err().code,
        DenialCode::JustificationRequired
    );

    // New test results arrived after the page was loaded: the old digest is stale.
    let seen = evidence.digest();
    let mut newer = evidence.clone();
    let mut second = run(true);
    second.id = "run-2".into();
    newer.latest_test_run = Some(second);
    let denial = decide(&gina, &newer, &policy, &request("All gates met, tests green.", seen.clone())).unwrap_err();
    assert_eq!(denial.code, DenialCode::StaleEvidence);
    assert!(denial.reason.starts_with("New test results arrived"), "{}", denial.reason);

    // Another change (the config) with the same run: stale, said plainly.
    let mut changed = evidence.clone();
    changed.deployment_configs.get_mut(&Environment::Test).unwrap().config.initial_instance_count = 2;
    let denial = decide(&gina, &changed, &policy, &request("All gates met, tests green.", seen)).unwrap_err();
    assert_eq!(denial.code, DenialCode::StaleEvidence);
    assert!(denial.reason.contains("review it again"), "{}", denial.reason);
}

#[test]
fn the_digest_moves_with_every_kind_of_evidence() {
    let base = ready_for(Stage::Prod);
    type Change = fn(&mut Evidence);
    let changes: Vec<Change> = vec![
        |e| e.version.status = ApprovalStatus::Rejected,
        |e| {
            e.version.metrics.insert("auc".into(), 0.9);
        },
        |e| e.version.model_card.owner = "someone else".into(),
        |e| e.deployment_configs.get_mut(&Environment::Test).unwrap().config.initial_instance_count = 2,
        |e| e.latest_test_run = None,
        |e| e.decisions.push(decision(Stage::Prod, Verdict::Approve, "gina")),
    ];
    for (i, change) in changes.into_iter().enumerate() {
        let mut e = base.clone();
        change(&mut e);
        assert_ne!(e.digest(), base.digest(), "change {i} did not move the digest");
    }
    assert_eq!(base.clone().digest(), base.digest());
}

#[test]
fn the_model_card_is_editable_by_data_scientists_until_the_version_reaches_test() {
    use governance::policy::check_card_edit;
    let dana = person("dana", &[Persona::DataScientist]);
    let cases = [
        (Registry::Dev(PROJECT.into()), Stage::Dev, ApprovalStatus::PendingManualApproval, true),
        (Registry::Dev(PROJECT.into()), Stage::Dev, ApprovalStatus::Approved, false),
        (Registry::Dev(PROJECT.into()), Stage::Dev, ApprovalStatus::Rejected, false),
        (Registry::Central, Stage::Dev, ApprovalStatus::Approved, true),
        (Registry::Central, Stage::Test, ApprovalStatus::Approved, false),
        (Registry::Central, Stage::Test, ApprovalStatus::Rejected, false),
        (Registry::Central, Stage::Prod, ApprovalStatus::Approved, false),
    ];
    for (registry, stage, status, editable) in cases {
        let v = version(registry.clone(), stage, status);
        assert_eq!(check_card_edit(&dana, &v).is_ok(), editable, "{registry:?} {stage:?} {status:?}");
        for persona in [Persona::AiEngineer, Persona::GovernanceEngineer, Persona::Admin] {
            let denial = check_card_edit(&person("x", &[persona]), &v).unwrap_err();
            assert_eq!(denial.code, DenialCode::MissingPersona);
        }
    }
}

#[test]
fn a_model_card_names_its_bad_field() {
    let mut c = card();
    c.risk_rating = "Extreme".into();
    assert_eq!(c.clone().parse("").unwrap_err().field, "risk_rating");
    c.risk_rating = "High".into();
    c.owner = "x".repeat(257);
    assert_eq!(c.parse("model_card.").unwrap_err().field, "model_card.owner");
}

#[test]
fn the_timeline_joins_everything_newest_first_with_delivery_states() {
    use governance::events::EventEnvelope;
    use governance::ports::{Delivery, DeliveryState, EventRecord};
    use governance::timeline::{timeline, EntryKind};

    let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
    let mut v = version(Registry::Central, Stage::Test, ApprovalStatus::Approved);
    v.registered_at = at(10);
    let mut d = decision(Stage::Test, Verdict::Approve, "erin");
    d.decided_at = at(20);
    d.event_id = "evt-d".into();
    let mut r = run(false);
    r.recorded_at = at(30);
    let record = |id: &str, detail_type: &str, time: i64, detail: serde_json::Value| EventRecord {
        envelope: EventEnvelope {
            version: "0".into(),
            id: id.into(),
            detail_type: detail_type.into(),
            source: "portal.governance".into(),
            account: "0".into(),
            time: at(time),
            region: "eu-west-1".into(),
            resources: vec![],
            detail,
        },
        deliveries: vec![Delivery {
            event_id: id.into(),
            target: "ops".into(),
            state: DeliveryState::Delivered,
            attempts: 1,
            last_error: None,
            next_attempt_at: at(time),
            delivered_at: Some(at(time)),
        }],
    };
    let events = vec![
        record("evt-d", "ModelApproved", 20, serde_json::json!({})),
        record("evt-r", "TestResultsRecorded", 30, serde_json::json!({"testRunId": "run-1"})),
        record(
            "evt-a",
            "MonitoringAlarm",
            40,
            serde_json::json!({"metric": "ModelLatency p99", "endpoint": "e", "value": 900.0, "threshold": 300.0}),
        ),
    ];
    let entries = timeline(&v, &[d], &[r], &[], &events);
    let kinds: Vec<EntryKind> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EntryKind::Alarm, EntryKind::TestRun, EntryKind::Decision, EntryKind::Registered]);
    assert!(entries[0].detail.contains("ModelLatency p99") && entries[0].detail.contains("300"));
    assert_eq!(entries[1].title, "Integration test run failed");
    assert_eq!(entries[1].event, Some(("evt-r".to_string(), vec!["ops: Delivered".to_string()])));
    assert_eq!(entries[2].event.as_ref().map(|e| e.0.as_str()), Some("evt-d"));
    // Every event shows once.
    assert_eq!(entries.iter().filter(|e| e.event.is_some()).count(), 3);
}

#[test]
fn comparing_two_versions_marks_what_differs() {
    use governance::compare::compare;
    let champion = ready_for(Stage::Prod);
    let mut challenger = ready_for(Stage::Prod);
    challenger.version.metrics.insert("auc".into(), 0.86);
    challenger.version.metrics.insert("ks".into(), 0.5);
    challenger.latest_test_run = Some(run(false));
    let rows = compare(&challenger, &champion);
    let row = |name: &str| rows.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no row {name}"));
    assert!(row("auc").differs);
    assert_eq!((row("auc").a.as_str(), row("auc").b.as_str()), ("0.86", "0.81"));
    assert_eq!((row("ks").a.as_str(), row("ks").b.as_str()), ("0.5", "—"));
    assert!(row("Verdict").differs);
    assert!(!row("Instance type").differs);
    assert!(!row("Owner").differs);
}

#[test]
fn a_policy_can_require_lineage_for_test_and_prod_and_the_gate_names_what_is_missing() {
    for stage in [Stage::Test, Stage::Prod] {
        let policy = ProjectPolicy { lineage_required: vec![stage], ..strict_policy() };
        let gina = person("gina", &[Persona::deciding(stage)]);
        // Neither training data nor a training run: refused, naming both.
        let bare = ready_for(stage);
        let denial = check(&gina, &bare, &policy, stage, Verdict::Approve).unwrap_err();
        assert_eq!(denial.code, DenialCode::GateUnmet, "{stage:?}");
        assert!(denial.reason.contains("Lineage recorded"), "{}", denial.reason);
        assert!(denial.reason.contains("training data references and the training run"), "{}", denial.reason);
        // Only the run missing.
        let mut data_only = ready_for(stage);
        data_only.version.lineage.training_data = vec!["s3://lake/loans/2026/".into()];
        let denial = check(&gina, &data_only, &policy, stage, Verdict::Approve).unwrap_err();
        assert!(denial.reason.contains("missing: the training run"), "{}", denial.reason);
        // Both: approved.
        let mut full = data_only.clone();
        full.version.lineage.mlflow_run_id = Some("run-7".into());
        assert!(check(&gina, &full, &policy, stage, Verdict::Approve).is_ok(), "{stage:?}");
        // Rejecting never needs lineage.
        assert!(check(&gina, &bare, &policy, stage, Verdict::Reject).is_ok());
    }
    // Without the requirement the other stage is not asked for it.
    let policy = ProjectPolicy { lineage_required: vec![Stage::Prod], ..strict_policy() };
    let erin = person("erin", &[Persona::AiEngineer]);
    assert!(check(&erin, &ready_for(Stage::Test), &policy, Stage::Test, Verdict::Approve).is_ok());
}

#[test]
fn the_record_not_the_registry_says_where_a_version_is() {
    use governance::record::{as_recorded, dev_approval_recorded};
    // A Dev version set to Approved in the registry, with no decision recorded: the record says pending.
    let dev = version(Registry::Dev(PROJECT.into()), Stage::Dev, ApprovalStatus::Approved);
    let seen = as_recorded(dev.clone(), &[]);
    assert_eq!((seen.stage, seen.status), (Stage::Dev, ApprovalStatus::PendingManualApproval));
    let outside = seen.outside.expect("the difference is kept");
    assert_eq!(outside.registry, (Stage::Dev, ApprovalStatus::Approved));
    assert!(outside.describe(&seen.registry).contains("changed outside the portal"));
    assert!(!dev_approval_recorded(&seen, &[]), "an outside approval is no recorded Dev approval");
    // A Dev registry package that claims Prod is shown where its record puts it.
    let claims_prod = as_recorded(version(Registry::Dev(PROJECT.into()), Stage::Prod, ApprovalStatus::Approved), &[]);
    assert_eq!(claims_prod.stage, Stage::Dev);
    // With the portal's Dev approval recorded and the registry agreeing: a recorded approval.
    let mut approval = decision(Stage::Dev, Verdict::Approve, "dana");
    approval.from = (Stage::Dev, ApprovalStatus::PendingManualApproval);
    approval.to = (Stage::Dev, ApprovalStatus::Approved);
    let agreed = as_recorded(dev.clone(), std::slice::from_ref(&approval));
    assert!(agreed.outside.is_none());
    assert!(dev_approval_recorded(&agreed, std::slice::from_ref(&approval)));
    // The registry later set back to Rejected outside: the approval no longer stands.
    let rejected_outside =
        as_recorded(version(Registry::Dev(PROJECT.into()), Stage::Dev, ApprovalStatus::Rejected), &[approval.clone()]);
    assert!(rejected_outside.outside.is_some());
    assert!(!dev_approval_recorded(&rejected_outside, &[approval]));
    // A Prod -> Test move made in the registry is a difference from the record, not a decision.
    let mut prod = decision(Stage::Prod, Verdict::Approve, "gina");
    prod.from = (Stage::Test, ApprovalStatus::Approved);
    let rolled_back = as_recorded(version(Registry::Central, Stage::Test, ApprovalStatus::Approved), &[prod]);
    assert_eq!((rolled_back.stage, rolled_back.status), (Stage::Prod, ApprovalStatus::Approved));
    assert_eq!(rolled_back.outside.map(|o| o.registry), Some((Stage::Test, ApprovalStatus::Approved)));
}

#[test]
fn an_approval_set_outside_the_portal_counts_for_no_gate_and_no_signature() {
    use governance::record::as_recorded;
    // A central copy the record has at Test / Approved, set to Prod / Approved in the registry.
    let mut evidence = ready_for(Stage::Prod);
    let test_approval = evidence.decisions[0].clone();
    evidence.version = as_recorded(
        version(Registry::Central, Stage::Prod, ApprovalStatus::Approved),
        std::slice::from_ref(&test_approval),
    );
    assert_eq!((evidence.version.stage, evidence.version.status), (Stage::Test, ApprovalStatus::Approved));
    assert_eq!(evidence.version.awaiting(), Some(Stage::Prod), "the record still awaits its Prod sign-off");
    // Under a quorum of two, the first Governance Engineer's sign-off is the first: the outside approval is none.
    let policy = ProjectPolicy { prod_quorum: 2, ..strict_policy() };
    let gina = person("gina", &[Persona::GovernanceEngineer]);
    assert_eq!(
        check(&gina, &evidence, &policy, Stage::Prod, Verdict::Approve),
        Ok(Transition::Signoff { signed: 1, required: 2 })
    );
    // The digest moves with the difference: a decision made on a page that did not show it is stale.
    let mut agreed = evidence.clone();
    agreed.version.outside = None;
    assert_ne!(agreed.digest(), evidence.digest());
    // Separation of duties holds whatever the registry says: the Test approver still may not sign off.
    let erin = person("erin", &[Persona::GovernanceEngineer]);
    assert_eq!(
        check(&erin, &evidence, &policy, Stage::Prod, Verdict::Approve).unwrap_err().code,
        DenialCode::SeparationOfDuties
    );
}

/// A central version of pd-model numbered `number`, approved for Prod (its Test approver erin, registered by
/// `registrant`), with its Prod evidence.
fn in_prod(number: u32, registrant: &str) -> Evidence {
    let mut e = ready_for(Stage::Prod);
    e.version.id = format!("mv-{number}").as_str().into();
    e.version.number = number;
    e.version.stage = Stage::Prod;
    e.version.status = ApprovalStatus::Approved;
    e.version.registered_by = registrant.into();
    e.decisions.push(decision(Stage::Prod, Verdict::Approve, "gina"));
    e
}

#[test]
fn a_rollback_follows_the_rules_of_a_prod_sign_off_of_the_earlier_version() {
    let policy = strict_policy();
    let (current, earlier) = (in_prod(2, "dana"), in_prod(1, "dana"));
    let hugo = person("hugo", &[Persona::GovernanceEngineer]);
    assert_eq!(
        check_rollback(&hugo, &current, &earlier, &policy),
        Ok(Transition::Move { stage: Stage::Prod, status: ApprovalStatus::Rejected }),
        "the rolled-back version is rejected; the earlier one stays approved"
    );
    let code = |p: &Principal, c: &Evidence, e: &Evidence| check_rollback(p, c, e, &policy).unwrap_err().code;
    // Only a Governance Engineer of the project.
    for persona in [Persona::DataScientist, Persona::AiEngineer, Persona::Admin] {
        assert_eq!(code(&person("hugo", &[persona]), &current, &earlier), DenialCode::MissingPersona, "{persona:?}");
    }
    // The registrant and the Test approver of the earlier version may not put it back.
    assert_eq!(
        code(&person("dana", &[Persona::GovernanceEngineer]), &current, &earlier),
        DenialCode::SeparationOfDuties
    );
    assert_eq!(
        code(&person("erin", &[Persona::GovernanceEngineer]), &current, &earlier),
        DenialCode::SeparationOfDuties
    );
    // Back, never forward or to itself, and only in the same group of the central registry.
    assert_eq!(code(&hugo, &earlier, &current), DenialCode::Forbidden);
    assert_eq!(code(&hugo, &current, &current), DenialCode::Forbidden);
    let mut other_group = earlier.clone();
    other_group.version.group = ModelGroupName("lgd-model".into());
    assert_eq!(code(&hugo, &current, &other_group), DenialCode::Forbidden);
    // From a version in Prod only.
    let mut awaiting = current.clone();
    awaiting.version.stage = Stage::Test;
    assert_eq!(code(&hugo, &awaiting, &earlier), DenialCode::NotAwaitingDecision);
    // The earlier version's Prod gates as it is now (its latest test run failed since).
    let mut failing = earlier.clone();
    failing.latest_test_run = Some(run(false));
    assert_eq!(code(&hugo, &current, &failing), DenialCode::GateUnmet);
}

#[test]
fn a_retired_version_cannot_be_rolled_back_to() {
    let (current, mut earlier) = (in_prod(2, "dana"), in_prod(1, "dana"));
    let hugo = person("hugo", &[Persona::GovernanceEngineer]);
    assert_eq!(
        check_retire(&hugo, &earlier),
        Ok(Transition::Move { stage: Stage::Prod, status: ApprovalStatus::Rejected })
    );
    let mut retired = decision(Stage::Prod, Verdict::Retire, "gina");
    retired.to = (Stage::Prod, ApprovalStatus::Rejected);
    earlier.decisions.push(retired);
    earlier.version.status = ApprovalStatus::Rejected;
    let refusal = check_rollback(&hugo, &current, &earlier, &strict_policy()).unwrap_err();
    assert_eq!(refusal.code, DenialCode::Forbidden);
    assert!(
        refusal.reason.contains("v1 was retired") && refusal.reason.contains("fresh Prod sign-off"),
        "{}",
        refusal.reason
    );
    // Retiring is for Governance Engineers, of a version in Prod.
    assert_eq!(
        check_retire(&person("dana", &[Persona::DataScientist]), &current).unwrap_err().code,
        DenialCode::MissingPersona
    );
    assert_eq!(check_retire(&hugo, &earlier).unwrap_err().code, DenialCode::NotAwaitingDecision);
    // The approval panel decides neither.
    for verdict in [Verdict::Rollback, Verdict::Retire] {
        let ready = ready_for(Stage::Prod);
        assert_eq!(
            check(&hugo, &ready, &strict_policy(), Stage::Prod, verdict).unwrap_err().code,
            DenialCode::Forbidden
        );
    }
}

#[test]
fn a_rollback_needs_the_prod_quorum_of_distinct_governance_engineers() {
    let policy = ProjectPolicy { prod_quorum: 2, ..strict_policy() };
    let (mut current, earlier) = (in_prod(2, "dana"), in_prod(1, "dana"));
    let hugo = person("hugo", &[Persona::GovernanceEngineer]);
    assert_eq!(check_rollback(&hugo, &current, &earlier, &policy), Ok(Transition::Signoff { signed: 1, required: 2 }));
    let mut signed = decision(Stage::Prod, Verdict::Rollback, "hugo");
    signed.rollback_to = Some(earlier.version.id.clone());
    signed.to = signed.from;
    current.decisions.push(signed);
    assert_eq!(check_rollback(&hugo, &current, &earlier, &policy).unwrap_err().code, DenialCode::AlreadySigned);
    assert_eq!(
        check_rollback(&person("ivy", &[Persona::GovernanceEngineer]), &current, &earlier, &policy),
        Ok(Transition::Move { stage: Stage::Prod, status: ApprovalStatus::Rejected })
    );
}

#[test]
fn a_recertification_is_a_prod_sign_off_on_current_evidence_under_the_quorum() {
    let policy = ProjectPolicy { prod_quorum: 2, ..strict_policy() };
    let mut current = in_prod(1, "dana");
    let since = DateTime::UNIX_EPOCH;
    let hugo = person("hugo", &[Persona::GovernanceEngineer]);
    let check = |p: &Principal, e: &Evidence, open: Option<&str>| check_recertify(p, e, &policy, since, open);
    assert_eq!(check(&hugo, &current, None), Ok(Transition::Signoff { signed: 1, required: 2 }));
    // Only a Governance Engineer of the project, neither its registrant nor its Test approver.
    for persona in [Persona::DataScientist, Persona::AiEngineer, Persona::Admin] {
        assert_eq!(check(&person("hugo", &[persona]), &current, None).unwrap_err().code, DenialCode::MissingPersona);
    }
    for who in ["dana", "erin"] {
        let refusal = check(&person(who, &[Persona::GovernanceEngineer]), &current, None).unwrap_err();
        assert_eq!(refusal.code, DenialCode::SeparationOfDuties, "{who}");
        assert!(refusal.reason.contains("re-certify"), "{}", refusal.reason);
    }
    // The evidence as it is now: a failed latest run, an open breach review.
    let mut failing = current.clone();
    failing.latest_test_run = Some(run(false));
    let refusal = check(&hugo, &failing, None).unwrap_err();
    assert_eq!(refusal.code, DenialCode::GateUnmet);
    assert!(refusal.reason.contains("Latest integration test run passed"), "{}", refusal.reason);
    let refusal = check(&hugo, &current, Some("ModelLatency p99 on pd-model-prod/champion")).unwrap_err();
    assert!(refusal.reason.contains("decide it first"), "{}", refusal.reason);
    // A version out of Prod is not re-certified.
    let mut rejected = current.clone();
    rejected.version.status = ApprovalStatus::Rejected;
    assert_eq!(check(&hugo, &rejected, None).unwrap_err().code, DenialCode::NotAwaitingDecision);
    // The quorum counts distinct people since the review opened; an earlier period's re-certifications do not.
    let mut signed = decision(Stage::Prod, Verdict::Recertify, "hugo");
    signed.to = (Stage::Prod, ApprovalStatus::Approved);
    signed.from = signed.to;
    signed.decided_at = since + chrono::Duration::days(1);
    current.decisions.push(signed.clone());
    assert_eq!(check(&hugo, &current, None).unwrap_err().code, DenialCode::AlreadySigned);
    let ivy = person("ivy", &[Persona::GovernanceEngineer]);
    assert_eq!(check(&ivy, &current, None), Ok(Transition::Signoff { signed: 2, required: 2 }));
    let later = since + chrono::Duration::days(2);
    assert_eq!(
        check_recertify(&hugo, &current, &policy, later, None),
        Ok(Transition::Signoff { signed: 1, required: 2 })
    );
    // The approval panel does not re-certify.
    assert_eq!(
        governance::policy::check(&hugo, &ready_for(Stage::Prod), &policy, Stage::Prod, Verdict::Recertify)
            .unwrap_err()
            .code,
        DenialCode::Forbidden
    );
}

#[test]
fn a_sign_off_is_due_after_the_period_counted_from_the_last_completed_one() {
    use governance::review::{signed_off_at, Recertification};
    let day = |d: i64| DateTime::UNIX_EPOCH + chrono::Duration::days(d);
    let mut approved = decision(Stage::Prod, Verdict::Approve, "gina");
    approved.from = (Stage::Test, ApprovalStatus::Approved);
    approved.decided_at = day(10);
    let mut partial = decision(Stage::Prod, Verdict::Recertify, "hugo");
    partial.from = (Stage::Prod, ApprovalStatus::Approved);
    partial.quorum = Some((1, 2));
    partial.decided_at = day(95);
    assert_eq!(signed_off_at(&[approved.clone(), partial.clone()]), Some(day(10)), "a partial one does not count");
    let mut complete = partial.clone();
    complete.quorum = Some((2, 2));
    complete.decided_at = day(96);
    assert_eq!(signed_off_at(&[approved.clone(), partial, complete]), Some(day(96)));
    let (schedule, opens) = Recertification::schedule(day(10), 90, 14).unwrap();
    assert_eq!((schedule.due_at, opens), (day(100), day(86)));
    assert_eq!(Recertification::schedule(day(10), 0, 14), None, "0 days: never");
    assert_eq!(signed_off_at(&[decision(Stage::Test, Verdict::Approve, "erin")]), None);
}
