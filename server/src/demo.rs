//! Demo data for the embedded default's first start: three projects from the seed's templates, demo people,
//! and model versions in every state, made through the service so their decisions, audit entries and
//! events are real.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use governance::decision::{DecisionRequest, Verdict};
use governance::deployment::{DeploymentConfig, ProductionVariant};
use governance::experiment::{ExperimentRun, MetricStep, RegisteredModelVersion, RunStatus};
use governance::model::{ModelCard, ModelVersion, RegisterVersionInput};
use governance::monitoring::{MonitoringPush, Point};
use governance::persona::Machine;
use governance::ports::Window;
use governance::project::{Bound, MetricThreshold, Project, ProjectPolicy};
use governance::service::Service;
use governance::test_run::{CaseStatus, TestCase, TestRunReport};
use governance::{Actor, Environment, Persona, Principal, ProjectId, Stage, Subject};

use crate::store::{LoggedRun, Store};

const CREDIT: &str = "credit-risk";
const SUPPORT: &str = "support-assistant";
const SEARCH: &str = "policy-search";

fn person(subject: &str, name: &str, persona: Persona) -> Principal {
    // An Admin grant in the demo projects makes Ada an organisation Admin, as an identity provider's group would.
    Principal::from_grants(
        Subject(subject.into()),
        name,
        [CREDIT, SUPPORT, SEARCH].into_iter().map(|p| (ProjectId(p.into()), BTreeSet::from([persona]))).collect(),
    )
}

/// The demo people: one per persona, and a second governance engineer for quorum and separation of duties.
pub fn people() -> Vec<Principal> {
    vec![
        person("dana", "Dana Scientist", Persona::DataScientist),
        person("erin", "Erin Engineer", Persona::AiEngineer),
        person("gina", "Gina Governance", Persona::GovernanceEngineer),
        person("hugo", "Hugo Governance", Persona::GovernanceEngineer),
        person("ada", "Ada Admin", Persona::Admin),
    ]
}

fn projects() -> Vec<Project> {
    let threshold = |metric: &str, bound| MetricThreshold { metric: metric.into(), bound };
    vec![
        Project {
            id: CREDIT.into(),
            name: "Credit risk".into(),
            template: "Classical Regression".into(),
            description: "Probability-of-default and loss-given-default models for retail lending.".into(),
            policy: ProjectPolicy {
                prod_quorum: 1,
                metric_thresholds: vec![
                    threshold("auc", Bound::AtLeast(0.75)),
                    threshold("latency_p99_ms", Bound::AtMost(300.0)),
                ],
                require_model_card: true,
                required_test_suites: Vec::new(),
                lineage_required: Vec::new(),
                ..ProjectPolicy::default()
            },
        },
        Project {
            id: SUPPORT.into(),
            name: "Support assistant".into(),
            template: "LLM fine-tuning".into(),
            description: "A fine-tuned assistant answering customer-support questions.".into(),
            policy: ProjectPolicy {
                prod_quorum: 2,
                metric_thresholds: vec![threshold("toxicity_rate", Bound::AtMost(0.01))],
                require_model_card: true,
                required_test_suites: Vec::new(),
                lineage_required: Vec::new(),
                ..ProjectPolicy::default()
            },
        },
        Project {
            id: SEARCH.into(),
            name: "Policy search".into(),
            template: "RAG".into(),
            description: "Retrieval-augmented answers over internal policy documents.".into(),
            policy: ProjectPolicy {
                prod_quorum: 1,
                metric_thresholds: vec![threshold("recall_at_5", Bound::AtLeast(0.8))],
                require_model_card: true,
                required_test_suites: Vec::new(),
                lineage_required: Vec::new(),
                ..ProjectPolicy::default()
            },
        },
    ]
}

fn card(use_: &str, owner: &str) -> ModelCard {
    ModelCard {
        intended_use: use_.into(),
        limitations: "Not validated outside the training population; monitor drift monthly.".into(),
        risk_rating: "High".into(),
        training_data: "See lineage: the datasets listed there, snapshot at training time.".into(),
        evaluation: "Hold-out evaluation logged in the MLflow run; fairness checks by segment.".into(),
        owner: owner.into(),
    }
}

fn input(group: &str, run: &str, metrics: &[(&str, f64)], card: ModelCard) -> RegisterVersionInput {
    RegisterVersionInput {
        model_group: group.into(),
        description: format!("{group} trained by the build pipeline"),
        mlflow_run_id: Some(run.into()),
        training_data: vec![format!("s3://datalake-curated/{group}/2026-10/"), "glue://curated.customers".into()],
        code_commit: Some(format!("{:x}", run.len() * 0x1f3a5c7)),
        artifact_uri: format!("s3://ml-artifacts/{group}/{run}/model.tar.gz"),
        container_image: "763104351884.dkr.ecr.eu-west-1.amazonaws.com/sklearn-inference:1.4".into(),
        metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        model_card: card,
    }
}

/// The training run behind a demo version: 20 epochs whose metrics climb to the registered values, with the
/// training loss falling, as a build pipeline would log them to MLflow.
fn training_run(input: &RegisterVersionInput, finished: DateTime<Utc>) -> Option<LoggedRun> {
    let run_id = input.mlflow_run_id.clone()?;
    const EPOCHS: i64 = 20;
    let start = finished - Duration::minutes(EPOCHS * 3);
    let mut history = Vec::new();
    for step in 0..EPOCHS {
        let at = start + Duration::minutes(step * 3 + 3);
        // A learning curve: most of the gain early, the last epochs close to the final value.
        let progress = 1.0 - (-(step as f64 + 1.0) / 5.0).exp();
        let done = 1.0 - (-(EPOCHS as f64) / 5.0).exp();
        for (key, value) in &input.metrics {
            history.push((key.clone(), MetricStep { step, at, value: value * (0.7 + 0.3 * progress / done) }));
        }
        history.push(("train_loss".to_string(), MetricStep { step, at, value: 0.25 + 0.6 * (1.0 - progress) }));
    }
    let params = [("epochs", "20"), ("learning_rate", "0.05"), ("max_depth", "6"), ("seed", "42")];
    let tags = [
        ("mlflow.source.git.commit", input.code_commit.clone().unwrap_or_default()),
        ("mlflow.user", "build-pipeline".to_string()),
        ("model_group", input.model_group.clone()),
    ];
    Some(LoggedRun {
        run: ExperimentRun {
            run_id: run_id.clone(),
            experiment_id: "1".into(),
            run_name: format!("{}-{run_id}", input.model_group),
            status: RunStatus::Finished,
            user: "build-pipeline".into(),
            start_time: Some(start),
            end_time: Some(finished),
            artifact_uri: format!("s3://ml-artifacts/mlflow/1/{run_id}/artifacts"),
            params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            metrics: BTreeMap::new(),
            tags: tags.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        },
        history,
        registered: vec![RegisteredModelVersion {
            name: input.model_group.clone(),
            version: "1".into(),
            status: "READY".into(),
            source: format!("runs:/{run_id}/model"),
            run_id,
        }],
    })
}

fn config(variants: &[(&str, u8)]) -> DeploymentConfig {
    DeploymentConfig {
        instance_type: "ml.m5.large".into(),
        initial_instance_count: 2,
        autoscaling_min: 1,
        autoscaling_max: 4,
        variants: variants.iter().map(|(n, w)| ProductionVariant { name: n.to_string(), weight: *w }).collect(),
        data_capture_percent: 20,
    }
}

fn report(passed: bool, p99: f64) -> TestRunReport {
    let case = |name: &str, status: CaseStatus, message: &str| TestCase {
        suite: "integration".into(),
        name: name.into(),
        status,
        duration_ms: 180,
        message: message.into(),
    };
    let mut cases = vec![
        case("endpoint_in_service", CaseStatus::Passed, ""),
        case("schema_contract", CaseStatus::Passed, ""),
        case("golden_set_predictions", CaseStatus::Passed, ""),
    ];
    if !passed {
        cases.push(case("load_test_p99", CaseStatus::Failed, "p99 latency 910 ms exceeds 300 ms at 50 rps"));
    }
    TestRunReport {
        cases,
        performance: BTreeMap::from([
            ("latency_p50_ms".into(), p99 / 3.0),
            ("latency_p99_ms".into(), p99),
            ("error_rate".into(), 0.002),
        ]),
        ci_run: "https://ci.example.com/runs/demo".into(),
    }
}

struct Seeder<'a> {
    service: &'a Service,
    people: BTreeMap<&'static str, Principal>,
}

impl Seeder<'_> {
    /// Who the seeder reads as: a governance engineer of every demo project.
    fn reader(&self) -> Actor {
        Actor::Person(self.people["gina"].clone())
    }

    fn machine(project: &str) -> Actor {
        Actor::Machine(Machine {
            subject: Subject(format!("ci:{project}")),
            project: ProjectId(project.into()),
            may: governance::trust_policy::MachineAction::ALL.into(),
        })
    }

    async fn decide(
        &self,
        who: &str,
        v: &ModelVersion,
        stage: Stage,
        verdict: Verdict,
        why: &str,
    ) -> anyhow::Result<ModelVersion> {
        let detail = self.service.version_detail(&Actor::Person(self.people[who].clone()), &v.id).await?;
        let request = DecisionRequest {
            stage,
            verdict,
            justification: why.into(),
            evidence_digest: detail.digest,
            seen_test_run: None,
        };
        self.service.decide(&self.people[who], &v.id, request).await?;
        self.reload(v).await
    }

    async fn reload(&self, v: &ModelVersion) -> anyhow::Result<ModelVersion> {
        Ok(self.service.version(&self.reader(), &v.id).await?)
    }

    /// Dev approval, then the consumer's copy right away (the dispatcher's later delivery is a no-op).
    async fn to_central(&self, v: &ModelVersion) -> anyhow::Result<ModelVersion> {
        self.decide("dana", v, Stage::Dev, Verdict::Approve, "Offline metrics beat the current baseline.").await?;
        let events = self.service.events(&self.reader(), Some(&v.id), Window::new(0, 10)).await?;
        for record in events.items.iter().filter(|r| r.envelope.detail_type == "ModelApproved") {
            self.service.handle_event(&record.envelope).await?;
        }
        let dev = self.reload(v).await?;
        let copy = dev.central_copy.ok_or_else(|| anyhow::anyhow!("no central copy of {}", v.id))?;
        Ok(self.service.version(&self.reader(), &copy).await?)
    }

    async fn to_test(&self, v: &ModelVersion, variants: &[(&str, u8)]) -> anyhow::Result<ModelVersion> {
        let central = self.to_central(v).await?;
        self.service
            .save_deployment_config(&self.people["erin"], &central.id, Environment::Test, config(variants))
            .await?;
        self.decide(
            "erin",
            &central,
            Stage::Test,
            Verdict::Approve,
            "Deployment config reviewed; ready for integration tests.",
        )
        .await
    }

    async fn monitoring(
        &self,
        project: &str,
        v: &ModelVersion,
        endpoint: &str,
        variants: &[&str],
    ) -> anyhow::Result<()> {
        let now = self.service.now();
        let series = |metric: &str, threshold: Option<f64>, f: &dyn Fn(i64) -> f64| MonitoringPush {
            metric: metric.into(),
            endpoint: endpoint.into(),
            variant: String::new(),
            threshold,
            points: (0..168).map(|i| Point { at: now - Duration::hours(168 - i), value: f(i) }).collect(),
        };
        for variant in variants {
            // The challenger differs from the champion the way a real A/B split does, so comparing them shows two
            // lines: a ninth of the champion's traffic, answers a fifth faster (its p99 stays under the
            // threshold the champion breaches), more client errors, less drift (trained on newer data), and its
            // own rhythm.
            let challenger = *variant == "challenger";
            let (traffic, speed, errors, drift, phase) =
                if challenger { (1.0 / 9.0, 0.8, 1.5, 0.5, 2.0) } else { (1.0, 1.0, 1.0, 1.0, 0.0) };
            let wave = move |i: i64| ((i as f64) / 5.0 + phase).sin();
            let pushes = [
                series("ModelLatency p50 (ms)", None, &|i| speed * (38.0 + 4.0 * wave(i))),
                series("ModelLatency p99 (ms)", Some(300.0), &|i| {
                    speed * (170.0 + 40.0 * wave(i) + if i > 160 { 120.0 } else { 0.0 })
                }),
                series("Invocations", None, &|i| traffic * (1200.0 + 300.0 * wave(i))),
                series("Invocation4XXErrors", Some(25.0), &|i| errors * (4.0 + 2.0 * wave(i).abs())),
                series("Invocation5XXErrors", Some(5.0), &|i| if i == 100 && !challenger { 7.0 } else { 0.5 }),
                series("Drift: income (PSI)", Some(0.2), &|i| 0.05 + drift * 0.001 * i as f64),
            ];
            for mut push in pushes {
                push.variant = variant.to_string();
                self.service.push_monitoring(&Self::machine(project), &v.id, push).await?;
            }
        }
        Ok(())
    }
}

/// Seeds the demo projects and people unless projects exist already; returns whether it seeded.
pub async fn seed_directory_if_empty(store: &Store) -> anyhow::Result<bool> {
    if !store.ports().directory.projects().await?.is_empty() {
        return Ok(false);
    }
    // Marked first: a crash from here until `seeded` leaves "started", and the next start seeds again from an
    // empty database (`crate::build_with`) instead of keeping half the demo forever.
    store.set_portal_state(SEED_STATE, "started").await?;
    for project in projects() {
        store.upsert_project(&project).await?;
    }
    for p in &people() {
        store.upsert_person(p).await?;
    }
    seed_datasets(store).await?;
    Ok(true)
}

/// The `portal_state` key of the first start's demo seeding.
pub const SEED_STATE: &str = "demo_seed";

/// Marks the demo seeding finished.
pub async fn seeded(store: &Store) -> anyhow::Result<()> {
    Ok(store.set_portal_state(SEED_STATE, "complete").await?)
}

/// Whether a first start crashed while seeding this database (so it holds part of the demo only).
pub async fn seeding_interrupted(store: &Store) -> anyhow::Result<bool> {
    Ok(store.portal_state(SEED_STATE).await?.as_deref() == Some("started"))
}

/// Seeds the demo data unless projects exist already.
pub async fn seed_if_empty(store: &Store, service: &Service) -> anyhow::Result<()> {
    if !seed_directory_if_empty(store).await? {
        return Ok(());
    }
    tracing::info!("first start: seeding demo data");
    let people = people();
    let by = |s: &str| people.iter().find(|p| p.subject.as_str() == s).cloned().unwrap_or_else(|| people[0].clone());
    let seeder = Seeder {
        service,
        people: BTreeMap::from([
            ("dana", by("dana")),
            ("erin", by("erin")),
            ("gina", by("gina")),
            ("hugo", by("hugo")),
        ]),
    };
    let register = |project: &'static str, input: RegisterVersionInput| async move {
        let run = training_run(&input, service.now() - Duration::hours(2));
        let version = service.register_version(&Seeder::machine(project), &ProjectId(project.into()), input).await?;
        if let Some(mut run) = run {
            // The tracker's own registry numbers versions as the Dev registry does.
            for registered in &mut run.registered {
                registered.version = version.number.to_string();
            }
            store.log_run(&run).await?;
        }
        anyhow::Ok(version)
    };
    let credit_card =
        || card("Score retail loan applications for probability of default.", "credit-risk-ds@example.com");

    // credit-risk / pd-model: v1 in Prod with monitoring (A/B variants), v2 awaiting Prod sign-off with a
    // passing run, v3 awaiting its Dev approval.
    let v1 = register(CREDIT, input("pd-model", "run-7f3a91", &[("auc", 0.81), ("ks", 0.42)], credit_card())).await?;
    let t1 = seeder.to_test(&v1, &[("champion", 90), ("challenger", 10)]).await?;
    service.record_test_results(&Seeder::machine(CREDIT), &t1.id, report(true, 140.0)).await?;
    let p1 =
        seeder.decide("gina", &t1, Stage::Prod, Verdict::Approve, "All gates met; latency well inside budget.").await?;
    seeder.monitoring(CREDIT, &p1, "pd-model-prod", &["champion", "challenger"]).await?;

    let v2 = register(CREDIT, input("pd-model", "run-8c12de", &[("auc", 0.83), ("ks", 0.45)], credit_card())).await?;
    let t2 = seeder.to_test(&v2, &[("champion", 100)]).await?;
    service.record_test_results(&Seeder::machine(CREDIT), &t2.id, report(true, 150.0)).await?;

    register(CREDIT, input("pd-model", "run-9d40aa", &[("auc", 0.84)], credit_card())).await?;

    // credit-risk / lgd-model: v1 awaiting Prod but its latest test run failed; v2 rejected in Dev.
    let lgd = || card("Estimate loss given default for provisioning.", "credit-risk-ds@example.com");
    let l1 = register(CREDIT, input("lgd-model", "run-1a2b3c", &[("auc", 0.78)], lgd())).await?;
    let lt1 = seeder.to_test(&l1, &[("champion", 100)]).await?;
    service.record_test_results(&Seeder::machine(CREDIT), &lt1.id, report(false, 910.0)).await?;
    let l2 = register(CREDIT, input("lgd-model", "run-4d5e6f", &[("auc", 0.69)], lgd())).await?;
    seeder
        .decide("dana", &l2, Stage::Dev, Verdict::Reject, "AUC below the 0.75 bar; retrain with the 2026 data.")
        .await?;

    // support-assistant (quorum of two): v1 awaiting Test (no config yet), v2 rejected at Test, v3 pending Dev.
    let llm = || card("Draft answers to customer-support tickets for agent review.", "support-ml@example.com");
    let s1 = register(SUPPORT, input("support-llm", "run-aa01", &[("toxicity_rate", 0.004), ("rouge_l", 0.41)], llm()))
        .await?;
    seeder.to_central(&s1).await?;
    let s2 = register(SUPPORT, input("support-llm", "run-aa02", &[("toxicity_rate", 0.02), ("rouge_l", 0.44)], llm()))
        .await?;
    let c2 = seeder.to_central(&s2).await?;
    seeder.decide("erin", &c2, Stage::Test, Verdict::Reject, "Toxicity rate doubled; do not deploy.").await?;
    register(SUPPORT, input("support-llm", "run-aa03", &[("toxicity_rate", 0.003)], llm())).await?;

    // policy-search: v1 in Prod, v2 rejected at Prod, v3 pending Dev.
    let rag = || card("Answer staff questions over internal policy documents with citations.", "search-ml@example.com");
    let r1 = register(SEARCH, input("rag-retriever", "run-bb01", &[("recall_at_5", 0.86)], rag())).await?;
    let rt1 = seeder.to_test(&r1, &[("champion", 100)]).await?;
    service.record_test_results(&Seeder::machine(SEARCH), &rt1.id, report(true, 210.0)).await?;
    let rp1 = seeder
        .decide("hugo", &rt1, Stage::Prod, Verdict::Approve, "Recall and latency fine; citations verified.")
        .await?;
    seeder.monitoring(SEARCH, &rp1, "rag-retriever-prod", &["AllTraffic"]).await?;
    let r2 = register(SEARCH, input("rag-retriever", "run-bb02", &[("recall_at_5", 0.88)], rag())).await?;
    let rt2 = seeder.to_test(&r2, &[("champion", 100)]).await?;
    service.record_test_results(&Seeder::machine(SEARCH), &rt2.id, report(true, 230.0)).await?;
    seeder
        .decide("gina", &rt2, Stage::Prod, Verdict::Reject, "Answers cite superseded policies; fix the index first.")
        .await?;
    register(SEARCH, input("rag-retriever", "run-bb03", &[("recall_at_5", 0.9)], rag())).await?;
    seeded(store).await
}

/// Catalog datasets with their producers (Gina and Erin produce data as well as deciding on models).
async fn seed_datasets(store: &Store) -> anyhow::Result<()> {
    use governance::catalog::DatasetInput;
    use governance::ports::Effects;
    let datasets = [
        (
            "loan-applications",
            "Loan applications",
            "gina",
            "Confidential",
            "glue://curated.loan_applications",
            "applicant_id: string\nincome: double\nloan_amount: double\ndefaulted: boolean",
        ),
        (
            "support-tickets",
            "Support tickets",
            "erin",
            "Internal",
            "s3://datalake-curated/support-tickets/",
            "ticket_id: string\nquestion: string\nanswer: string",
        ),
    ];
    for (id, name, producer, classification, location, schema) in datasets {
        let input = DatasetInput {
            id: id.into(),
            name: name.into(),
            description: format!("{name}, curated daily by the data platform."),
            classification: classification.into(),
            location: location.into(),
            schema: schema.into(),
        };
        let dataset = input.parse(governance::Subject(producer.into())).map_err(|e| anyhow::anyhow!("{e}"))?;
        store.ports().catalog.save_dataset(&dataset, true, Effects::default()).await?;
    }
    Ok(())
}
