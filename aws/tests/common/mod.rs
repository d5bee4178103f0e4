//! Test fixtures: a local AWS emulator (moto) on a free port, SDK configuration pointing at it, and an
//! in-memory journal standing in for the portal database's half of the registry.

#![allow(dead_code)]

pub mod journal;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sagemaker::config::Credentials;
use portal_aws::AwsSettings;

pub const REGION: &str = "us-east-1";
/// The account moto answers as for the static test credentials.
pub const ACCOUNT: &str = "123456789012";

/// A moto server, stopped when dropped.
pub struct Moto {
    pub url: String,
    child: Child,
    /// Where moto writes the requests it records (see [`Moto::start_recording`]).
    recording: Option<PathBuf>,
}

/// Where scripts/setup.sh puts the emulator (the same default as there).
pub fn venv() -> PathBuf {
    std::env::var_os("MOTO_VENV").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        home.join(".cache/governance-portal/venv-moto")
    })
}

impl Moto {
    /// Starts moto; fails (never skips) when it is not installed.
    pub fn start() -> Moto {
        Self::launch(false)
    }

    /// Starts moto able to record the requests it receives (with their `Authorization` headers, so a test can
    /// see which credentials signed a call); [`Moto::begin_recording`] starts the recording.
    pub fn start_recording() -> Moto {
        Self::launch(true)
    }

    fn launch(recording: bool) -> Moto {
        let bin = venv().join("bin/moto_server");
        assert!(
            bin.exists(),
            "the AWS emulator is missing at {}: run `bash scripts/setup.sh --tests` (it installs moto[server] there; \
             MOTO_VENV overrides the place)",
            bin.display()
        );
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        let recording = recording.then(|| std::env::temp_dir().join(format!("moto-recording-{port}.jsonl")));
        let mut command = Command::new(&bin);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null());
        if let Some(path) = &recording {
            command.env("MOTO_ENABLE_RECORDING", "true").env("MOTO_RECORDER_FILEPATH", path);
        }
        let child = command.spawn().expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let moto = Moto { url, child, recording };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on port {port} within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// SDK configuration for the emulator: static credentials, no retries to wait for.
    pub async fn config(&self) -> SdkConfig {
        config_at(&self.url).await
    }

    pub fn settings(&self) -> AwsSettings {
        AwsSettings::single_account(REGION, ACCOUNT, Some(self.url.clone()))
    }
}

/// SDK configuration for an emulator another process started (the crash test's child process).
pub async fn config_at(url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "static"))
        .load()
        .await
}

impl Moto {
    /// A call to moto's own API (`/moto-api/...`); returns the body of a 200 answer. Plain HTTP/1.1 on a socket,
    /// so the fixture needs no HTTP client crate.
    pub fn moto_api(&self, method: &str, path: &str) -> String {
        use std::io::{Read, Write};
        let host = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).expect("connect to moto");
        write!(stream, "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .expect("send to moto");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("moto's answer");
        let response = String::from_utf8_lossy(&response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(head.split(' ').nth(1) == Some("200"), "moto-api {method} {path}: {head}");
        body.to_string()
    }

    /// Starts recording requests (needs [`Moto::start_recording`]).
    pub fn begin_recording(&self) {
        assert!(self.recording.is_some(), "moto was started without recording");
        self.moto_api("POST", "/moto-api/recorder/start-recording");
    }

    /// The requests recorded so far: `{method, url, headers, body, body_encoded}` each (a base64 body when
    /// `body_encoded`).
    pub fn recorded_requests(&self) -> Vec<serde_json::Value> {
        self.moto_api("GET", "/moto-api/recorder/download-recording")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a recorded request"))
            .collect()
    }

    /// The role each access key moto's STS handed out belongs to (from `/moto-api/data.json`, IAM's access keys).
    pub fn access_key_roles(&self) -> std::collections::BTreeMap<String, String> {
        let data: serde_json::Value = serde_json::from_str(&self.moto_api("GET", "/moto-api/data.json")).expect("json");
        data.pointer("/iam/AccessKey")
            .and_then(|keys| keys.as_array())
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| {
                        Some((k["access_key_id"].as_str()?.to_string(), k["role_arn"].as_str()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Moto {
    /// Stops the emulator now: AWS unreachable from here on.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = &self.recording {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A queue subscribed by a rule to everything the portal publishes on `bus`; returns the queue URL.
pub async fn subscribe_queue(config: &SdkConfig, bus: &str, source: &str, queue: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(config);
    let events = aws_sdk_eventbridge::Client::new(config);
    let url =
        sqs.create_queue().queue_name(queue).send().await.expect("queue").queue_url().unwrap_or_default().to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue arn")
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
        .unwrap_or_default();
    let _ = events.create_event_bus().name(bus).send().await;
    events
        .put_rule()
        .name(format!("{queue}-rule"))
        .event_bus_name(bus)
        .event_pattern(format!(r#"{{"source":["{source}"]}}"#))
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .rule(format!("{queue}-rule"))
        .event_bus_name(bus)
        .targets(aws_sdk_eventbridge::types::Target::builder().id("queue").arn(arn).build().expect("target"))
        .send()
        .await
        .expect("target");
    url
}

/// Every message body the queue holds now.
pub async fn drain(config: &SdkConfig, queue_url: &str) -> Vec<serde_json::Value> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut bodies = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        let messages = out.messages();
        if messages.is_empty() {
            return bodies;
        }
        for m in messages {
            bodies.push(serde_json::from_str(m.body().unwrap_or("null")).expect("a JSON event"));
            if let Some(handle) = m.receipt_handle() {
                let _ = sqs.delete_message().queue_url(queue_url).receipt_handle(handle).send().await;
            }
        }
    }
}
