//! The deployment config an AI engineer defines for Test or Prod.

use leptos::prelude::*;

use crate::error::AppError;

/// Parses `champion:90, challenger:10` into variants.
pub fn parse_variants(text: &str) -> Result<Vec<governance::deployment::ProductionVariant>, governance::FieldError> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, weight) = part.split_once(':').ok_or_else(|| {
                governance::FieldError::new("variants", format!("'{part}' is not name:weight, e.g. champion:90"))
            })?;
            let weight = weight.trim().parse::<u8>().map_err(|_| {
                governance::FieldError::new(
                    "variants",
                    format!("the weight of '{}' must be a whole number 0-100", name.trim()),
                )
            })?;
            Ok(governance::deployment::ProductionVariant { name: name.trim().to_string(), weight })
        })
        .collect()
}

/// Every field arrives as text so a bad number gets a message naming its field, not a decoding error.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/fn", endpoint = "save_deployment_config")]
pub async fn save_deployment_config(
    version: String,
    environment: String,
    instance_type: String,
    initial_instance_count: String,
    autoscaling_min: String,
    autoscaling_max: String,
    variants: String,
    data_capture_percent: String,
) -> Result<(), AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::deployment::DeploymentConfig;
    use governance::service::ServiceError;
    use governance::{Environment, FieldError, VersionId};

    let principal = require_principal().await?;
    let submitted: std::collections::BTreeMap<String, String> = [
        ("environment", &environment),
        ("instance_type", &instance_type),
        ("initial_instance_count", &initial_instance_count),
        ("autoscaling_min", &autoscaling_min),
        ("autoscaling_max", &autoscaling_max),
        ("variants", &variants),
        ("data_capture_percent", &data_capture_percent),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect();
    let invalid = |e: FieldError| reply(AppError::invalid(e, submitted.clone()));
    let number = |field: &str, text: &str| -> Result<u32, AppError> {
        text.trim().parse::<u32>().map_err(|_| invalid(FieldError::new(field, "must be a whole number")))
    };
    let environment = Environment::parse(&environment)
        .ok_or_else(|| invalid(FieldError::new("environment", "must be Test or Prod")))?;
    let data_capture = number("data_capture_percent", &data_capture_percent)?;
    let config = DeploymentConfig {
        instance_type: instance_type.trim().to_string(),
        initial_instance_count: number("initial_instance_count", &initial_instance_count)?,
        autoscaling_min: number("autoscaling_min", &autoscaling_min)?,
        autoscaling_max: number("autoscaling_max", &autoscaling_max)?,
        variants: parse_variants(&variants).map_err(invalid)?,
        data_capture_percent: u8::try_from(data_capture)
            .map_err(|_| invalid(FieldError::new("data_capture_percent", "must be between 0 and 100")))?,
    };
    portal()?.service.save_deployment_config(&principal, &VersionId(version), environment, config).await.map_err(|e| {
        match e {
            ServiceError::Invalid(f) => invalid(f),
            other => reply(other),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_parse_and_bad_ones_are_named() {
        let v = parse_variants("champion:90, challenger:10").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].weight, 10);
        assert_eq!(parse_variants("champion").unwrap_err().field, "variants");
        assert!(parse_variants("a:x").unwrap_err().message.contains("'a'"));
    }
}
