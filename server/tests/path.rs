//! Phase 1 of the path through the router, as the forms post it: an admin saves and publishes a template, a
//! data scientist creates a project from it, the provisioner makes real git repositories (cloned here), a
//! provisioning failure is shown and retried without a duplicate repository, an upgrade lands on a branch,
//! and a dataset request approved by its producer shows on the project. Bad input and refusals on the way.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestPortal;

fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn post(app: &TestPortal, cookie: &str, name: &str, pairs: &[(&str, &str)]) -> (StatusCode, String) {
    let body = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
    let request = Request::post(format!("/fn/{name}"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

fn template_form<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("id", "tiny"),
        ("creating", "true"),
        ("form[name]", "Tiny"),
        ("form[kind]", "Classical Regression"),
        ("form[owner]", "ML platform"),
        ("form[description]", "A small template"),
        ("form[prod_quorum]", "1"),
        ("form[thresholds]", "r2 >= 0.5"),
        ("form[p0_name]", "region"),
        ("form[p0_label]", "Region"),
        ("form[p0_kind]", "Text"),
        ("form[p0_required]", "on"),
        ("form[p0_default]", "eu-west-1"),
        ("form[p0_pattern]", "[a-z0-9-]+"),
        ("form[f0_path]", "build/train.sh"),
        ("form[f0_content]", "echo {{ project.id }} in {{ params.region }}\n"),
        ("form[f1_path]", "deploy/config/test.json"),
        ("form[f1_content]", "{\"region\": \"{{ params.region }}\"}\n"),
    ];
    for (k, v) in extra {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    form
}

fn git(args: &[&str]) -> String {
    let out = std::process::Command::new("git").args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn provision(app: &TestPortal) {
    let schedule = server::dispatch::Schedule { max_attempts: 10, max_backoff: std::time::Duration::from_secs(300) };
    let dispatcher = server::dispatch::Dispatcher::new(&app.portal.state.service, &[], None, schedule).unwrap();
    while dispatcher.tick().await > 0 {}
}

#[tokio::test]
async fn template_to_project_to_cloned_repositories_to_data_access() {
    let app = common::spawn().await;
    let ada = app.sign_in("ada").await;
    let dana = app.sign_in("dana").await;

    // The editor's bad input, each named by its place.
    for (extra, says) in [
        (vec![("form[p0_pattern]", "[a-")], "Parameter 1 (region), pattern"),
        (
            vec![("form[p1_name]", "region"), ("form[p1_label]", "Again"), ("form[p1_kind]", "Text")],
            "Parameter 2 (region), name",
        ),
        (vec![("form[f0_content]", "{{ params.regoin }}")], "File build/train.sh"),
        (vec![("form[p0_default]", "EU WEST")], "does not match the pattern"),
        (vec![("form[prod_quorum]", "many")], "prod_quorum"),
    ] {
        let (status, body) = post(&app, &ada, "save_template", &template_form(&extra)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains(says), "{says} not in {body}");
    }
    // Only admins edit templates.
    let (status, _) = post(&app, &dana, "save_template", &template_form(&[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = post(&app, &ada, "save_template", &template_form(&[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        post(&app, &ada, "set_template_status", &[("id", "tiny"), ("version", "1"), ("to", "Publish")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A project from it; a bad parameter first, then a good one.
    let project = |region: &'static str| {
        vec![
            ("template", "tiny"),
            ("form[id]", "churn"),
            ("form[name]", "Churn"),
            ("form[members]", "erin: AI Engineer"),
            ("form[param_region]", region),
        ]
    };
    let (status, body) = post(&app, &dana, "create_project", &project("EU")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Region (param_region)") && body.contains("does not match"), "{body}");

    // A provisioning failure: something that is not a repository sits where the deploy repository goes.
    let repos = app.portal.state.settings.repositories_dir();
    std::fs::create_dir_all(&repos).unwrap();
    std::fs::write(repos.join("churn-deploy.git"), "in the way").unwrap();
    let (status, body) = post(&app, &dana, "create_project", &project("eu-central-1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(&app, &dana, "create_project", &project("eu-central-1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a second project of that name collides: {body}");
    provision(&app).await;
    let (_, page) = post(&app, &dana, "project_page", &[("id", "churn")]).await;
    assert!(page.contains("\"Failed\"") && page.contains("churn-deploy exists already"), "{page}");
    let build_commit = git(&["--git-dir", &repos.join("churn-build.git").display().to_string(), "rev-parse", "main"]);

    std::fs::remove_file(repos.join("churn-deploy.git")).unwrap();
    let (status, body) = post(&app, &dana, "retry_provisioning", &[("project", "churn")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, page) = post(&app, &dana, "project_page", &[("id", "churn")]).await;
    assert!(page.contains("\"Succeeded\""), "{page}");
    let build = repos.join("churn-build.git").display().to_string();
    assert_eq!(git(&["--git-dir", &build, "rev-parse", "main"]), build_commit, "the retry made no second commit");
    assert_eq!(git(&["--git-dir", &build, "rev-list", "--count", "main"]).trim(), "1");

    let clones = tempfile::tempdir().unwrap();
    for (repo, file, content) in [
        ("churn-build", "train.sh", "echo churn in eu-central-1\n"),
        ("churn-deploy", "config/test.json", "{\"region\": \"eu-central-1\"}\n"),
    ] {
        let into = clones.path().join(repo);
        git(&[
            "clone",
            "--quiet",
            &repos.join(format!("{repo}.git")).display().to_string(),
            &into.display().to_string(),
        ]);
        assert_eq!(std::fs::read_to_string(into.join(file)).unwrap(), content);
    }

    // An upgrade: the admin edits the published template (version 2), publishes it; the project offers it.
    let (status, body) = post(
        &app,
        &ada,
        "save_template",
        &template_form(&[
            ("creating", "false"),
            ("form[f0_content]", "echo {{ project.id }} now in {{ params.region }}\n"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    post(&app, &ada, "set_template_status", &[("id", "tiny"), ("version", "2"), ("to", "Publish")]).await;
    let (_, page) = post(&app, &dana, "project_page", &[("id", "churn")]).await;
    assert!(page.contains("-echo churn in eu-central-1\\n+echo churn now in eu-central-1"), "{page}");
    let (status, body) = post(&app, &dana, "upgrade_project", &[("project", "churn"), ("to_version", "2")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shown = git(&["--git-dir", &build, "show", "template-upgrade-v2:train.sh"]);
    assert_eq!(shown, "echo churn now in eu-central-1\n");

    // Data access: Dana asks, Gina (the producer) approves; the lineage check follows the subscription.
    let gina = app.sign_in("gina").await;
    let (status, body) = post(
        &app,
        &dana,
        "request_subscription",
        &[("project", "churn"), ("dataset", "loan-applications"), ("justification", "")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = post(
        &app,
        &dana,
        "request_subscription",
        &[
            ("project", "churn"),
            ("dataset", "loan-applications"),
            ("justification", "Churn features from applications."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Producers edit their own datasets, nobody else's.
    let edit = |description: &'static str| {
        vec![
            ("form[mode]", "edit"),
            ("form[id]", "loan-applications"),
            ("form[name]", "Loan applications"),
            ("form[description]", description),
            ("form[classification]", "Confidential"),
            ("form[location]", "glue://curated.loan_applications"),
            ("form[schema]", "applicant_id: string\nincome: double"),
        ]
    };
    let (status, _) = post(&app, &dana, "register_dataset", &edit("Mine now")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the producer edits");
    let (status, body) = post(&app, &gina, "register_dataset", &edit("Applications since 2019, deduplicated.")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, catalog) = post(&app, &dana, "catalog_page", &[]).await;
    assert!(catalog.contains("Applications since 2019, deduplicated.") && !catalog.contains("Mine now"), "{catalog}");
    let (_, requests) = post(&app, &gina, "dataset_requests", &[]).await;
    let id = serde_json::from_str::<serde_json::Value>(&requests).unwrap()[0]["id"].as_str().unwrap().to_string();
    let (status, _) =
        post(&app, &dana, "decide_subscription", &[("id", &id), ("decision", "Approved"), ("reason", "mine")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the producer decides");
    let (status, body) = post(
        &app,
        &gina,
        "decide_subscription",
        &[("id", &id), ("decision", "Approved"), ("reason", "Within policy.")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, page) = post(&app, &dana, "project_page", &[("id", "churn")]).await;
    assert!(page.contains("\"Approved\"") && page.contains("Within policy."), "{page}");
    let events: Vec<String> = sqlx::query_scalar("SELECT detail_type FROM events ORDER BY seq")
        .fetch_all(app.portal.state.store.sqlite_pool().expect("the SQLite store"))
        .await
        .unwrap();
    for t in [
        "TemplatePublished",
        "CreateProject",
        "ProjectProvisioned",
        "DatasetSubscriptionRequested",
        "DatasetSubscriptionApproved",
    ] {
        assert!(events.iter().any(|e| e == t), "no {t} event");
    }

    // A version of the project reaches the central registry; Erin (its AI engineer) saves the Test
    // deployment config, which is committed to the deploy repository and named in the evidence.
    let central = central_version_of(&app, "churn", "loan-applications").await;
    let erin = app.sign_in("erin").await;
    let config = |instance: &'static str| {
        vec![
            ("version", central.id.as_str()),
            ("environment", "Test"),
            ("instance_type", instance),
            ("initial_instance_count", "1"),
            ("autoscaling_min", "1"),
            ("autoscaling_max", "2"),
            ("variants", "champion:100"),
            ("data_capture_percent", "20"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect::<Vec<_>>()
    };
    let deploy = repos.join("churn-deploy.git").display().to_string();
    let mut tips = Vec::new();
    for instance in ["ml.m5.large", "ml.c5.xlarge"] {
        let pairs = config(instance);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = post(&app, &erin, "save_deployment_config", &pairs).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let committed = git(&["--git-dir", &deploy, "show", "main:config/test.json"]);
        assert!(committed.contains(instance) && committed.contains(central.id.as_str()), "{committed}");
        tips.push(git(&["--git-dir", &deploy, "rev-parse", "main"]).trim().to_string());
    }
    assert_ne!(tips[0], tips[1], "each save is a commit");
    let evidence = app.portal.state.service.version_detail(&common::reader(), &central.id).await.unwrap().evidence;
    let saved = evidence.deployment_config(governance::Environment::Test).unwrap();
    let commit = saved.commit.as_ref().expect("the commit is part of the evidence");
    assert_eq!((commit.commit.as_str(), commit.path.as_str()), (tips[1].as_str(), "config/test.json"));
    assert_eq!(commit.repository, "churn-deploy");
    let (_, page) = post(&app, &erin, "version_page", &[("id", central.id.as_str())]).await;
    assert!(page.contains(&format!("config/test.json at commit {}", &tips[1][..12])), "the gate names the commit");

    // Approving for Test tells CI which commit to deploy.
    let erin_principal = governance::Principal {
        subject: governance::Subject("erin".into()),
        display_name: "Erin".into(),
        memberships: app.portal.state.service.project_memberships(&governance::Subject("erin".into())).await.unwrap(),
        admin: false,
    };
    let request = governance::decision::DecisionRequest {
        stage: governance::Stage::Test,
        verdict: governance::decision::Verdict::Approve,
        justification: "Config reviewed and committed.".into(),
        evidence_digest: app.evidence_digest(&central).await,
        seen_test_run: None,
    };
    app.portal.state.service.decide(&erin_principal, &central.id, request).await.unwrap();
    let envelope: String = sqlx::query_scalar(
        "SELECT envelope FROM events WHERE detail_type = 'ModelApproved' AND version = ? ORDER BY seq DESC LIMIT 1",
    )
    .bind(central.id.as_str())
    .fetch_one(app.portal.state.store.sqlite_pool().expect("the SQLite store"))
    .await
    .unwrap();
    let envelope: serde_json::Value = serde_json::from_str(&envelope).unwrap();
    assert_eq!(envelope["detail"]["deploymentCommit"]["commit"], tips[1].as_str(), "{envelope}");

    // The lineage rule: a version may only name catalog datasets its project is subscribed to.
    let refused = register_trained_on(&app, "churn", "support-tickets").await.unwrap_err().to_string();
    assert!(refused.contains("support-tickets") && refused.contains("not subscribed"), "{refused}");
    // A request the producer (Erin) rejects, with her reason on the project page.
    let (status, body) = post(
        &app,
        &dana,
        "request_subscription",
        &[("project", "churn"), ("dataset", "support-tickets"), ("justification", "Ticket texts for churn.")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, requests) = post(&app, &erin, "dataset_requests", &[]).await;
    let id = serde_json::from_str::<serde_json::Value>(&requests).unwrap()[0]["id"].as_str().unwrap().to_string();
    let (status, body) = post(
        &app,
        &erin,
        "decide_subscription",
        &[("id", &id), ("decision", "Rejected"), ("reason", "Contains personal data.")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, page) = post(&app, &dana, "project_page", &[("id", "churn")]).await;
    assert!(page.contains("\"Rejected\"") && page.contains("Contains personal data."), "{page}");
    // Revoked by the project's data scientist: the lineage may no longer name it.
    let (_, page_json) = post(&app, &dana, "project_page", &[("id", "churn")]).await;
    let view: serde_json::Value = serde_json::from_str(&page_json).unwrap();
    let approved = view["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "Approved")
        .expect("the approved subscription")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = post(
        &app,
        &dana,
        "decide_subscription",
        &[("id", &approved), ("decision", "Revoked"), ("reason", "The churn study ended.")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refused = register_trained_on(&app, "churn", "loan-applications").await.unwrap_err().to_string();
    assert!(refused.contains("loan-applications"), "{refused}");
    let events: Vec<String> = sqlx::query_scalar("SELECT detail_type FROM events ORDER BY seq")
        .fetch_all(app.portal.state.store.sqlite_pool().expect("the SQLite store"))
        .await
        .unwrap();
    for t in ["DatasetSubscriptionRejected", "DatasetSubscriptionRevoked"] {
        assert!(events.iter().any(|e| e == t), "no {t} event");
    }
}

/// Registers a version of `project` whose lineage names the catalog dataset `dataset`, as its CI would.
async fn register_trained_on(
    app: &TestPortal,
    project: &str,
    dataset: &str,
) -> Result<governance::model::ModelVersion, governance::service::ServiceError> {
    let service = &app.portal.state.service;
    let machine = governance::Actor::Machine(governance::persona::Machine {
        subject: governance::Subject(format!("ci:{project}")),
        project: governance::ProjectId(project.into()),
        may: governance::trust_policy::MachineAction::ALL.into(),
    });
    let datasets = service.ports_for_tests().catalog.datasets().await.unwrap();
    let location = datasets.iter().find(|d| d.id.as_str() == dataset).unwrap().location.clone();
    let input = governance::model::RegisterVersionInput {
        model_group: "churn-model".into(),
        description: "churn".into(),
        mlflow_run_id: None,
        training_data: vec![location],
        code_commit: None,
        artifact_uri: "s3://a/churn/model.tar.gz".into(),
        container_image: "img:1".into(),
        metrics: Default::default(),
        model_card: Default::default(),
    };
    service.register_version(&machine, &governance::ProjectId(project.into()), input).await
}

/// Registers a version of `project` (trained on `dataset`), Dev-approves it as Dana and runs the copy into
/// the central registry; returns the central copy.
async fn central_version_of(app: &TestPortal, project: &str, dataset: &str) -> governance::model::ModelVersion {
    use governance::decision::{DecisionRequest, Verdict};
    let service = &app.portal.state.service;
    let dev = register_trained_on(app, project, dataset).await.unwrap();
    // Dana as her session sees her: a Data Scientist of the project she created.
    let dana = governance::Principal {
        subject: governance::Subject("dana".into()),
        display_name: "Dana".into(),
        memberships: service.project_memberships(&governance::Subject("dana".into())).await.unwrap(),
        admin: false,
    };
    let digest = app.evidence_digest(&dev).await;
    let request = DecisionRequest {
        stage: governance::Stage::Dev,
        verdict: Verdict::Approve,
        justification: "Offline metrics are fine.".into(),
        evidence_digest: digest,
        seen_test_run: None,
    };
    service.decide(&dana, &dev.id, request).await.unwrap();
    provision(app).await;
    let copy = app.reload(&dev).await.central_copy.expect("copied to the central registry");
    service.ports_for_tests().registry.version(&copy).await.unwrap().unwrap()
}
