//! People are told what awaits them, through real services on loopback: a digest mailed through a real SMTP
//! server (PyPI aiosmtpd, writing a maildir the test reads back) at most once per interval, without the
//! projects a person muted, its link followed; the chat webhook (Slack-compatible JSON) posted to a local
//! receiver, retried through the outbox while the receiver fails; a digest kept and mailed again while the SMTP
//! server is down.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TestPortal, TOKEN};
use governance::model::ModelVersion;
use server::settings::{Secret, SmtpSettings};

fn smtp_venv() -> PathBuf {
    std::env::var_os("SMTP_VENV").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        home.join(".cache/governance-portal/venv-smtp")
    })
}

/// aiosmtpd on 127.0.0.1:`port`, storing what it receives in `maildir`.
struct Smtpd(std::process::Child);

impl Smtpd {
    async fn start(port: u16, maildir: &Path) -> Smtpd {
        let python = smtp_venv().join("bin/python");
        assert!(
            python.exists(),
            "aiosmtpd is not installed at {} (bash scripts/setup.sh --tests installs it; SMTP_VENV overrides the place)",
            python.display()
        );
        let smtpd = Smtpd(
            std::process::Command::new(python)
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("aiosmtpd starts"),
        );
        // Ready when it accepts a connection (bounded: 15 s).
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return smtpd;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not listen on {port} within 15 s");
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The messages in the maildir, decoded (quoted-printable soft breaks and escapes), oldest first.
fn mails(maildir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(maildir.join("new"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files.iter().map(|p| quoted_printable(&std::fs::read_to_string(p).unwrap())).collect()
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::new();
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '=' {
            let hex: String = chars.clone().take(2).collect();
            if let Ok(byte) = u8::from_str_radix(&hex, 16) {
                out.push(byte as char);
                chars.next();
                chars.next();
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// A chat webhook receiver: keeps each post's JSON, answers `status`.
#[derive(Clone)]
struct Receiver {
    posts: Arc<Mutex<Vec<serde_json::Value>>>,
    status: Arc<AtomicU16>,
}

async fn receiver() -> (Receiver, SocketAddr) {
    let r = Receiver { posts: Arc::default(), status: Arc::new(AtomicU16::new(200)) };
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::Json<serde_json::Value>| {
            let state = state.clone();
            async move {
                let status = StatusCode::from_u16(state.status.load(Ordering::SeqCst)).unwrap();
                if status.is_success() {
                    state.posts.lock().unwrap().push(body.0);
                }
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (r, addr)
}

/// A breach of `metric` on v1's champion sustained for 30 minutes: a review opens (a notice for Governance).
async fn breach(app: &TestPortal, v: &ModelVersion, metric: &str) {
    let now = app.portal.state.service.now();
    let points: Vec<_> = [-30, -15, 0]
        .iter()
        .map(|m| serde_json::json!({ "at": now + chrono::Duration::minutes(*m), "value": 0.4 }))
        .collect();
    let body = serde_json::json!({
        "metric": metric, "endpoint": "pd-model-prod", "variant": "champion", "threshold": 0.1, "points": points,
    });
    let request = Request::post(format!("/api/v1/versions/{}/monitoring", v.id))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    assert!(app.send(request).await.0.is_success());
}

#[tokio::test]
async fn people_are_told_by_a_digest_per_interval_and_by_the_projects_chat() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let smtp_port = free_port();
    let mut smtpd = Some(Smtpd::start(smtp_port, &maildir).await);
    let (chat, chat_addr) = receiver().await;
    let mut settings = common::settings(dir.path(), vec![]);
    settings.smtp = Some(SmtpSettings {
        host: "127.0.0.1".into(),
        port: smtp_port,
        security: "none".into(),
        sender: "Governance portal <portal@example.com>".into(),
        username: None,
        password: None,
        digest_interval_minutes: 60,
    });
    settings.chat_webhooks = [("credit-risk".to_string(), Secret(format!("http://{chat_addr}/hook")))].into();
    settings.public_origin = Some("http://portal.test".into());
    let clock = settings.clock_shift.clone();
    let portal = server::build(settings.clone()).await.unwrap();
    let router = server::routes::router(portal.state.clone());
    let app = TestPortal { portal, router, dir, provider: None, ci: None };
    let service = app.portal.state.service.clone();
    let schedule = server::dispatch::Schedule { max_attempts: 10, max_backoff: Duration::from_secs(60) };
    let dispatcher = server::dispatch::Dispatcher::new(&service, &[], None, schedule)
        .unwrap()
        .with_notifications(&settings)
        .unwrap();
    let dispatch = || async { while dispatcher.tick().await > 0 {} };
    let smtp = settings.smtp.clone().unwrap();
    let mailer = server::notify::Mailer::new(&service, &smtp, server::notify::link_origin(&settings)).unwrap();

    // Who can be told: people who signed in (the demo ones get a demo address). Gina mutes credit-risk.
    let hugo = app.sign_in("hugo").await;
    let mut gina = app.sign_in("gina").await;
    app.sign_in("dana").await;
    let mute = |project: &str, muted: &str| format!("project={project}&muted={muted}");
    let post = |cookie: String, body: String| {
        let request = Request::post("/fn/set_muted")
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        app.send(request)
    };
    let (status, body) = post(gina.clone(), mute("fraud-detection", "true")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not a project of gina's: {body}");
    assert!(body.contains("names no project of yours"), "{body}");
    assert_eq!(post(gina.clone(), mute("credit-risk", "maybe")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(post(gina.clone(), mute("credit-risk", "true")).await.0, StatusCode::OK);
    let page = common_html(&app, &gina, "/notifications").await;
    assert!(page.contains("gina@example.com") && page.contains("Unmute credit-risk"), "the settings page");

    // A review opens on v1 (and the demo's backlog is delivered): digests queued, the chat told.
    let v1 = app.version("pd-model", 1, true).await;
    breach(&app, &v1, "ErrorRate").await;
    dispatch().await;
    assert!(mailer.tick().await >= 1, "hugo's digest (and whoever else something awaits)");
    let mail = mails(&maildir);
    let to_hugo: Vec<_> = mail.iter().filter(|m| m.contains("To: hugo@example.com")).collect();
    assert_eq!(to_hugo.len(), 1, "one digest for the interval");
    let digest = to_hugo[0];
    assert!(digest.contains("From: \"Governance portal\" <portal@example.com>"), "{digest}");
    assert!(digest.contains("a review opened (ErrorRate on pd-model-prod/champion"), "{digest}");
    let link = format!("http://portal.test/versions/{}#production", v1.id);
    assert!(digest.contains(&link), "the review's link: {digest}");
    assert!(digest.contains("Your inbox: http://portal.test/inbox"), "{digest}");
    let to_gina: Vec<_> = mail.iter().filter(|m| m.contains("To: gina@example.com")).collect();
    assert!(
        to_gina.iter().all(|m| !m.contains("[credit-risk]")),
        "gina muted credit-risk (her other projects' items come)"
    );
    let to_dana: Vec<_> = mail.iter().filter(|m| m.contains("To: dana@example.com")).collect();
    assert!(to_dana.iter().all(|m| !m.contains("review opened")), "reviews are for Governance Engineers");
    // The link, followed as hugo: the version page with the review.
    let path = link.trim_start_matches("http://portal.test").split('#').next().unwrap().to_string();
    assert!(common_html(&app, &hugo, &path).await.contains("ErrorRate on pd-model-prod/champion"));

    // The chat: one post per notice of credit-risk, Slack-compatible.
    let posts = chat.posts.lock().unwrap().clone();
    let review_post = posts.iter().find(|p| p["text"].as_str().unwrap_or("").contains("review opened")).unwrap();
    assert!(review_post["text"].as_str().unwrap().starts_with("[credit-risk] pd-model v1"), "{review_post}");
    assert_eq!(review_post["blocks"][0]["type"], "section");

    // Within the interval another review opens: no second mail yet; an interval later, one with only it.
    breach(&app, &v1, "FeatureDrift").await;
    dispatch().await;
    assert_eq!(mailer.tick().await, 0, "at most one digest per person per interval");
    clock.advance(chrono::Duration::minutes(61));
    assert_eq!(mailer.tick().await, 1);
    let latest = mails(&maildir).into_iter().rfind(|m| m.contains("To: hugo@example.com")).unwrap();
    assert!(latest.contains("FeatureDrift") && !latest.contains("ErrorRate"), "only what is new: {latest}");
    assert!(latest.contains("Subject: 1 item awaits you"), "{latest}");

    // The chat receiver fails: the delivery is retried through the outbox until it answers.
    chat.status.store(500, Ordering::SeqCst);
    let before = chat.posts.lock().unwrap().len();
    breach(&app, &v1, "DataQuality").await;
    dispatch().await;
    assert_eq!(chat.posts.lock().unwrap().len(), before, "refused, kept for a retry");
    chat.status.store(200, Ordering::SeqCst);
    clock.advance(chrono::Duration::minutes(2));
    dispatch().await;
    assert!(chat.posts.lock().unwrap().iter().any(|p| p["text"].as_str().unwrap_or("").contains("DataQuality")));

    // The SMTP server is down: the digest is kept and mailed once it is back.
    smtpd.take();
    clock.advance(chrono::Duration::minutes(61));
    assert_eq!(mailer.tick().await, 0, "nothing reached the server");
    let _smtpd = Smtpd::start(smtp_port, &maildir).await;
    clock.advance(chrono::Duration::minutes(5));
    assert!(mailer.tick().await >= 1, "mailed after the wait");
    let latest = mails(&maildir).into_iter().rfind(|m| m.contains("To: hugo@example.com")).unwrap();
    assert!(latest.contains("DataQuality"), "{latest}");

    // Unmuted, gina is told again of what comes next (signed in again: the moved clock ended her session).
    gina = app.sign_in("gina").await;
    assert_eq!(post(gina.clone(), mute("credit-risk", "false")).await.0, StatusCode::OK);
    breach(&app, &v1, "Throughput").await;
    dispatch().await;
    clock.advance(chrono::Duration::minutes(61));
    mailer.tick().await;
    assert!(mails(&maildir).iter().any(|m| m.contains("To: gina@example.com") && m.contains("Throughput")));
}

async fn common_html(app: &TestPortal, cookie: &str, path: &str) -> String {
    let request =
        Request::get(path).header("accept", "text/html").header("cookie", cookie).body(Body::empty()).unwrap();
    let (status, html) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    html
}
