//! The `[oidc]` settings: the provider, this client, and how groups map to personas.

use governance::group_grants::GroupGrant;
use serde::{Deserialize, Serialize};

use crate::settings::Secret;

/// How people sign in in production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's issuer URL; discovery is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// For a confidential client (`client_secret_basic`); none for a public client (PKCE only).
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// This portal's `/auth/callback`, as registered at the provider. `https://` makes cookies `Secure`.
    pub redirect_url: String,
    /// Where the provider sends people after signing out (registered at the provider too).
    #[serde(default)]
    pub post_logout_redirect_url: Option<String>,
    /// Scopes besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The ID-token claim listing the person's groups (`groups`; Cognito: `cognito:groups`).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Group -> personas per project.
    #[serde(default)]
    pub groups: Vec<GroupGrant>,
}

fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}

fn default_groups_claim() -> String {
    "groups".into()
}

impl OidcSettings {
    /// Whether the portal is served over HTTPS (then every cookie is `Secure`).
    pub fn https(&self) -> bool {
        self.redirect_url.starts_with("https://")
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, value) in [("issuer", Some(&self.issuer)), ("redirect_url", Some(&self.redirect_url))]
            .into_iter()
            .chain([("post_logout_redirect_url", self.post_logout_redirect_url.as_ref())])
        {
            if let Some(value) = value {
                url::Url::parse(value).map_err(|e| anyhow::anyhow!("oidc.{name}: {e}"))?;
            }
        }
        Ok(())
    }
}
