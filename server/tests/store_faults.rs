//! The embedded store under a full disk: writes refused while there is no room leave nothing behind; once
//! there is room again every write commits, and exactly the writes that were answered Ok are in the database
//! afterwards (read by a new connection). Before the pool closed connections returned inside a transaction,
//! writes after the space came back failed with "database is locked" (issue 14).

use std::collections::BTreeSet;

use chrono::Utc;
use governance::events::EventEnvelope;
use governance::ports::{Effects, RegistryJournal};
use governance::EventId;
use server::sqlite::SqliteStore;

fn envelope(n: usize) -> EventEnvelope {
    EventEnvelope {
        version: "0".into(),
        id: EventId(format!("evt-{n}")),
        detail_type: "ModelVersionRegistered".into(),
        source: "ml.portal".into(),
        account: "111111111111".into(),
        time: Utc::now(),
        region: "eu-west-1".into(),
        resources: vec![],
        // Two kilobytes, so the database fills in a few dozen writes.
        detail: serde_json::json!({ "model": { "versionId": format!("mv-{n}") }, "padding": "x".repeat(2048) }),
    }
}

/// A real full filesystem (a 2 MiB tmpfs; mounting needs root, as CI has): the WAL cannot grow, so commits
/// fail too; after the filesystem grows every write commits.
#[tokio::test]
async fn a_real_full_filesystem_loses_no_answered_write_and_recovers_when_space_is_freed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mount = dir.path().join("small");
    std::fs::create_dir_all(&mount).expect("mount point");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mount)
        .status()
        .expect("mount runs");
    assert!(mounted.success(), "this test mounts a small tmpfs and needs root (CI runs as root)");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            // Lazy: detached now, freed once the last file on it is closed.
            let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let path = mount.join("portal.sqlite");
    let store = SqliteStore::open(&path, vec!["webhook".into()]).await.expect("open");
    let mut answered = BTreeSet::new();
    let mut refused = 0;
    let mut n = 0;
    while refused < 40 {
        let writes: Vec<_> = (0..4)
            .map(|i| {
                let store = store.clone();
                let id = n + i;
                tokio::spawn(
                    async move { (id, store.release(Effects { events: vec![envelope(id)], audit: vec![] }).await) },
                )
            })
            .collect();
        n += 4;
        for write in writes {
            let (id, result) = write.await.expect("a write");
            match result {
                Ok(()) => {
                    answered.insert(format!("evt-{id}"));
                }
                Err(_) => refused += 1,
            }
        }
        assert!(n < 20_000, "the filesystem never filled");
    }
    // Room again: the filesystem grows (remounted larger), and every write commits.
    let grown = std::process::Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&mount)
        .status()
        .expect("remount runs");
    assert!(grown.success());
    store.ready().await.expect("ready again once writes commit");
    for id in n..n + 40 {
        let written = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            store.release(Effects { events: vec![envelope(id)], audit: vec![] }),
        )
        .await;
        assert!(matches!(written, Ok(Ok(()))), "write {id} after space was freed: {written:?}");
        answered.insert(format!("evt-{id}"));
    }
    store.pool().close().await;
    let reopened = SqliteStore::open(&path, vec!["webhook".into()]).await.expect("reopen");
    let stored: BTreeSet<String> = sqlx::query_scalar("SELECT id FROM events")
        .fetch_all(reopened.pool())
        .await
        .expect("events")
        .into_iter()
        .collect();
    let lost: Vec<_> = answered.difference(&stored).collect();
    let announced: Vec<_> = stored.difference(&answered).collect();
    reopened.pool().close().await;
    assert!(lost.is_empty(), "answered Ok but not in the database: {lost:?}");
    assert!(announced.is_empty(), "in the database but refused: {announced:?}");
}

/// PostgreSQL goes away under a running portal (its own server, stopped with `immediate`, as a crash or a
/// failover does): `/readyz` says the database is not ready and a write is answered 503 naming the store, not
/// left hanging; once the server is back on the same port the portal recovers by itself: ready again, the next
/// write commits, and nothing answered during the outage is in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_loud_and_the_portal_recovers_when_it_returns() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/postgres.sh");
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = dir.path().join("pg");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("port").port();
    let postgres = |command: &str| {
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg(command)
            .arg(&cluster)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .output()
            .expect("scripts/postgres.sh");
        assert!(out.status.success(), "postgres.sh {command}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string()
    };
    let url = postgres("start");
    let mut settings = server::settings::Settings {
        data_dir: dir.path().join("data"),
        project_tokens: [("credit-risk".to_string(), server::settings::Secret("outage-token".into()))]
            .into_iter()
            .collect(),
        database_url: Some(server::settings::Secret(url.clone())),
        ..server::settings::Settings::default()
    };
    settings.database_pool_size = 4;
    let portal = server::build(settings).await.expect("the portal on PostgreSQL");
    let router = server::routes::router(portal.state.clone());
    let send = |request: Request<Body>| {
        let router = router.clone();
        async move {
            let response = tower::ServiceExt::oneshot(router, request).await.expect("an answer");
            let status = response.status();
            let body = response.into_body().collect().await.expect("body").to_bytes();
            (status, String::from_utf8_lossy(&body).to_string())
        }
    };
    let readyz = || Request::get("/readyz").body(Body::empty()).expect("request");
    let register = |n: usize| {
        Request::post("/api/v1/projects/credit-risk/versions")
            .header("authorization", "Bearer outage-token")
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({
                    "model_group": "outage-model",
                    "artifact_uri": format!("s3://ml-artifacts/outage/{n}/model.tar.gz"),
                    "container_image": "xgb:1",
                    "metrics": {"auc": 0.8}
                })
                .to_string(),
            ))
            .expect("request")
    };
    assert_eq!(send(readyz()).await.0, StatusCode::OK);
    assert_eq!(send(register(1)).await.0, StatusCode::CREATED);

    postgres("halt");
    let (status, body) = send(readyz()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("database"), "readyz names the backend: {body}");
    let started = std::time::Instant::now();
    let (status, body) = send(register(2)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.to_lowercase().contains("store"), "the error names the store: {body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "answered, not left hanging");

    postgres("start");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while send(readyz()).await.0 != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "the portal did not recover when PostgreSQL came back");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(send(register(3)).await.0, StatusCode::CREATED, "writes commit again");
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.expect("connect");
    let lineages: Vec<String> =
        sqlx::query_scalar("SELECT lineage FROM model_versions WHERE group_name = 'outage-model'")
            .fetch_all(&mut db)
            .await
            .expect("versions");
    let artifacts: BTreeSet<String> = lineages
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|l| l["artifact_uri"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        artifacts,
        ["s3://ml-artifacts/outage/1/model.tar.gz", "s3://ml-artifacts/outage/3/model.tar.gz"]
            .into_iter()
            .map(String::from)
            .collect(),
        "the answered writes and only those"
    );
    drop(db);
    postgres("stop");
}
