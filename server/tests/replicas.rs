//! Three replicas of the real portal binary on one PostgreSQL database, requests spread across them over HTTP,
//! while one replica at a time is killed with SIGKILL and started again: every decision answered is committed
//! with its events, every event reaches the webhook (at least once; duplicates counted, none lost), each Dev
//! approval makes exactly one central copy, and the audit chain verifies.

mod common;
#[path = "../../aws/tests/common/mod.rs"]
mod moto;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use common::pg;
use sqlx::Connection;
use std::process::{Child, Command};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOKEN: &str = "replica-token-credit-risk";
/// Decisions made while replicas are killed.
const DECISIONS: usize = 1_000;
/// How many are in flight at once.
const CONCURRENCY: usize = 8;
/// Kills during the run, one every `KILL_EVERY`.
const KILLS: usize = 5;
const KILL_EVERY: Duration = Duration::from_secs(3);

/// One replica: its port, its settings file and the running process.
struct Replica {
    port: u16,
    config: std::path::PathBuf,
    log: std::path::PathBuf,
    child: Option<Child>,
}

impl Replica {
    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("replica log");
        let child = Command::new(env!("CARGO_BIN_EXE_portal"))
            .env("PORTAL_CONFIG", &self.config)
            .env("RUST_LOG", "warn,server::aws=info")
            // The emulator's credentials (replicas on the AWS adapters).
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start a replica");
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flush, whatever it was doing.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.url())).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "replica {} never got ready; see {}", self.port, self.log.display());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A test that fails leaves no replica running.
impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

/// A webhook receiver counting every post by its `webhook-id`.
async fn receiver() -> (String, Arc<Mutex<BTreeMap<String, usize>>>) {
    let got = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let sink = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap| {
            let sink = sink.clone();
            async move {
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                *sink.lock().expect("receiver").entry(id).or_default() += 1;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver") });
    (url, got)
}

/// Requests spread across the replicas: each goes to the next one, and a replica that is down (refused,
/// reset, 5xx) is skipped for the next.
#[derive(Clone)]
struct Fleet {
    urls: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    client: reqwest::Client,
}

/// What a request's outcome was, as the caller can tell.
enum Answer {
    Done(reqwest::StatusCode, String),
    /// No answer: the replica died with the request in flight (it may or may not have been committed).
    Lost,
}

impl Fleet {
    async fn send(&self, build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder) -> Answer {
        let url = &self.urls[self.next.fetch_add(1, Ordering::Relaxed) % self.urls.len()];
        match build(&self.client, url).send().await {
            Ok(r) if r.status().is_server_error() => Answer::Lost,
            Ok(r) => {
                let status = r.status();
                Answer::Done(status, r.text().await.unwrap_or_default())
            }
            Err(_) => Answer::Lost,
        }
    }

    /// Sends until a replica answers without a server error; a lost answer is retried (the caller makes its
    /// request idempotent or checks what happened).
    async fn answered(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> (reqwest::StatusCode, String) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Answer::Done(status, body) = self.send(&build).await {
                return (status, body);
            }
            assert!(Instant::now() < deadline, "no replica answered {what} for two minutes");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn settings_file(dir: &std::path::Path, port: u16, database: &str, hook: &str) -> std::path::PathBuf {
    let path = dir.join("portal.toml");
    let toml = format!(
        r#"addr = "127.0.0.1:{port}"
data_dir = "{data}"
mode = "development"
demo_data = true
database_url = "{database}"
database_pool_size = 8
dispatch_interval_ms = 50

[project_tokens]
credit-risk = "{TOKEN}"

[[webhooks]]
name = "replica-hook"
url = "{hook}"
secret = "{SECRET}"
"#,
        data = dir.join("data").display(),
    );
    std::fs::write(&path, toml).expect("settings file");
    path
}

/// The evidence digest the version page's decision form carries (what a reviewer's browser posts back).
fn digest_in(page: &str) -> Option<String> {
    let at = page.find("name=\"evidence_digest\"")?;
    let rest = &page[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_under_sigkill_lose_no_decision_event_or_copy() {
    let database = pg::database().await;
    let (hook, received) = receiver().await;
    let root = tempfile::tempdir().expect("temp dir");
    let mut replicas: Vec<Replica> = (0..3)
        .map(|i| {
            let dir = root.path().join(format!("replica-{i}"));
            std::fs::create_dir_all(&dir).expect("replica dir");
            let port = free_port();
            Replica {
                port,
                config: settings_file(&dir, port, &database, &hook),
                log: dir.join("portal.log"),
                child: None,
            }
        })
        .collect();
    // Redirects are answers here (sign-in sets its cookie on one).
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // The first seeds the demo (the others would wait for it on the first-start lease anyway).
    replicas[0].start().await;
    replicas[0].wait_ready(&client).await;
    for replica in &mut replicas[1..] {
        replica.start().await;
    }
    for replica in &replicas {
        replica.wait_ready(&client).await;
    }
    let fleet = Fleet {
        urls: Arc::new(replicas.iter().map(Replica::url).collect()),
        next: Arc::new(AtomicUsize::new(0)),
        client: client.clone(),
    };
    // Dana (a data scientist of credit-risk) signs in on one replica; her session works on every one.
    let response = client
        .post(format!("{}/fn/sign_in", fleet.urls[0]))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("subject=dana")
        .send()
        .await
        .expect("sign in");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {}", response.status()))
        .to_string();

    // The killer: one replica at a time, SIGKILL, then started again on the same port.
    let killer = {
        let mut replicas = replicas;
        let client = client.clone();
        tokio::spawn(async move {
            for n in 0..KILLS {
                tokio::time::sleep(KILL_EVERY).await;
                let replica = &mut replicas[n % 3];
                replica.kill().await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                replica.start().await;
                replica.wait_ready(&client).await;
            }
            replicas
        })
    };

    let started = Instant::now();
    let approved = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let lost_answers = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (fleet, cookie, approved, lost, next) =
                (fleet.clone(), cookie.clone(), approved.clone(), lost_answers.clone(), next.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < DECISIONS {
                    // CI registers a version; a lost answer may have registered one: that version simply waits.
                    let (status, body) = fleet
                        .answered("a registration", |c, url| {
                            c.post(format!("{url}/api/v1/projects/credit-risk/versions"))
                                .bearer_auth(TOKEN)
                                .json(&serde_json::json!({
                                    "model_group": "replica-model",
                                    "artifact_uri": "s3://ml-artifacts/replica-model/model.tar.gz",
                                    "container_image": "xgb:1",
                                    "metrics": {"auc": 0.8}
                                }))
                        })
                        .await;
                    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
                    let id = serde_json::from_str::<serde_json::Value>(&body).expect("json")["id"]
                        .as_str()
                        .expect("an id")
                        .to_string();
                    let (status, page) = fleet
                        .answered("the version page", |c, url| c.get(format!("{url}/versions/{id}")).header("cookie", &cookie))
                        .await;
                    assert!(status.is_success(), "version page: {status}");
                    let digest = digest_in(&page).expect("the decision form carries the evidence digest");
                    let form = format!(
                        "version={id}&stage=Dev&verdict=Approve&justification=Beats+the+baseline.&evidence_digest={digest}"
                    );
                    // The decision: an answer lost with a killed replica is asked again; the portal then says
                    // whether it had been committed (the version no longer awaits a Dev decision).
                    loop {
                        match fleet
                            .send(|c, url| {
                                c.post(format!("{url}/fn/decide"))
                                    .header("cookie", &cookie)
                                    .header("content-type", "application/x-www-form-urlencoded")
                                    .body(form.clone())
                            })
                            .await
                        {
                            Answer::Done(status, _) if status.is_success() || status.is_redirection() => break,
                            Answer::Done(reqwest::StatusCode::CONFLICT, body) => {
                                assert!(lost.load(Ordering::Relaxed) > 0, "a conflict with no lost answer: {body}");
                                break;
                            }
                            Answer::Done(status, body) => panic!("decision refused: {status} {body}"),
                            Answer::Lost => {
                                lost.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        }
                    }
                    approved.lock().expect("approved").insert(id);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker");
    }
    let decided_in = started.elapsed();
    let replicas = killer.await.expect("the killer");
    let approved = approved.lock().expect("approved").clone();
    assert_eq!(approved.len(), DECISIONS);

    // Let the fleet deliver what is left, then read the database itself.
    let mut db = sqlx::PgConnection::connect(&database).await.expect("connect");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE state <> 'Delivered'")
            .fetch_one(&mut db)
            .await
            .expect("pending");
        let copies: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM model_versions WHERE registry = 'central' AND group_name = 'replica-model'",
        )
        .fetch_one(&mut db)
        .await
        .expect("copies");
        if pending == 0 && copies as usize >= DECISIONS {
            break;
        }
        assert!(Instant::now() < deadline, "still {pending} deliveries pending and {copies} copies after 3 minutes");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Every approval answered is a committed decision, once.
    let decided: Vec<(String, String)> = sqlx::query_as(
        "SELECT d.version, d.event_id FROM decisions d JOIN model_versions v ON v.id = d.version
             WHERE v.group_name = 'replica-model' AND d.stage = 'Dev' AND d.verdict = 'Approve'",
    )
    .fetch_all(&mut db)
    .await
    .expect("decisions");
    let decided_versions: BTreeSet<String> = decided.iter().map(|(v, _)| v.clone()).collect();
    let unrecorded: Vec<_> = approved.difference(&decided_versions).collect();
    assert!(unrecorded.is_empty(), "answered approvals not in the database: {unrecorded:?}");
    assert_eq!(decided.len(), decided_versions.len(), "a version decided twice");
    // Every decision's event exists; every event reached the webhook.
    let events: BTreeSet<String> =
        sqlx::query_scalar("SELECT id FROM events").fetch_all(&mut db).await.expect("events").into_iter().collect();
    for (version, event) in &decided {
        assert!(events.contains(event), "the decision on {version} has no event {event}");
    }
    let received = received.lock().expect("received").clone();
    let missing: Vec<_> = events.iter().filter(|id| !received.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} events never reached the webhook, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let duplicates: usize = received.values().map(|n| n - 1).sum();
    // Exactly one central copy per Dev approval.
    let copies: Vec<(String, i64)> = sqlx::query_as(
        "SELECT source_version, COUNT(*) FROM model_versions WHERE registry = 'central' AND group_name = 'replica-model'
         GROUP BY source_version",
    )
    .fetch_all(&mut db)
    .await
    .expect("copies");
    assert!(copies.iter().all(|(_, n)| *n == 1), "a Dev approval copied twice");
    let copied: BTreeSet<String> = copies.into_iter().map(|(s, _)| s).collect();
    let uncopied: Vec<_> = decided_versions.difference(&copied).collect();
    let unapproved: Vec<_> = copied.difference(&decided_versions).collect();
    assert!(
        uncopied.is_empty() && unapproved.is_empty(),
        "approved, no copy: {uncopied:?}; copied, not approved: {unapproved:?}"
    );

    // The audit chain verifies (the binary's own check, as an operator runs it).
    let verified = Command::new(env!("CARGO_BIN_EXE_portal"))
        .arg("verify-audit")
        .env("PORTAL_CONFIG", &replicas[0].config)
        .output()
        .expect("verify-audit");
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let leases: Vec<(String, String)> =
        sqlx::query_as("SELECT name, holder FROM leases").fetch_all(&mut db).await.expect("leases");
    println!(
        "{DECISIONS} decisions in {:.1} s across 3 replicas with {KILLS} SIGKILLs: {} answers lost and retried, \
         {} events all delivered ({duplicates} duplicate posts), {} central copies, leases {leases:?}",
        decided_in.as_secs_f64(),
        lost_answers.load(Ordering::Relaxed),
        events.len(),
        copied.len(),
    );
    for mut replica in replicas {
        replica.kill().await;
    }
}

fn aws_settings_file(dir: &std::path::Path, port: u16, database: &str, moto: &str) -> std::path::PathBuf {
    let path = dir.join("portal.toml");
    let toml = format!(
        r#"addr = "127.0.0.1:{port}"
data_dir = "{data}"
mode = "development"
demo_data = true
database_url = "{database}"
log_format = "json"
event_account = "123456789012"
event_region = "us-east-1"

[aws]
region = "us-east-1"
endpoint_url = "{moto}"
reconcile_calls_per_second = 10000
# A pass every second, so passes would overlap at once if two replicas ran them.
reconcile_interval_secs = 1

[aws.central]
account_id = "123456789012"
"#,
        data = dir.join("data").display(),
    );
    std::fs::write(&path, toml).expect("settings file");
    path
}

/// The reconciliation passes a replica's JSON log records: (start, end), the end missing for a pass cut short.
fn passes(log: &std::path::Path) -> Vec<(chrono::DateTime<chrono::Utc>, Option<chrono::DateTime<chrono::Utc>>)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut out: Vec<(chrono::DateTime<chrono::Utc>, Option<chrono::DateTime<chrono::Utc>>)> = Vec::new();
    for line in text.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(at) = entry["timestamp"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
            continue;
        };
        let at = at.with_timezone(&chrono::Utc);
        match entry["message"].as_str() {
            Some("reconciliation pass started") => out.push((at, None)),
            Some("reconciliation pass ended") => {
                if let Some(last) = out.last_mut() {
                    last.1 = Some(at);
                }
            }
            _ => {}
        }
    }
    out
}

/// Two replicas on the AWS adapters (the emulator) and one PostgreSQL, reconciling every second: the passes
/// never overlap across replicas, and when the lease's holder is killed with SIGKILL the other replica takes the
/// passes over within the lease's length.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_runs_on_one_replica_at_a_time_and_is_taken_over_when_its_holder_dies() {
    let emulator = moto::Moto::start();
    let database = pg::database().await;
    let root = tempfile::tempdir().expect("temp dir");
    let mut replicas: Vec<Replica> = (0..2)
        .map(|i| {
            let dir = root.path().join(format!("replica-{i}"));
            std::fs::create_dir_all(&dir).expect("replica dir");
            let port = free_port();
            let config = aws_settings_file(&dir, port, &database, &emulator.url);
            Replica { port, config, log: dir.join("portal.log"), child: None }
        })
        .collect();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    for replica in &mut replicas {
        replica.start().await;
    }
    for replica in &replicas {
        replica.wait_ready(&client).await;
    }
    let holder = || async {
        let mut db = sqlx::PgConnection::connect(&database).await.expect("connect");
        sqlx::query_scalar::<_, String>("SELECT holder FROM leases WHERE name = 'reconciler'")
            .fetch_optional(&mut db)
            .await
            .expect("lease")
    };
    tokio::time::sleep(Duration::from_secs(6)).await;
    // The holder dies mid-work (its lease is held while a pass runs and between renewals).
    let deadline = Instant::now() + Duration::from_secs(20);
    let (dead, killed_at, killed) = loop {
        if let Some(h) = holder().await {
            if let Some(i) = replicas.iter().position(|r| r.pid().is_some_and(|pid| h.contains(&format!("-{pid}-")))) {
                replicas[i].kill().await;
                break (i, chrono::Utc::now(), Instant::now());
            }
        }
        assert!(Instant::now() < deadline, "no replica ever held the reconciler's lease");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let survivor = 1 - dead;
    let taken_over = loop {
        if let Some(h) = holder().await {
            if replicas[survivor].pid().is_some_and(|pid| h.contains(&format!("-{pid}-"))) {
                break Instant::now();
            }
        }
        if Instant::now() > deadline + Duration::from_secs(30) {
            let log = std::fs::read_to_string(&replicas[survivor].log).unwrap_or_default();
            let tail: Vec<_> = log.lines().rev().take(15).collect();
            panic!(
                "the passes were never taken over (holder {:?}); the survivor's log ends:\n{}",
                holder().await,
                tail.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    for replica in &mut replicas {
        replica.kill().await;
    }
    let stopped_at = chrono::Utc::now();

    // Every pass as an interval; one cut short by the kill ends at the kill.
    let intervals: Vec<Vec<_>> = replicas
        .iter()
        .enumerate()
        .map(|(i, r)| {
            passes(&r.log)
                .into_iter()
                .map(|(start, end)| (start, end.unwrap_or(if i == dead { killed_at } else { stopped_at })))
                .collect()
        })
        .collect();
    assert!(!intervals[dead].is_empty() && !intervals[survivor].is_empty(), "both replicas ran passes: {intervals:?}");
    for a in &intervals[0] {
        for b in &intervals[1] {
            assert!(a.1 <= b.0 || b.1 <= a.0, "passes overlapped across replicas: {a:?} and {b:?}");
        }
    }
    let survivor_after: Vec<_> = intervals[survivor].iter().filter(|(start, _)| *start >= killed_at).collect();
    assert!(survivor_after.len() >= 2, "the survivor took the passes over: {survivor_after:?}");
    println!(
        "reconciler passes: {} on the killed replica, {} on the survivor ({} after the kill, taken over {:.1} s after it)",
        intervals[dead].len(),
        intervals[survivor].len(),
        survivor_after.len(),
        (taken_over - killed).as_secs_f64(),
    );
}
