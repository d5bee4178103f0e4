//! The deployment config an AI engineer defines for Test or Prod.

use leptos::prelude::*;

use crate::error::AppError;

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
    use governance::forms::DeploymentConfigForm;
    use governance::service::ServiceError;
    use governance::{Environment, FieldError, VersionId};

    let principal = require_principal().await?;
    let form = DeploymentConfigForm {
        environment,
        instance_type,
        initial_instance_count,
        autoscaling_min,
        autoscaling_max,
        variants,
        data_capture_percent,
    };
    let invalid = |e: FieldError| reply(AppError::invalid(e, form.submitted()));
    let (environment, config) = <(Environment, DeploymentConfig)>::try_from(&form).map_err(invalid)?;
    portal()?.service.save_deployment_config(&principal, &VersionId(version), environment, config).await.map_err(|e| {
        match e {
            ServiceError::Invalid(f) => invalid(f),
            other => reply(other),
        }
    })
}
