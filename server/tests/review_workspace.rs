//! The version page as a review workspace, as the server draws it (JavaScript off): the awaited decision and
//! its gates at a glance, the in-page navigation, metrics against thresholds with pass and fail, sorting by
//! links; and the small defects seen beside it (the deployment config form, the template preview).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use governance::deployment::DeploymentConfig;
use governance::Environment;

fn page(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri).header("accept", "text/html").header("cookie", cookie).body(Body::empty()).unwrap()
}

fn select(doc: &scraper::Html, css: &str) -> Vec<String> {
    doc.select(&scraper::Selector::parse(css).unwrap())
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn attr(doc: &scraper::Html, css: &str, name: &str) -> Vec<String> {
    doc.select(&scraper::Selector::parse(css).unwrap())
        .filter_map(|e| e.value().attr(name).map(str::to_string))
        .collect()
}

async fn draw(app: &common::TestPortal, uri: &str, cookie: &str) -> scraper::Html {
    let (status, html) = app.send(page(uri, cookie)).await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    scraper::Html::parse_document(&html)
}

#[tokio::test]
async fn the_version_page_says_what_awaits_whom_and_measures_metrics_against_thresholds() {
    let app = common::spawn().await;
    let gina = app.sign_in("gina").await;
    // lgd-model v1 awaits Prod; its latest test run failed and its p99 latency (910 ms) is over the 300 ms bound.
    let lgd = app.version("lgd-model", 1, true).await;
    let doc = draw(&app, &format!("/versions/{}", lgd.id), &gina).await;

    let glance = select(&doc, "[data-testid=awaiting]").concat();
    assert!(glance.contains("Awaiting the Prod decision of a Governance Engineer"), "{glance}");
    assert!(glance.contains("gates met:"), "{glance}");
    assert!(glance.contains("Threshold latency_p99_ms ≤ 300 not met"), "the failing gate is named: {glance}");
    let gate_links = attr(&doc, "[data-testid=awaiting] a", "href");
    assert!(
        gate_links.contains(&"#metrics".to_string()) && gate_links.contains(&"#approval".to_string()),
        "{gate_links:?}"
    );

    // The navigation is anchors, each to a part of the page that exists.
    let nav = attr(&doc, "[data-testid=workspace-nav] a", "href");
    assert_eq!(nav, ["#overview", "#evidence", "#test-runs", "#monitoring", "#lineage", "#history", "#approval"]);
    for anchor in &nav {
        assert_eq!(select(&doc, anchor).len(), 1, "{anchor} is on the page");
    }

    // Metrics as rows: value right-aligned and formatted once, the threshold, the result.
    let rows: Vec<Vec<String>> = doc
        .select(&scraper::Selector::parse("[data-testid=metrics-table] tbody tr").unwrap())
        .map(|r| r.children().filter_map(scraper::ElementRef::wrap).map(|c| c.text().collect::<String>()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0], ["auc", "0.78", "auc ≥ 0.75", "Pass"]);
    assert_eq!(rows[1], ["latency_p99_ms", "910latest test run", "latency_p99_ms ≤ 300", "Fail"]);
    assert_eq!(attr(&doc, "[data-testid=metrics-table] td.text-right", "class").len(), 2, "numbers are right-aligned");

    // Sorting is a link that works without JavaScript: failing first, and back.
    let sort = attr(&doc, "[data-testid=metrics-table] th[aria-sort] a", "href");
    let by_result = sort.iter().find(|h| h.contains("metric_sort=result")).expect("a result sort link").clone();
    assert!(by_result.ends_with("#metrics"), "{by_result}");
    let sorted = draw(&app, &format!("/versions/{}{}", lgd.id, by_result.trim_end_matches("#metrics")), &gina).await;
    let first = select(&sorted, "[data-testid=metrics-table] tbody tr th");
    assert_eq!(first, ["latency_p99_ms", "auc"], "failures first");
    assert_eq!(attr(&sorted, "[data-testid=metrics-table] th[aria-sort=ascending] a", "href").len(), 1);
    // A crafted sort names nothing the table has: the default order, no error.
    let crafted = draw(&app, &format!("/versions/{}?metric_sort=%3Cscript%3E&metric_sort_dir=up", lgd.id), &gina).await;
    assert_eq!(select(&crafted, "[data-testid=metrics-table] tbody tr th"), ["auc", "latency_p99_ms"]);

    // A version awaiting nothing says so in the header.
    let prod = app.version("pd-model", 1, true).await;
    let doc = draw(&app, &format!("/versions/{}", prod.id), &gina).await;
    assert_eq!(select(&doc, "[data-testid=awaiting]"), ["Awaits no decision."]);
}

#[tokio::test]
async fn after_saving_the_test_config_the_form_stays_on_test_with_its_values() {
    let app = common::spawn().await;
    let erin = app.sign_in("erin").await;
    let principal = server::demo::people().into_iter().find(|p| p.subject.as_str() == "erin").expect("erin");
    // support-llm v1 awaits Test with no config: both environments are open to Erin.
    let v = app.version("support-llm", 1, true).await;
    let config = |instance: &str| DeploymentConfig {
        instance_type: instance.into(),
        initial_instance_count: 1,
        autoscaling_min: 1,
        autoscaling_max: 2,
        variants: vec![governance::deployment::ProductionVariant { name: "champion".into(), weight: 100 }],
        data_capture_percent: 10,
    };
    let service = &app.portal.state.service;
    service.save_deployment_config(&principal, &v.id, Environment::Prod, config("ml.g5.2xlarge")).await.expect("prod");
    service.save_deployment_config(&principal, &v.id, Environment::Test, config("ml.g5.xlarge")).await.expect("test");
    let doc = draw(&app, &format!("/versions/{}", v.id), &erin).await;
    assert_eq!(select(&doc, "select[name=environment] option[selected]"), ["Test"], "the form stays on Test");
    assert_eq!(attr(&doc, "input[name=instance_type]", "value"), ["ml.g5.xlarge"], "with Test's values");

    service.save_deployment_config(&principal, &v.id, Environment::Prod, config("ml.g5.4xlarge")).await.expect("prod");
    let doc = draw(&app, &format!("/versions/{}", v.id), &erin).await;
    assert_eq!(select(&doc, "select[name=environment] option[selected]"), ["Prod"]);
    assert_eq!(attr(&doc, "input[name=instance_type]", "value"), ["ml.g5.4xlarge"], "with Prod's values");
}

#[tokio::test]
async fn every_published_seed_template_previews_all_its_files() {
    let app = common::spawn().await;
    let ada = app.sign_in("ada").await;
    let doc = draw(&app, "/templates", &ada).await;
    let templates: Vec<String> =
        attr(&doc, "a[href^='/templates/']", "href").into_iter().filter(|h| h != "/templates/new").collect();
    assert!(!templates.is_empty());
    for href in templates {
        let (status, html) = app.send(page(&href, &ada)).await;
        assert_eq!(status, StatusCode::OK, "{href}");
        assert!(!html.contains("undefined value"), "{href} previews without an undefined value");
        let doc = scraper::Html::parse_document(&html);
        let preview = select(&doc, "section[aria-labelledby=preview-h]").concat();
        assert!(preview.contains("build/") || preview.contains("deploy/"), "{href} shows its files: {preview}");
    }
}

#[tokio::test]
async fn an_admin_is_told_why_she_may_not_start_a_project_instead_of_a_form_she_may_not_submit() {
    let app = common::spawn().await;
    let ada = app.sign_in("ada").await;
    let doc = draw(&app, "/projects", &ada).await;
    let said = select(&doc, "[data-testid=create-refused]");
    assert_eq!(said.len(), 1, "the projects page says why");
    assert!(said[0].contains("Data Scientist"), "{said:?}");
    assert!(attr(&doc, "a[href^='/projects/new/']", "href").is_empty(), "no link to a form she may not submit");
    // The form's own address, typed in: the reason, no form.
    let dana = app.sign_in("dana").await;
    let offered = attr(&draw(&app, "/projects", &dana).await, "a[href^='/projects/new/']", "href");
    let new = offered.first().expect("Dana is offered the templates").clone();
    let doc = draw(&app, &new, &ada).await;
    assert_eq!(select(&doc, "[data-testid=create-refused]").len(), 1);
    assert_eq!(select(&doc, "form button[type=submit]").iter().filter(|b| b.contains("Create project")).count(), 0);
    let doc = draw(&app, &new, &dana).await;
    assert_eq!(select(&doc, "form button[type=submit]").iter().filter(|b| b.contains("Create project")).count(), 1);
}

#[tokio::test]
async fn the_demo_challenger_differs_from_the_champion_so_an_ab_comparison_shows_two_lines() {
    let app = common::spawn().await;
    let prod = app.version("pd-model", 1, true).await;
    let now = app.portal.state.service.now();
    let overview = app
        .portal
        .state
        .service
        .monitoring(&common::reader(), &prod.id, now - chrono::Duration::days(8), now, 500)
        .await
        .expect("monitoring");
    let of = |metric: &str, variant: &str| {
        overview
            .iter()
            .find(|o| o.series.metric == metric && o.series.variant == variant)
            .unwrap_or_else(|| panic!("{metric} of {variant}"))
    };
    for metric in ["ModelLatency p99 (ms)", "Invocations", "Drift: income (PSI)"] {
        let (champion, challenger) = (of(metric, "champion"), of(metric, "challenger"));
        let values =
            |o: &governance::monitoring::SeriesOverview| o.series.points.iter().map(|p| p.value).collect::<Vec<_>>();
        assert_ne!(values(champion), values(challenger), "{metric}: one line for two variants");
    }
    // The champion breaches its latency threshold at the end; the faster challenger does not.
    assert!(of("ModelLatency p99 (ms)", "champion").breaches > 0);
    assert_eq!(of("ModelLatency p99 (ms)", "challenger").breaches, 0);
}
