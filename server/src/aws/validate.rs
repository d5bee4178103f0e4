//! Checks of the `[aws]` settings at start-up, each naming the key and what is wrong, so a typo fails the start
//! rather than the first AWS call an hour later.

use portal_aws::{Account, AwsSettings};

fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A role of the account the settings name it for: SageMaker ARNs are built from the account id, and the
/// package a role changes lives in that account.
fn role_of(key: &str, account_id: &str, role: &str) -> anyhow::Result<()> {
    let in_account = role
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .and_then(|(_, rest)| rest.strip_prefix(&format!("{account_id}:role/")))
        .is_some_and(|name| !name.is_empty());
    if !in_account {
        anyhow::bail!(
            "aws.{key} must be an IAM role of account {account_id} (arn:aws:iam::{account_id}:role/NAME), not {role:?}"
        );
    }
    Ok(())
}

fn account(key: &str, account: &Account) -> anyhow::Result<()> {
    if !is_account_id(&account.account_id) {
        anyhow::bail!("aws.{key}.account_id must be the 12-digit AWS account id, not {:?}", account.account_id);
    }
    if let Some(role) = &account.role_arn {
        role_of(&format!("{key}.role_arn"), &account.account_id, role)?;
    }
    for (stage, role) in account.approval_roles.iter() {
        role_of(&format!("{key}.approval_roles.{}", stage.as_str()), &account.account_id, role)?;
    }
    Ok(())
}

/// An SQS queue URL: `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (or the emulator's `http://HOST/ACCOUNT/NAME`).
fn queue_url(url: &str) -> anyhow::Result<()> {
    let path =
        url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).and_then(|rest| rest.split_once('/'));
    let ok = path.is_some_and(|(host, path)| {
        let name_ok = |n: &str| {
            let n = n.strip_suffix(".fifo").unwrap_or(n);
            (1..=80).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        !host.is_empty() && path.split_once('/').is_some_and(|(account, name)| is_account_id(account) && name_ok(name))
    });
    if !ok {
        anyhow::bail!(
            "aws.state_change_queue_url must be an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), \
             not {url:?}"
        );
    }
    Ok(())
}

pub fn validate(aws: &AwsSettings) -> anyhow::Result<()> {
    let region_ok = aws.region.split('-').count() >= 3
        && aws.region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        anyhow::bail!("aws.region must be an AWS region such as \"eu-west-1\", not {:?}", aws.region);
    }
    if let Some(url) = &aws.endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("aws.endpoint_url must start with http:// or https:// (it is for an emulator), not {url:?}");
        }
    }
    account("central", &aws.central)?;
    for (project, dev) in &aws.dev_accounts {
        governance::ProjectId::parse(project).map_err(|e| anyhow::anyhow!("aws.dev_accounts: {e}"))?;
        if project == "central" {
            anyhow::bail!("aws.dev_accounts: a project must not be called \"central\" (the central groups' prefix)");
        }
        account(&format!("dev_accounts.{project}"), dev)?;
    }
    let name_ok = |s: &str| !s.is_empty() && s.len() <= 256;
    if !name_ok(&aws.event_bus_name)
        || !aws.event_bus_name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
    {
        anyhow::bail!(
            "aws.event_bus_name must be an EventBridge bus name (letters, digits, . _ - /), not {:?}",
            aws.event_bus_name
        );
    }
    if !name_ok(&aws.event_source) || aws.event_source.starts_with("aws.") {
        anyhow::bail!("aws.event_source must be set and must not start with \"aws.\" (reserved for AWS services)");
    }
    if !name_ok(&aws.metrics_namespace) || aws.metrics_namespace.starts_with("AWS/") {
        anyhow::bail!("aws.metrics_namespace must be set and must not start with \"AWS/\" (reserved for AWS services)");
    }
    for stat in &aws.latency_stats {
        let percentile = stat.strip_prefix('p').is_some_and(|n| n.parse::<f64>().is_ok_and(|n| n > 0.0 && n < 100.0));
        if !percentile && !["Average", "Minimum", "Maximum", "Sum", "SampleCount"].contains(&stat.as_str()) {
            anyhow::bail!("aws.latency_stats: {stat:?} is not a CloudWatch statistic (p50, p99, Average, Maximum ...)");
        }
    }
    if aws.reconcile_interval_secs == 0 || aws.reconcile_grace_secs == 0 {
        anyhow::bail!("aws.reconcile_interval_secs and aws.reconcile_grace_secs must be more than 0");
    }
    if aws.reconcile_calls_per_second == 0 || aws.reconcile_calls_per_second > 10_000 {
        anyhow::bail!("aws.reconcile_calls_per_second must be 1 to 10000 (SageMaker requests a second)");
    }
    if aws.state_change_api_key.as_ref().is_some_and(|k| k.0.len() < 16) {
        anyhow::bail!("aws.state_change_api_key must be at least 16 characters");
    }
    if let Some(url) = &aws.state_change_queue_url {
        queue_url(url)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AwsSettings {
        AwsSettings::single_account("eu-west-1", "111111111111", None)
    }

    #[test]
    fn a_good_single_account_set_up_passes() {
        validate(&settings()).unwrap();
        let mut s = settings();
        s.state_change_queue_url =
            Some("https://sqs.eu-west-1.amazonaws.com/111111111111/sagemaker-state-changes".into());
        s.central.approval_roles.test = Some("arn:aws:iam::111111111111:role/portal-approve-test".into());
        s.central.approval_roles.prod = Some("arn:aws:iam::111111111111:role/portal-approve-prod".into());
        validate(&s).unwrap();
        // The emulator's queue URLs.
        s.state_change_queue_url = Some("http://127.0.0.1:5055/123456789012/state-changes".into());
        validate(&s).unwrap();
    }

    #[test]
    fn each_mistake_is_named_by_its_key() {
        type Change = Box<dyn Fn(&mut AwsSettings)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|s| s.region = "Ireland".into()), "aws.region"),
            (Box::new(|s| s.central.account_id = "1111".into()), "aws.central.account_id"),
            (
                Box::new(|s| s.central.role_arn = Some("arn:aws:iam::222222222222:role/x".into())),
                "aws.central.role_arn",
            ),
            (Box::new(|s| s.endpoint_url = Some("localhost:5000".into())), "aws.endpoint_url"),
            (Box::new(|s| s.event_bus_name = "my bus".into()), "aws.event_bus_name"),
            (Box::new(|s| s.event_source = "aws.sagemaker".into()), "aws.event_source"),
            (Box::new(|s| s.latency_stats = vec!["median".into()]), "aws.latency_stats"),
            (Box::new(|s| s.reconcile_interval_secs = 0), "aws.reconcile_interval_secs"),
            (Box::new(|s| s.reconcile_calls_per_second = 0), "aws.reconcile_calls_per_second"),
            (Box::new(|s| s.state_change_queue_url = Some("sqs://state-changes".into())), "aws.state_change_queue_url"),
            (
                Box::new(|s| {
                    s.state_change_queue_url =
                        Some("https://sqs.eu-west-1.amazonaws.com/portal/sagemaker-state-changes".into())
                }),
                "aws.state_change_queue_url",
            ),
            (
                Box::new(|s| {
                    s.central.approval_roles.prod = Some("arn:aws:iam::222222222222:role/approve-prod".into())
                }),
                "aws.central.approval_roles.Prod",
            ),
            (
                Box::new(|s| {
                    let mut dev = Account::new("222222222222", None);
                    dev.approval_roles.dev = Some("approve-dev".into());
                    s.dev_accounts.insert("credit-risk".into(), dev);
                }),
                "aws.dev_accounts.credit-risk.approval_roles.Dev",
            ),
            (
                Box::new(|s| {
                    s.dev_accounts.insert("central".into(), Account::new("222222222222", None));
                }),
                "aws.dev_accounts",
            ),
        ];
        for (change, key) in cases {
            let mut s = settings();
            change(&mut s);
            let err = validate(&s).expect_err(key).to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
    }
}
