//! AWS errors as the domain's [`StoreError`]: a missing package is `NotFound`, a denial names the IAM action
//! the role lacks, throttling that outlived the SDK's retries says so.

use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};
use governance::ports::StoreError;

/// Maps an SDK error of the call to `action` (the IAM action, e.g. `sagemaker:UpdateModelPackage`) on `what`.
pub fn store_error<E, R>(action: &str, what: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    let mapped = classify(action, what, &code, &message);
    if let StoreError::BackendUnavailable { .. } = &mapped {
        // The full chain (connection refused, timeouts) goes to the log only.
        tracing::error!(action, what, code, message, error = %chain(&err), "AWS call failed");
    }
    mapped
}

/// The AWS service an IAM action belongs to, as people name it.
fn backend(action: &str) -> String {
    match action.split(':').next().unwrap_or_default() {
        "sagemaker" => "SageMaker",
        "cloudwatch" => "CloudWatch",
        "events" => "EventBridge",
        "sqs" => "SQS",
        "sts" => "AWS STS",
        _ => "AWS",
    }
    .to_string()
}

/// The mapping itself, on the error's code and message (unit-tested without the SDK).
pub fn classify(action: &str, what: &str, code: &str, message: &str) -> StoreError {
    let unavailable = |detail: String| StoreError::BackendUnavailable { backend: backend(action), detail };
    let lower = message.to_ascii_lowercase();
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthorizationError" => {
            unavailable(format!(
                "AWS denied {action} on {what}: the role the portal assumes needs the IAM permission {action} \
                 (see docs/aws.md)"
            ))
        }
        "ResourceNotFound" | "ResourceNotFoundException" => StoreError::NotFound(what.to_string()),
        // SageMaker (and the emulator) answer a missing package or group with a ValidationException.
        "ValidationException" if lower.contains("not found") || lower.contains("does not exist") => {
            StoreError::NotFound(what.to_string())
        }
        "ConflictException" | "ResourceInUse" => StoreError::Conflict(format!("{what}: {message}")),
        // The request itself is what SageMaker will not take (a limit, a malformed field): sending it again is
        // useless, and the person is told why.
        "ValidationException" => {
            StoreError::Refused(format!("{} refused {action} on {what}: {message}", backend(action)))
        }
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => unavailable(format!(
            "AWS kept throttling {action} on {what} after the SDK's retries; try again in a minute"
        )),
        _ if code.is_empty() => unavailable(format!("could not reach AWS for {action} on {what}")),
        _ => unavailable(format!("AWS refused {action} on {what}: {code}: {message}")),
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_package_is_not_found_and_a_denial_names_the_permission() {
        let missing = classify(
            "sagemaker:DescribeModelPackage",
            "model version central.p.g.9",
            "ValidationException",
            "Model package arn:aws:sagemaker:us-east-1:1:model-package/p-g/9 not found",
        );
        assert_eq!(missing, StoreError::NotFound("model version central.p.g.9".into()));
        let denied = classify("sagemaker:UpdateModelPackage", "x", "AccessDeniedException", "User is not authorized");
        assert!(
            matches!(&denied, StoreError::BackendUnavailable { backend, detail } if backend == "SageMaker" && detail.contains("needs the IAM permission sagemaker:UpdateModelPackage"))
        );
        let bad = classify("sagemaker:CreateModelPackage", "x", "ValidationException", "bad image");
        assert!(matches!(bad, StoreError::Refused(m) if m.contains("SageMaker refused") && m.contains("bad image")));
        let unreachable = classify("cloudwatch:GetMetricData", "x", "", "");
        assert!(matches!(unreachable, StoreError::BackendUnavailable { backend, .. } if backend == "CloudWatch"));
    }
}
