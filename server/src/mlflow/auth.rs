//! How the portal authenticates to MLflow, the way MLflow's own clients do: none, HTTP basic
//! (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`) or a bearer token (`MLFLOW_TRACKING_TOKEN`).

use std::fmt;

use crate::settings::{MlflowSettings, Secret};

/// The credentials sent with every request. `Debug` names the scheme only, never a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic { username: String, password: Secret },
    Bearer(Secret),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Basic { username, .. } => write!(f, "Auth::Basic({username:?}, [secret])"),
            Auth::Bearer(_) => f.write_str("Auth::Bearer([secret])"),
        }
    }
}

/// Why the credentials cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(
        "MLflow basic authentication needs both a username and a password: set both `mlflow.username` and \
         `mlflow.password` (or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD), or neither"
    )]
    HalfBasic,
}

impl Auth {
    /// The portal's settings first, each missing value taken from MLflow's standard environment variable
    /// (`env` looks one up). Basic wins over a token when both are given, as in MLflow's Python client.
    ///
    /// # Errors
    /// [`AuthError::HalfBasic`] when only one of username and password is known.
    pub fn resolve(settings: &MlflowSettings, env: impl Fn(&str) -> Option<String>) -> Result<Auth, AuthError> {
        let from_env = |name: &str| env(name).filter(|v| !v.is_empty());
        let username = settings.username.clone().or_else(|| from_env("MLFLOW_TRACKING_USERNAME"));
        let password = settings.password.clone().or_else(|| from_env("MLFLOW_TRACKING_PASSWORD").map(Secret));
        let token = settings.token.clone().or_else(|| from_env("MLFLOW_TRACKING_TOKEN").map(Secret));
        match (username, password, token) {
            (Some(username), Some(password), _) => Ok(Auth::Basic { username, password }),
            (Some(_), None, _) | (None, Some(_), _) => Err(AuthError::HalfBasic),
            (None, None, Some(token)) => Ok(Auth::Bearer(token)),
            (None, None, None) => Ok(Auth::None),
        }
    }

    /// Adds the `Authorization` header; reqwest marks it sensitive, so it never shows in its debug output.
    pub fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(&password.0)),
            Auth::Bearer(token) => request.bearer_auth(&token.0),
        }
    }

    /// The scheme, for the log and the page.
    pub fn scheme(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic { .. } => "basic",
            Auth::Bearer(_) => "bearer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(username: Option<&str>, password: Option<&str>, token: Option<&str>) -> MlflowSettings {
        MlflowSettings {
            username: username.map(str::to_string),
            password: password.map(|p| Secret(p.into())),
            token: token.map(|t| Secret(t.into())),
            ..MlflowSettings::new("http://127.0.0.1:5000")
        }
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn settings_win_over_the_environment_and_basic_wins_over_a_token() {
        let vars = [("MLFLOW_TRACKING_USERNAME", "env-user"), ("MLFLOW_TRACKING_PASSWORD", "env-pw")];
        assert_eq!(
            Auth::resolve(&settings(Some("ana"), Some("pw"), Some("tok")), env(&vars)).unwrap(),
            Auth::Basic { username: "ana".into(), password: Secret("pw".into()) }
        );
        assert_eq!(
            Auth::resolve(&settings(None, None, None), env(&vars)).unwrap(),
            Auth::Basic { username: "env-user".into(), password: Secret("env-pw".into()) }
        );
    }

    #[test]
    fn a_token_alone_is_bearer_and_nothing_is_none() {
        let vars = [("MLFLOW_TRACKING_TOKEN", "t0k")];
        assert_eq!(Auth::resolve(&settings(None, None, None), env(&vars)).unwrap(), Auth::Bearer(Secret("t0k".into())));
        assert_eq!(Auth::resolve(&settings(None, None, None), env(&[])).unwrap(), Auth::None);
        // An empty variable is as good as unset, as a shell's `export MLFLOW_TRACKING_TOKEN=` means.
        assert_eq!(
            Auth::resolve(&settings(None, None, None), env(&[("MLFLOW_TRACKING_TOKEN", "")])).unwrap(),
            Auth::None
        );
    }

    #[test]
    fn half_of_basic_is_refused_and_debug_hides_secrets() {
        assert_eq!(Auth::resolve(&settings(Some("ana"), None, None), env(&[])), Err(AuthError::HalfBasic));
        let basic = Auth::resolve(&settings(Some("ana"), Some("hunter2"), None), env(&[])).unwrap();
        let bearer = Auth::Bearer(Secret("s3cr3t".into()));
        let shown = format!("{basic:?} {bearer:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cr3t"), "{shown}");
    }
}
