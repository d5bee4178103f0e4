//! CI trust policies: which OIDC tokens (issuer, audience, claims) may write what for a project, like an
//! IAM OIDC trust policy with `StringEquals` / `StringLike` conditions.
//!
//! The token's signature and times are checked by the server's adapter; this module decides, from the
//! verified claims, which machine the token is and what it may do.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::persona::Machine;
use crate::{Denial, DenialCode, ProjectId, Subject};

/// What a machine may write for its project (reading its own project is implied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MachineAction {
    RegisterVersion,
    RecordTestResults,
    ReportDeploymentStatus,
    PushMonitoring,
}

impl MachineAction {
    pub const ALL: [MachineAction; 4] = [
        MachineAction::RegisterVersion,
        MachineAction::RecordTestResults,
        MachineAction::ReportDeploymentStatus,
        MachineAction::PushMonitoring,
    ];
}

/// One value or any of several (IAM accepts both forms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> &[String] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }
}

/// A project's trust in tokens of one issuer and audience whose claims meet every condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustPolicy {
    pub project: ProjectId,
    /// The token's `iss`, exactly (e.g. `https://token.actions.githubusercontent.com`).
    pub issuer: String,
    /// The token's `aud` must contain this.
    pub audience: String,
    /// Claim name -> the claim must equal one of the values.
    #[serde(default)]
    pub string_equals: BTreeMap<String, OneOrMany>,
    /// Claim name -> the claim must match one of the patterns (`*` any run of characters, `?` one).
    #[serde(default)]
    pub string_like: BTreeMap<String, OneOrMany>,
    pub actions: BTreeSet<MachineAction>,
    /// The longest lifetime (`exp` - `iat`) a token may have, in seconds: a token meant to last years is a
    /// long-lived secret by another name. Default one hour.
    #[serde(default = "default_max_token_lifetime")]
    pub max_token_lifetime_secs: u64,
}

/// One hour: GitHub Actions' tokens live five minutes, most issuers' an hour or less.
pub const DEFAULT_MAX_TOKEN_LIFETIME_SECS: u64 = 3600;

fn default_max_token_lifetime() -> u64 {
    DEFAULT_MAX_TOKEN_LIFETIME_SECS
}

/// The verified claims of a CI token, as strings (non-string claims are left out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CiClaims {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub claims: BTreeMap<String, String>,
}

impl CiClaims {
    fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).map(String::as_str)
    }

    /// How the record of what this machine wrote names it: subject, repository, workflow and run.
    pub fn describe(&self) -> String {
        let get = |name: &str| self.claim(name).unwrap_or("-");
        format!(
            "{} (repository {}, workflow {}, run {}/{})",
            get("sub"),
            get("repository"),
            get("workflow"),
            get("run_id"),
            get("run_attempt")
        )
    }
}

impl TrustPolicy {
    /// Whether the token's issuer, audience and claims meet this policy.
    pub fn admits(&self, token: &CiClaims) -> bool {
        token.issuer == self.issuer
            && token.audiences.iter().any(|a| a == &self.audience)
            && self.string_equals.iter().all(|(name, allowed)| {
                token.claim(name).is_some_and(|value| allowed.values().iter().any(|a| a == value))
            })
            && self.string_like.iter().all(|(name, patterns)| {
                token.claim(name).is_some_and(|value| patterns.values().iter().any(|p| string_like(p, value)))
            })
    }
}

/// The machine a verified token is: the project and actions of every policy that admits it.
///
/// # Errors
/// `Forbidden` when no policy admits the token, or policies of several projects do (a token is for one
/// project; narrow the conditions).
pub fn machine_for(policies: &[TrustPolicy], token: &CiClaims) -> Result<Machine, Denial> {
    let admitting: Vec<&TrustPolicy> = policies.iter().filter(|p| p.admits(token)).collect();
    let Some(first) = admitting.first() else {
        return Err(Denial::new(
            DenialCode::Forbidden,
            format!("No trust policy admits this token (subject {}).", token.claim("sub").unwrap_or("-")),
        ));
    };
    if admitting.iter().any(|p| p.project != first.project) {
        return Err(Denial::new(
            DenialCode::Forbidden,
            "This token meets the trust policies of several projects; a token must be for one project.",
        ));
    }
    Ok(Machine {
        subject: Subject(token.describe()),
        project: first.project.clone(),
        may: admitting.iter().flat_map(|p| p.actions.iter().copied()).collect(),
    })
}

/// IAM's `StringLike`: `*` matches any run of characters (also none), `?` exactly one; case-sensitive.
pub fn string_like(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    // Greedy matching with backtracking to the last `*`: linear in practice, no regex engine needed.
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> TrustPolicy {
        TrustPolicy {
            project: ProjectId("credit-risk".into()),
            issuer: "https://token.actions.githubusercontent.com".into(),
            audience: "ml-portal".into(),
            string_equals: [("repository".to_string(), OneOrMany::One("acme/credit-risk".into()))].into(),
            string_like: [(
                "sub".to_string(),
                OneOrMany::Many(vec![
                    "repo:acme/credit-risk:environment:test".into(),
                    "repo:acme/credit-risk:ref:refs/heads/*".into(),
                ]),
            )]
            .into(),
            actions: [MachineAction::RecordTestResults].into(),
            max_token_lifetime_secs: DEFAULT_MAX_TOKEN_LIFETIME_SECS,
        }
    }

    fn token(sub: &str, repository: &str) -> CiClaims {
        CiClaims {
            issuer: "https://token.actions.githubusercontent.com".into(),
            audiences: vec!["ml-portal".into()],
            claims: [("sub".to_string(), sub.to_string()), ("repository".to_string(), repository.to_string())].into(),
        }
    }

    #[test]
    fn string_like_matches_like_iam() {
        for (pattern, value, expected) in [
            ("repo:acme/*", "repo:acme/x:ref:refs/heads/main", true),
            ("repo:acme/*:ref:refs/heads/main", "repo:acme/x:ref:refs/heads/main", true),
            ("repo:acme/*:ref:refs/heads/main", "repo:acme/x:ref:refs/heads/dev", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*", "", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ] {
            assert_eq!(string_like(pattern, value), expected, "{pattern} vs {value}");
        }
    }

    #[test]
    fn a_policy_admits_only_tokens_meeting_every_condition() {
        let policies = [policy()];
        let m = machine_for(&policies, &token("repo:acme/credit-risk:environment:test", "acme/credit-risk")).unwrap();
        assert_eq!(m.project.as_str(), "credit-risk");
        assert!(m.may.contains(&MachineAction::RecordTestResults) && m.may.len() == 1);
        assert!(m.subject.as_str().starts_with("repo:acme/credit-risk:environment:test (repository acme/credit-risk"));
        for (sub, repo) in [
            ("repo:acme/credit-risk:environment:prod", "acme/credit-risk"),
            ("repo:acme/credit-risk:environment:test", "acme/other"),
            ("repo:evil/credit-risk:environment:test", "acme/credit-risk"),
        ] {
            let denial = machine_for(&policies, &token(sub, repo)).unwrap_err();
            assert_eq!(denial.code, DenialCode::Forbidden, "{sub} {repo}");
        }
        let mut wrong_aud = token("repo:acme/credit-risk:environment:test", "acme/credit-risk");
        wrong_aud.audiences = vec!["someone-else".into()];
        assert!(machine_for(&policies, &wrong_aud).is_err());
    }
}
