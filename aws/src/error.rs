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
    if let StoreError::Unavailable(_) = &mapped {
        // The full chain (connection refused, timeouts) goes to the log only.
        tracing::error!(action, what, code, message, error = %chain(&err), "AWS call failed");
    }
    mapped
}

/// The mapping itself, on the error's code and message (unit-tested without the SDK).
pub fn classify(action: &str, what: &str, code: &str, message: &str) -> StoreError {
    let lower = message.to_ascii_lowercase();
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthorizationError" => {
            StoreError::Unavailable(format!(
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
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => StoreError::Unavailable(format!(
            "AWS kept throttling {action} on {what} after the SDK's retries; try again in a minute"
        )),
        _ if code.is_empty() => StoreError::Unavailable(format!("could not reach AWS for {action} on {what}")),
        _ => StoreError::Unavailable(format!("AWS refused {action} on {what}: {code}: {message}")),
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
            matches!(&denied, StoreError::Unavailable(m) if m.contains("needs the IAM permission sagemaker:UpdateModelPackage"))
        );
        let bad = classify("sagemaker:CreateModelPackage", "x", "ValidationException", "bad image");
        assert!(matches!(bad, StoreError::Unavailable(m) if m.contains("bad image")));
    }
}
