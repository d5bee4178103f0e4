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
    let dispatcher = server::dispatch::Dispatcher::new(&app.portal.state.service, &[], 10).unwrap();
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
        .fetch_all(app.portal.state.store.pool())
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
}
