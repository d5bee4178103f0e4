//! The one typed settings struct: a TOML file plus `PORTAL_`-prefixed environment variables.
//!
//! With no configuration at all the portal runs on the embedded default: SQLite under `./data`,
//! development sign-in, demo data, listening on 127.0.0.1:3000.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Development allows demo sign-in; production refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Development,
    Production,
}

/// A secret that never shows in logs or debug output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[secret]")
    }
}

/// A webhook that receives every promotion event, signed per Standard Webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookTarget {
    pub name: String,
    pub url: String,
    /// `whsec_` followed by the base64 key.
    pub secret: Secret,
}

/// The SMTP server the digests are mailed through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (default: upgrade, refusing a server that cannot), `tls` (TLS from the start, port 465) or
    /// `none` (plain: for a relay on loopback only).
    #[serde(default = "default_smtp_security")]
    pub security: String,
    /// The From address, e.g. `Governance portal <portal@example.com>`.
    pub sender: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// How often a person gets at most one digest.
    #[serde(default = "default_digest_minutes")]
    pub digest_interval_minutes: u64,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_security() -> String {
    "starttls".into()
}
fn default_digest_minutes() -> u64 {
    60
}

/// An MLflow tracking server as the source of experiment runs (instead of the embedded store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlflowSettings {
    /// `http(s)://host[:port][/path]` of the tracking server, as `MLFLOW_TRACKING_URI` would name it.
    pub tracking_uri: String,
    /// The whole request, answer included.
    #[serde(default = "MlflowSettings::default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "MlflowSettings::default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Keep connections open between requests (measured faster on MLflow 3.17); turn off for a server that
    /// stalls on reused connections (the reference notes saw ~40 ms per request on one).
    #[serde(default = "MlflowSettings::default_reuse_connections")]
    pub reuse_connections: bool,
    /// Basic authentication; each falls back to `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// Bearer token; falls back to `MLFLOW_TRACKING_TOKEN`. Basic wins when both are set, as in MLflow's client.
    #[serde(default)]
    pub token: Option<Secret>,
}

impl MlflowSettings {
    /// A server at `tracking_uri` with the default timeouts and no credentials of its own.
    pub fn new(tracking_uri: &str) -> MlflowSettings {
        MlflowSettings {
            tracking_uri: tracking_uri.to_string(),
            timeout_ms: Self::default_timeout_ms(),
            connect_timeout_ms: Self::default_connect_timeout_ms(),
            reuse_connections: Self::default_reuse_connections(),
            username: None,
            password: None,
            token: None,
        }
    }

    fn default_timeout_ms() -> u64 {
        10_000
    }

    fn default_connect_timeout_ms() -> u64 {
        2_000
    }

    fn default_reuse_connections() -> bool {
        true
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Moves the portal's clock (tests of what happens with time: an acknowledgement running out, a
    /// re-certification falling due). Never read from a settings file.
    #[serde(skip)]
    pub clock_shift: crate::clock::ClockShift,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Where the provisioner makes projects' git repositories (bare, clonable); default `<data_dir>/repositories`.
    #[serde(default)]
    pub repositories_dir: Option<PathBuf>,
    pub mode: Mode,
    /// Seed demo projects, people and versions on the first start; defaults to on in development.
    pub demo_data: Option<bool>,
    /// How often the dispatcher looks for due deliveries.
    pub dispatch_interval_ms: u64,
    /// How often Prod sign-offs are checked against their projects' re-certification periods.
    pub review_sweep_minutes: u64,
    /// Delivery attempts before an event goes to the dead-letter list.
    pub max_delivery_attempts: u32,
    /// The longest wait between two attempts (the waits double from 1 s up to it). With the defaults (40
    /// attempts, one hour) a target is retried for 29 hours, longer than EventBridge's own 24.
    pub delivery_backoff_max_secs: u64,
    /// Static bearer tokens for CI, per project: a development opt-in, refused in production (CI uses OIDC
    /// tokens and `trust_policies`).
    pub project_tokens: BTreeMap<String, Secret>,
    /// Which CI OIDC tokens (issuer, audience, claims) may write what for a project.
    pub trust_policies: Vec<governance::trust_policy::TrustPolicy>,
    /// OIDC sign-in for people; without it only development sign-in exists (development mode).
    pub oidc: Option<crate::oidc::OidcSettings>,
    pub webhooks: Vec<WebhookTarget>,
    /// E-mail digests of what awaits each person; without it nothing is mailed.
    pub smtp: Option<SmtpSettings>,
    /// A chat webhook (Slack-compatible incoming webhook URL) per project id: what awaits the project's people
    /// is posted there.
    pub chat_webhooks: BTreeMap<String, Secret>,
    /// The account and region in every event envelope.
    pub event_account: String,
    pub event_region: String,
    /// Session lifetime.
    pub session_hours: u64,
    /// Experiment runs from this MLflow tracking server; without it, from the embedded store.
    pub mlflow: Option<MlflowSettings>,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u64,
    /// The AWS backends (SageMaker registry, CloudWatch monitoring, EventBridge events); without it, the
    /// embedded ones. See docs/aws.md.
    pub aws: Option<portal_aws::AwsSettings>,
    /// The origin people's browsers reach the portal at (`https://portal.example.com`): state-changing
    /// requests whose `Origin` is any other are refused. Default: the origin of `oidc.redirect_url`; without
    /// either, the request's own `Host` (development).
    pub public_origin: Option<String>,
    /// When set, `GET /metrics` answers only `Authorization: Bearer <this>`; else it is open (keep it on a
    /// network only the scraper reaches).
    pub metrics_token: Option<Secret>,
    /// `text` (default) or `json`: one JSON object per log line, with the request id.
    pub log_format: crate::logging::LogFormat,
    /// `postgres://user:password@host:5432/portal`: the PostgreSQL store, which any number of replicas share.
    /// Without it, the SQLite store in `data_dir` (one process).
    pub database_url: Option<Secret>,
    /// The PostgreSQL pool's connections per replica.
    pub database_pool_size: u32,
    /// A PostgreSQL statement running longer is cancelled and its transaction rolled back.
    pub database_statement_timeout_secs: u64,
    /// An OpenTelemetry collector's OTLP/HTTP traces URL (`http://collector:4318/v1/traces`): every request's
    /// span is exported there as JSON. Off when unset.
    pub otlp_traces_endpoint: Option<String>,
    /// The read cache's size in MiB (the registry page and the API lists answered again while nothing they
    /// show has changed); 0 turns it off.
    pub read_cache_mib: u64,
}

/// The shortest idle expiry: a session's last use is written at most once a minute, so a shorter expiry would
/// end sessions in active use.
pub const MIN_SESSION_IDLE_MINUTES: u64 = 5;

impl Default for Settings {
    fn default() -> Self {
        Self {
            clock_shift: crate::clock::ClockShift::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            repositories_dir: None,
            mode: Mode::Development,
            demo_data: None,
            dispatch_interval_ms: 500,
            review_sweep_minutes: 60,
            max_delivery_attempts: 40,
            delivery_backoff_max_secs: 3600,
            project_tokens: BTreeMap::new(),
            trust_policies: Vec::new(),
            oidc: None,
            webhooks: Vec::new(),
            smtp: None,
            chat_webhooks: BTreeMap::new(),
            event_account: "000000000000".to_string(),
            event_region: "eu-west-1".to_string(),
            session_hours: 12,
            mlflow: None,
            session_idle_minutes: 60,
            aws: None,
            public_origin: None,
            metrics_token: None,
            log_format: crate::logging::LogFormat::Text,
            database_url: None,
            database_pool_size: 10,
            database_statement_timeout_secs: 30,
            otlp_traces_endpoint: None,
            read_cache_mib: 8,
        }
    }
}

/// Every setting's name, as the environment spells them after `PORTAL_`.
const KEYS: [&str; 29] = [
    "addr",
    "data_dir",
    "repositories_dir",
    "mode",
    "demo_data",
    "dispatch_interval_ms",
    "review_sweep_minutes",
    "max_delivery_attempts",
    "delivery_backoff_max_secs",
    "project_tokens",
    "webhooks",
    "smtp",
    "chat_webhooks",
    "event_account",
    "event_region",
    "session_hours",
    "mlflow",
    "session_idle_minutes",
    "trust_policies",
    "oidc",
    "aws",
    "public_origin",
    "metrics_token",
    "log_format",
    "database_url",
    "database_pool_size",
    "database_statement_timeout_secs",
    "otlp_traces_endpoint",
    "read_cache_mib",
];

impl Settings {
    /// Reads the file named by `PORTAL_CONFIG` (default `portal.toml`, if present), then the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let file = std::env::var("PORTAL_CONFIG").unwrap_or_else(|_| "portal.toml".to_string());
        Self::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::file(&file))
                // Only the settings' own names: other PORTAL_ variables of the shell (PORTAL_CONFIG, a test's
                // PORTAL_BIN) are not settings.
                .merge(Env::prefixed("PORTAL_").only(&KEYS)),
        )
    }

    pub fn from_figment(figment: Figment) -> anyhow::Result<Settings> {
        let settings: Settings = figment.extract().map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.read_cache_mib > 1024 {
            anyhow::bail!("read_cache_mib must be 0 (off) to 1024 (it is {})", self.read_cache_mib);
        }
        if self.max_delivery_attempts == 0 {
            anyhow::bail!("max_delivery_attempts must be at least 1");
        }
        if !(1..=86_400).contains(&self.delivery_backoff_max_secs) {
            anyhow::bail!("delivery_backoff_max_secs must be 1 to 86400 (a day)");
        }
        for hook in &self.webhooks {
            crate::webhook::signing_key(&hook.secret)
                .map_err(|e| anyhow::anyhow!("webhook {:?}: secret {e}", hook.name))?;
            if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
                anyhow::bail!("webhook {:?}: url must start with http:// or https://", hook.name);
            }
        }
        if let Some(smtp) = &self.smtp {
            if !["starttls", "tls", "none"].contains(&smtp.security.as_str()) {
                anyhow::bail!("smtp.security must be starttls, tls or none (it is {:?})", smtp.security);
            }
            if smtp.sender.parse::<lettre::message::Mailbox>().is_err() {
                anyhow::bail!("smtp.sender must be an address such as \"Portal <portal@example.com>\"");
            }
            if smtp.host.trim().is_empty() || smtp.digest_interval_minutes == 0 {
                anyhow::bail!("smtp.host must be set and smtp.digest_interval_minutes must be at least 1");
            }
        }
        for (project, url) in &self.chat_webhooks {
            governance::ProjectId::parse(project).map_err(|e| anyhow::anyhow!("chat_webhooks: {e}"))?;
            if !(url.0.starts_with("https://") || url.0.starts_with("http://")) {
                anyhow::bail!("chat_webhooks.{project}: must be an http(s) URL");
            }
        }
        for project in self.project_tokens.keys() {
            governance::ProjectId::parse(project).map_err(|e| anyhow::anyhow!("project_tokens: {e}"))?;
        }
        if let Some(mlflow) = &self.mlflow {
            crate::mlflow::TrackingUri::parse(&mlflow.tracking_uri)
                .map_err(|e| anyhow::anyhow!("mlflow.tracking_uri: {e}"))?;
            if mlflow.timeout_ms == 0 || mlflow.connect_timeout_ms == 0 {
                anyhow::bail!("mlflow.timeout_ms and mlflow.connect_timeout_ms must be more than 0");
            }
        }
        if !self.development() && !self.project_tokens.is_empty() {
            anyhow::bail!(
                "project_tokens are a development opt-in: in production CI uses OIDC tokens and trust_policies"
            );
        }
        for policy in &self.trust_policies {
            url::Url::parse(&policy.issuer)
                .map_err(|e| anyhow::anyhow!("trust_policies: issuer {:?}: {e}", policy.issuer))?;
        }
        if let Some(oidc) = &self.oidc {
            oidc.validate()?;
        }
        if let Some(aws) = &self.aws {
            crate::aws::validate::validate(aws)?;
        }
        if self.session_idle_minutes < MIN_SESSION_IDLE_MINUTES {
            anyhow::bail!(
                "session_idle_minutes must be at least {MIN_SESSION_IDLE_MINUTES} (it is {}): a session's last use is recorded once a minute",
                self.session_idle_minutes
            );
        }
        if self.session_hours == 0 || self.session_idle_minutes > self.session_hours * 60 {
            anyhow::bail!("session_hours must be at least 1 and not shorter than session_idle_minutes");
        }
        if let Some(url) = &self.database_url {
            if !(url.0.starts_with("postgres://") || url.0.starts_with("postgresql://")) {
                anyhow::bail!("database_url must be a PostgreSQL URL (postgres://user:password@host:5432/database)");
            }
        }
        if let Some(endpoint) = &self.otlp_traces_endpoint {
            let url =
                url::Url::parse(endpoint).map_err(|e| anyhow::anyhow!("otlp_traces_endpoint {endpoint:?}: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                anyhow::bail!("otlp_traces_endpoint must be an http:// or https:// URL (got {endpoint:?})");
            }
        }
        if !(1..=1000).contains(&self.database_pool_size) {
            anyhow::bail!("database_pool_size must be 1 to 1000 (it is {})", self.database_pool_size);
        }
        if !(1..=3600).contains(&self.database_statement_timeout_secs) {
            anyhow::bail!(
                "database_statement_timeout_secs must be 1 to 3600 (it is {})",
                self.database_statement_timeout_secs
            );
        }
        if let Some(origin) = &self.public_origin {
            let url = url::Url::parse(origin).map_err(|e| anyhow::anyhow!("public_origin {origin:?}: {e}"))?;
            let bare = url.origin().ascii_serialization();
            if !matches!(url.scheme(), "http" | "https") || bare != origin.trim_end_matches('/') {
                anyhow::bail!(
                    "public_origin must be a scheme and host only, like https://portal.example.com (got {origin:?})"
                );
            }
        }
        Ok(())
    }

    /// The origin state-changing requests must come from: `public_origin`, else `oidc.redirect_url`'s.
    pub fn allowed_origin(&self) -> Option<String> {
        self.public_origin.as_deref().map(|o| o.trim_end_matches('/').to_string()).or_else(|| {
            let oidc = self.oidc.as_ref()?;
            url::Url::parse(&oidc.redirect_url).ok().map(|u| u.origin().ascii_serialization())
        })
    }

    pub fn demo_data(&self) -> bool {
        self.demo_data.unwrap_or(self.mode == Mode::Development)
    }

    /// Where projects' repositories live.
    pub fn repositories_dir(&self) -> PathBuf {
        self.repositories_dir.clone().unwrap_or_else(|| self.data_dir.join("repositories"))
    }

    pub fn development(&self) -> bool {
        self.mode == Mode::Development
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_default_and_env_overrides_them() {
        let s = Settings::from_figment(Figment::from(Serialized::defaults(Settings::default()))).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert!(s.demo_data());
        let s = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::string("[project_tokens]\ncredit-risk = \"t\"")),
        )
        .unwrap();
        assert_eq!(format!("{:?}", s.project_tokens), "{\"credit-risk\": [secret]}");
        let s = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string("mode = \"production\"")),
        )
        .unwrap();
        assert!(!s.development());
        assert!(!s.demo_data());
        let err = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::string("mode = \"production\"\n[project_tokens]\ncredit-risk = \"t\"")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("development opt-in"), "{err}");
    }

    #[test]
    fn session_expiry_and_the_public_origin_are_checked_and_the_limit_named() {
        let with = |toml: &str| {
            Settings::from_figment(Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(toml)))
        };
        for idle in ["0", "1", "4"] {
            let err = with(&format!("session_idle_minutes = {idle}")).unwrap_err().to_string();
            assert!(err.contains("at least 5"), "{idle}: {err}");
        }
        assert!(with("session_idle_minutes = 5").is_ok());
        assert!(with("session_hours = 1\nsession_idle_minutes = 90")
            .unwrap_err()
            .to_string()
            .contains("session_hours"));
        for bad in ["portal.example.com", "https://portal.example.com/app", "ftp://portal.example.com"] {
            let err = with(&format!("public_origin = {bad:?}")).unwrap_err().to_string();
            assert!(err.contains("public_origin"), "{bad}: {err}");
        }
        let s = with("public_origin = \"https://portal.example.com/\"").unwrap();
        assert_eq!(s.allowed_origin().as_deref(), Some("https://portal.example.com"));
    }

    #[test]
    fn every_field_can_be_set_from_the_environment() {
        let fields = serde_json::to_value(Settings::default()).unwrap();
        let mut names: Vec<&str> = fields.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort();
        let mut keys = KEYS.to_vec();
        keys.sort();
        assert_eq!(names, keys);
    }

    #[test]
    fn mlflow_is_chosen_by_a_table_or_the_environment_and_a_bad_uri_is_explained() {
        let s = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::string("[mlflow]\ntracking_uri = \"http://127.0.0.1:5000\"\ntoken = \"t0k\"")),
        )
        .unwrap();
        let mlflow = s.mlflow.unwrap();
        assert_eq!((mlflow.timeout_ms, mlflow.connect_timeout_ms, mlflow.reuse_connections), (10_000, 2_000, true));
        assert!(!format!("{mlflow:?}").contains("t0k"));
        // `PORTAL_MLFLOW='{tracking_uri="..."}'`, under a prefix of this test's own so no other test sees it.
        std::env::set_var("GP_SETTINGS_TEST_MLFLOW", "{tracking_uri=\"https://mlflow.example.com\",timeout_ms=500}");
        let from_env = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Env::prefixed("GP_SETTINGS_TEST_").only(&KEYS)),
        )
        .unwrap();
        std::env::remove_var("GP_SETTINGS_TEST_MLFLOW");
        let mlflow = from_env.mlflow.unwrap();
        assert_eq!((mlflow.tracking_uri.as_str(), mlflow.timeout_ms), ("https://mlflow.example.com", 500));
        let err = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::string("[mlflow]\ntracking_uri = \"127.0.0.1:5000\"")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("mlflow.tracking_uri") && err.to_string().contains("http"), "{err}");
    }

    #[test]
    fn a_delivery_schedule_out_of_range_is_named() {
        for (toml, key) in [
            ("max_delivery_attempts = 0", "max_delivery_attempts"),
            ("delivery_backoff_max_secs = 0", "delivery_backoff_max_secs"),
            ("delivery_backoff_max_secs = 90000", "delivery_backoff_max_secs"),
        ] {
            let err = Settings::from_figment(
                Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(toml)),
            )
            .unwrap_err();
            assert!(err.to_string().contains(key), "{toml}: {err}");
        }
    }

    #[test]
    fn a_bad_webhook_secret_is_named() {
        let err = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::string("[[webhooks]]\nname = \"ops\"\nurl = \"http://x\"\nsecret = \"nope\"")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("ops"), "{err}");
    }

    #[test]
    fn the_aws_example_of_docs_aws_md_is_valid_and_a_mistake_names_its_key() {
        let doc = include_str!("../../docs/aws.md");
        let toml = doc.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).unwrap();
        let s =
            Settings::from_figment(Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(toml)))
                .unwrap();
        let aws = s.aws.unwrap();
        assert_eq!((aws.region.as_str(), aws.central.account_id.as_str()), ("eu-west-1", "111111111111"));
        assert_eq!(aws.dev_accounts["credit-risk"].account_id, "222222222222");
        assert_eq!(
            aws.central.approval_roles.prod.as_deref(),
            Some("arn:aws:iam::111111111111:role/portal-approve-prod")
        );
        assert!(aws.state_change_queue_url.is_some());
        assert!(!format!("{aws:?}").contains("0123456789"), "the API key stays out of debug output");
        // A stage that is not one: refused, naming the key.
        let typo = toml.replace("approval_roles = { Test", "approval_roles = { Tset");
        let err =
            Settings::from_figment(Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(&typo)))
                .unwrap_err();
        assert!(err.to_string().contains("Tset"), "{err}");
        let err = Settings::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::string("[aws]\nregion = \"eu-west-1\"\n[aws.central]\naccount_id = \"42\"")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("aws.central.account_id"), "{err}");
    }

    #[test]
    fn the_production_examples_of_docs_security_md_are_valid_settings() {
        let doc = include_str!("../../docs/security.md");
        let toml: String =
            doc.split("```toml\n").skip(1).filter_map(|block| block.split("```").next()).collect::<Vec<_>>().join("\n");
        let s =
            Settings::from_figment(Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(&toml)))
                .unwrap();
        assert!(!s.development());
        assert_eq!(s.oidc.as_ref().map(|o| o.groups_claim.as_str()), Some("cognito:groups"));
        assert_eq!(s.oidc.as_ref().map(|o| o.groups.len()), Some(4));
        assert_eq!(s.trust_policies.len(), 3);
    }
}
