//! The store on a temporary database, SQLite and PostgreSQL alike: the outbox survives a restart, a redelivered
//! Dev approval makes one central copy, and of 50 concurrent decisions on one version exactly one wins.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use common::Db;
use governance::decision::{DecisionRequest, Verdict};
use governance::ports::{DeliveryState, Window};
use governance::service::ServiceError;
use governance::Stage;
use server::settings::{Secret, WebhookTarget};

on_both_databases!(
    a_restart_in_the_middle_of_delivery_loses_no_event,
    a_failing_target_backs_off_and_lands_on_the_dead_letter_list,
    a_redelivered_dev_approval_makes_one_central_copy,
    of_fifty_concurrent_decisions_exactly_one_wins,
    the_monitoring_overview_aggregated_in_sql_draws_what_the_points_say,
    each_webhook_post_is_signed_with_the_time_it_is_sent,
    a_first_start_that_died_while_seeding_is_seeded_again_whole,
);

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A webhook receiver on a random port that records the `webhook-id` of every delivery.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap| {
            let sink = sink.clone();
            async move {
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                sink.lock().unwrap().push(id);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, got, task)
}

/// The ids of every event in the outbox.
async fn stored_event_ids(portal: &server::Portal) -> BTreeSet<String> {
    let page = portal.state.service.ports_for_tests().ledger.events(None, Window::new(0, 200)).await.unwrap();
    page.items.into_iter().map(|r| r.envelope.id.0).collect()
}

fn hook(url: &str) -> WebhookTarget {
    WebhookTarget { name: "ops".into(), url: url.into(), secret: Secret(SECRET.into()) }
}

async fn a_restart_in_the_middle_of_delivery_loses_no_event(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    // First life: the webhook target is down; half a tick's worth of deliveries fail and stay pending.
    let down = "http://127.0.0.1:9/hook";
    let portal = server::build(db.settings(dir.path(), vec![hook(down)])).await.unwrap();
    let all_events = stored_event_ids(&portal).await;
    assert!(all_events.len() > 40, "demo data emits events: {}", all_events.len());
    portal.dispatcher.tick().await;
    drop(portal); // the crash

    // Second life, same database, the target is up now.
    let (url, got, _task) = receiver().await;
    let portal = server::build(db.settings(dir.path(), vec![hook(&url)])).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        portal.dispatcher.tick().await;
        // Consumers add events of their own (deployment requests) while delivery goes on.
        let stored = stored_event_ids(&portal).await;
        assert!(stored.is_superset(&all_events));
        let received: BTreeSet<String> = got.lock().unwrap().iter().cloned().collect();
        if received.is_superset(&stored) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "missing after restart: {:?}",
            stored.difference(&received).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let records = portal.state.service.ports_for_tests().ledger.events(None, Window::new(0, 200)).await.unwrap().items;
    for r in records {
        for d in r.deliveries {
            assert_eq!(d.state, DeliveryState::Delivered, "{} to {}", r.envelope.id, d.target);
        }
    }
}

async fn a_failing_target_backs_off_and_lands_on_the_dead_letter_list(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = db.settings(dir.path(), vec![hook("http://127.0.0.1:9/hook")]);
    settings.max_delivery_attempts = 1;
    let portal = server::build(settings).await.unwrap();
    while portal.dispatcher.tick().await > 0 {}
    let page = portal.state.service.ports_for_tests().ledger.events(None, Window::new(0, 5)).await.unwrap();
    let hook_delivery = page.items[0].deliveries.iter().find(|d| d.target == "ops").unwrap();
    assert_eq!(hook_delivery.state, DeliveryState::Dead);
    assert!(hook_delivery.last_error.as_deref().unwrap_or_default().contains("could not reach"));
    // Redelivery puts it back in the queue.
    let event = &page.items[0].envelope.id;
    portal
        .state
        .service
        .ports_for_tests()
        .ledger
        .redeliver(event, "ops", portal.state.service.ports_for_tests().clock.now())
        .await
        .unwrap();
    let again = portal.state.service.ports_for_tests().ledger.event(event).await.unwrap().unwrap();
    assert_eq!(again.deliveries.iter().find(|d| d.target == "ops").unwrap().state, DeliveryState::Pending);
}

async fn a_redelivered_dev_approval_makes_one_central_copy(db: Db) {
    let app = common::spawn_on(&db).await;
    let service = &app.portal.state.service;
    let dev = app.version("pd-model", 3, false).await;
    let dana = server::demo::people().into_iter().find(|p| p.subject.as_str() == "dana").unwrap();
    let digest = app.evidence_digest(&dev).await;
    service
        .decide(
            &dana,
            &dev.id,
            DecisionRequest {
                stage: Stage::Dev,
                verdict: Verdict::Approve,
                justification: "Beats baseline.".into(),
                evidence_digest: digest,
                seen_test_run: None,
            },
        )
        .await
        .unwrap();
    let approval = service
        .ports_for_tests()
        .ledger
        .events(Some(&dev.id), Window::new(0, 10))
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|r| r.envelope.detail_type == "ModelApproved")
        .unwrap()
        .envelope;
    // Delivered three times: twice at once (two replicas) and once more later.
    let (a, b) = tokio::join!(service.handle_event(&approval), service.handle_event(&approval));
    a.unwrap();
    b.unwrap();
    service.handle_event(&approval).await.unwrap();
    app.portal.dispatcher.tick().await;
    let copies: Vec<_> = service
        .ports_for_tests()
        .registry
        .list_versions(&governance::ports::VersionQuery {
            central: Some(true),
            window: Window::new(0, 200),
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|v| v.lineage.source_version.as_ref() == Some(&dev.id))
        .collect();
    assert_eq!(copies.len(), 1);
    let copy = &copies[0];
    assert_eq!((copy.stage, copy.status), (Stage::Dev, governance::ApprovalStatus::Approved));
    assert_eq!(copy.lineage.artifact_uri, dev.lineage.artifact_uri);
    assert_eq!(app.reload(&dev).await.central_copy.as_ref(), Some(&copy.id));
}

async fn of_fifty_concurrent_decisions_exactly_one_wins(db: Db) {
    let app = common::spawn_on(&db).await;
    let service = app.portal.state.service.clone();
    let version = app.version("pd-model", 2, true).await;
    let digest = app.evidence_digest(&version).await;
    let gina = server::demo::people().into_iter().find(|p| p.subject.as_str() == "gina").unwrap();
    let before = service.ports_for_tests().registry.decisions(&version.id).await.unwrap().len();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (service, gina, id, digest) = (service.clone(), gina.clone(), version.id.clone(), digest.clone());
            tokio::spawn(async move {
                let verdict = if i % 2 == 0 { Verdict::Approve } else { Verdict::Reject };
                service
                    .decide(
                        &gina,
                        &id,
                        DecisionRequest {
                            stage: Stage::Prod,
                            verdict,
                            justification: format!("decision {i}"),
                            evidence_digest: digest,
                            seen_test_run: None,
                        },
                    )
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(ServiceError::Conflict(_)) | Err(ServiceError::Denied(_)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(service.ports_for_tests().registry.decisions(&version.id).await.unwrap().len(), before + 1);
    let after = app.reload(&version).await;
    assert_eq!(after.stage, Stage::Prod);
    assert_eq!(after.revision, version.revision + 1);
}

#[tokio::test]
async fn the_audit_chain_verifies_and_the_database_refuses_edits() {
    let app = common::spawn().await;
    let ledger = &app.portal.state.service.ports_for_tests().ledger;
    let verification = ledger.verify_audit().await.unwrap();
    assert!(verification.entries > 20);
    assert_eq!(verification.broken, None);
    let pool = app.portal.state.store.sqlite_pool().expect("the SQLite store");
    let err = sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").execute(pool).await.unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(pool).await.is_err());
    // Someone with file access drops the trigger and edits an entry: the chain shows where.
    sqlx::query("DROP TRIGGER audit_log_no_update").execute(pool).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").execute(pool).await.unwrap();
    let broken = ledger.verify_audit().await.unwrap().broken.expect("broken");
    assert_eq!(broken.seq, 3);
}

/// On PostgreSQL the audit log refuses UPDATE, DELETE and TRUNCATE alike (triggers), and an entry edited by
/// someone who dropped them breaks the chain where it was edited.
#[tokio::test]
async fn on_postgres_the_audit_chain_verifies_and_the_database_refuses_edits() {
    use sqlx::Connection;
    let db = Db::postgres().await;
    let app = common::spawn_on(&db).await;
    let ledger = &app.portal.state.service.ports_for_tests().ledger;
    let verification = ledger.verify_audit().await.unwrap();
    assert!(verification.entries > 20);
    assert_eq!(verification.broken, None);
    let Db::Postgres(url) = &db else { unreachable!("a PostgreSQL database") };
    let mut pg = sqlx::PgConnection::connect(url).await.unwrap();
    for edit in [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 3",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(edit).execute(&mut pg).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{edit}: {err}");
    }
    sqlx::query("DROP TRIGGER audit_log_no_update ON audit_log").execute(&mut pg).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").execute(&mut pg).await.unwrap();
    let broken = ledger.verify_audit().await.unwrap().broken.expect("broken");
    assert_eq!(broken.seq, 3);
}

async fn the_monitoring_overview_aggregated_in_sql_draws_what_the_points_say(db: Db) {
    use governance::monitoring::{MonitoringPush, Point, SeriesOverview};
    use governance::ports::Effects;

    let app = common::spawn_on(&db).await;
    let store = app.portal.state.store.ports().monitoring.clone();
    let version = app.version("pd-model", 2, true).await;
    // Whole milliseconds: the store keeps times to the millisecond.
    let now = chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis()).unwrap();
    let start = now - chrono::Duration::days(6);
    // 5,000 points a minute apart, a saw-tooth under the threshold, one spike above it.
    let points: Vec<Point> = (0..5000)
        .map(|i| Point {
            at: start + chrono::Duration::minutes(i),
            value: if i == 3210 { 999.0 } else { 100.0 + (i % 50) as f64 },
        })
        .collect();
    let push = MonitoringPush {
        metric: "ModelLatency p99 (ms)".into(),
        endpoint: "bench".into(),
        variant: "champion".into(),
        threshold: Some(300.0),
        points: points.clone(),
    };
    store.push(&version.id, push, Effects::default()).await.unwrap();
    let (from, to) = (now - chrono::Duration::days(7), now);
    let in_sql = store.overview(&version.id, from, to, 150).await.unwrap();
    let in_memory: Vec<SeriesOverview> =
        store.series(&version.id, from, to).await.unwrap().into_iter().map(|s| SeriesOverview::of(s, 150)).collect();
    let (sql, mem) = (&in_sql[0], &in_memory[0]);
    assert_eq!((sql.points, sql.breaches), (5000, 1), "every point counted, the one breach found");
    assert_eq!((sql.points, sql.breaches), (mem.points, mem.breaches));
    assert!(sql.series.points.len() <= 301, "{} points to draw", sql.series.points.len());
    assert!(sql.series.points.iter().any(|p| p.value == 999.0), "the spike is drawn");
    assert_eq!(sql.series.points.last(), points.last(), "the latest point is exact");
    assert!(sql.series.points.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
    let lowest = sql.series.points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
    assert_eq!(lowest, 100.0, "the lowest values are drawn too");

    // A day (read from the points, not the hourly roll-up) agrees with the points too.
    let day = (now - chrono::Duration::hours(24), now);
    let short = &store.overview(&version.id, day.0, day.1, 150).await.unwrap()[0];
    let raw = store.series(&version.id, day.0, day.1).await.unwrap();
    assert_eq!(short.points, raw[0].points.len() as u64);

    // A retried push replaces points instead of counting them twice; a lower threshold recounts the breaches.
    let again = MonitoringPush {
        metric: "ModelLatency p99 (ms)".into(),
        endpoint: "bench".into(),
        variant: "champion".into(),
        threshold: Some(140.0),
        points: points[..100].to_vec(),
    };
    store.push(&version.id, again, Effects::default()).await.unwrap();
    let after = &store.overview(&version.id, from, to, 150).await.unwrap()[0];
    let expected = points.iter().filter(|p| p.value > 140.0).count() as u64;
    assert_eq!((after.points, after.breaches), (5000, expected));
}

/// A first start that dies while seeding the demo leaves "started" behind: the next start seeds again from an
/// empty database, so the demo is whole (the same versions and groups as an uninterrupted first start), never
/// half there forever.
async fn a_first_start_that_died_while_seeding_is_seeded_again_whole(db: Db) {
    let counts = |portal: &server::Portal| {
        let service = portal.state.service.clone();
        async move {
            let reader = common::reader();
            let versions = service
                .versions(
                    &reader,
                    &governance::ports::VersionQuery { window: Window::new(0, 200), ..Default::default() },
                )
                .await
                .expect("versions")
                .total;
            let groups = service.model_groups(&reader, None, Window::new(0, 200)).await.expect("groups").total;
            (versions, groups)
        }
    };
    let whole_dir = tempfile::tempdir().unwrap();
    let whole = server::build(common::settings(whole_dir.path(), vec![])).await.expect("a first start");
    let expected = counts(&whole).await;
    assert!(expected.0 > 5, "the demo has versions: {expected:?}");

    let dir = tempfile::tempdir().unwrap();
    {
        // The first start got as far as the directory, then died.
        let store = server::store::open(&db.settings(dir.path(), vec![]), vec![]).await.expect("open");
        assert!(server::demo::seed_directory_if_empty(&store).await.expect("directory"));
        store.close().await;
    }
    let restarted = server::build(db.settings(dir.path(), vec![])).await.expect("the next start");
    assert_eq!(counts(&restarted).await, expected, "the demo is whole");
    assert!(!server::demo::seeding_interrupted(&restarted.state.store).await.expect("state"));
}

/// A slow receiver (0.15 s a request) gets each post signed with the time it is sent, not the time the batch
/// started, so a receiver checking the timestamp's freshness accepts the later ones too.
async fn each_webhook_post_is_signed_with_the_time_it_is_sent(db: Db) {
    let stamps = Arc::new(Mutex::new(Vec::new()));
    let sink = stamps.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap| {
            let sink = sink.clone();
            async move {
                let at: i64 = headers.get("webhook-timestamp").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
                sink.lock().unwrap().push(at);
                tokio::time::sleep(Duration::from_millis(150)).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let portal = server::build(db.settings(dir.path(), vec![hook(&url)])).await.unwrap();
    let started = chrono::Utc::now().timestamp();
    portal.dispatcher.tick().await;
    server.abort();
    let stamps = stamps.lock().unwrap().clone();
    assert!(stamps.len() >= 5, "the demo's events were posted: {}", stamps.len());
    let (first, last) = (stamps[0], stamps[stamps.len() - 1]);
    assert!(first >= started, "signed when sent");
    assert!(last - first >= 2, "later posts carry later times: {stamps:?}");
}

/// After an outage each delivery backs off on its own, so a version's later event is often due before its
/// earlier one: per target, it waits until the earlier one is delivered (or dead), and other versions' events
/// and other targets go on meanwhile.
#[tokio::test]
async fn a_versions_events_are_delivered_in_order_per_target_whatever_their_backoff() {
    use governance::ports::{Ledger, RegistryJournal};
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(dir.path(), vec![]);
    settings.demo_data = Some(false);
    let portal = server::build(settings).await.unwrap();
    let store = portal.state.store.sqlite().expect("the SQLite store");
    let event = |n: usize, version: &str| governance::events::EventEnvelope {
        version: "0".into(),
        id: governance::EventId(format!("evt-order-{n}")),
        detail_type: "ModelVersionRegistered".into(),
        source: "ml.portal".into(),
        account: "111111111111".into(),
        time: chrono::Utc::now(),
        region: "eu-west-1".into(),
        resources: vec![],
        detail: serde_json::json!({ "model": { "versionId": version } }),
    };
    let events = vec![event(1, "mv-a"), event(2, "mv-a"), event(3, "mv-b")];
    store.release(governance::ports::Effects { events, audit: vec![] }).await.unwrap();
    // The first event of mv-a backed off for an hour; the second is due now.
    let later = server::store::ts_for_tests(chrono::Utc::now() + chrono::Duration::hours(1));
    sqlx::query("UPDATE deliveries SET next_attempt_at = ?, attempts = 3 WHERE event_id = 'evt-order-1'")
        .bind(later)
        .execute(store.pool())
        .await
        .unwrap();
    let due = |store: &server::sqlite::SqliteStore| {
        let store = store.clone();
        async move {
            let claim = governance::ports::DeliveryClaim {
                holder: "test".into(),
                until: chrono::Utc::now() + chrono::Duration::seconds(60),
            };
            let due = store.due_deliveries(chrono::Utc::now(), &claim, None, 100).await.unwrap();
            due.into_iter().map(|(d, _)| d.event_id.0).collect::<Vec<_>>()
        }
    };
    assert_eq!(due(store).await, vec!["evt-order-3"], "mv-a's second event waits for its first; mv-b goes");
    store
        .mark_delivered(&governance::EventId("evt-order-1".into()), server::dispatch::CONSUMER, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(due(store).await, vec!["evt-order-2", "evt-order-3"], "the first delivered, the second goes");
}

/// A webhook that takes 2 s a post does not hold up the portal's own consumer (central copies, deployment
/// requests): each target has its own worker. With one loop for all targets the consumer's backlog waited
/// behind every slow post.
#[tokio::test]
async fn a_slow_webhook_does_not_delay_the_consumer() {
    let posts = Arc::new(Mutex::new(0usize));
    let sink = posts.clone();
    let app = Router::new().route(
        "/hook",
        post(move || {
            let sink = sink.clone();
            async move {
                *sink.lock().unwrap() += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let receiver = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let portal = server::build(common::settings(dir.path(), vec![hook(&url)])).await.unwrap();
    let store = portal.state.store.sqlite().expect("the SQLite store").clone();
    let pending = |target: &'static str| {
        let store = store.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deliveries WHERE target = ? AND state = 'Pending'")
                .bind(target)
                .fetch_one(store.pool())
                .await
                .unwrap()
        }
    };
    let backlog = pending(server::dispatch::CONSUMER).await;
    assert!(backlog > 10, "the demo's events await the consumer: {backlog}");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let dispatcher = tokio::spawn(portal.dispatcher.run(Duration::from_millis(50), stopped));
    let started = std::time::Instant::now();
    while pending(server::dispatch::CONSUMER).await > 0 {
        assert!(started.elapsed() < Duration::from_secs(15), "the consumer's backlog waited behind the webhook");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let posted = *posts.lock().unwrap();
    assert!(pending("ops").await > 0 && posted < backlog as usize, "the webhook is still far behind: {posted} posts");
    // Shutdown does not wait for the slow target's backlog.
    let stopping = std::time::Instant::now();
    let _ = stop.send(true);
    let _ = dispatcher.await;
    assert!(stopping.elapsed() < Duration::from_secs(5), "stopped in {:?}", stopping.elapsed());
    receiver.abort();
}
