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
