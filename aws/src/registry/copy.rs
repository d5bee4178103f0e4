//! The Dev-approval consumer's copy into the central registry: `CreateModelPackage` in the central group with
//! the source ARN kept in lineage. Exactly one copy per Dev version, whether the event is redelivered or two
//! replicas consume it at once: a claim in the portal database serialises them, and a claim abandoned by a
//! crash is taken over after a scan of the central group for a copy made before the crash.

use aws_sdk_sagemaker::types::ModelApprovalStatus;
use chrono::{DateTime, Duration, Utc};
use governance::model::ModelVersion;
use governance::ports::{CopyClaim, CopyOutcome, EffectsFn, StoreError};
use governance::{ApprovalStatus, EventId, Registry, Stage, VersionId};
use sha2::{Digest, Sha256};

use super::list::{self, Scan};
use super::package;
use super::SageMakerRegistry;
use crate::error::store_error;
use crate::metadata::{self, Metadata};
use crate::names::{arn_number, PackageRef};

/// How long a claim without a copy holds before another caller may take over.
const CLAIM_TIMEOUT_SECS: i64 = 300;

pub async fn copy_to_central(
    registry: &SageMakerRegistry,
    source: &VersionId,
    _id: VersionId,
    triggering_event: &EventId,
    _at: DateTime<Utc>,
    effects: EffectsFn<ModelVersion>,
) -> Result<CopyOutcome, StoreError> {
    let stale_before = registry.clock.now() - Duration::seconds(CLAIM_TIMEOUT_SECS);
    // The Dev package first: the claim is this package's (its number may have been another's before).
    let dev = registry.package_or_404(source).await?;
    let claim = registry.journal.claim_copy(&dev.key(), stale_before).await?;
    match claim.clone() {
        CopyClaim::Copied(copy) => return Ok(CopyOutcome::AlreadyCopied(copy)),
        CopyClaim::InProgress => {
            // The dispatcher retries; by then the other caller has recorded its copy.
            return Err(StoreError::Conflict(format!(
                "the central copy of {source} is being made by another consumer"
            )));
        }
        CopyClaim::Claimed | CopyClaim::TakenOver => {}
    }
    let taken_over = claim == CopyClaim::TakenOver;
    if !matches!(dev.at.registry, Registry::Dev(_)) {
        return Err(StoreError::Conflict(format!("{source} is not in a Dev registry")));
    }
    let central = PackageRef { registry: Registry::Central, ..dev.at.clone() };
    let group = central.group_name();
    let client = &registry.clients.central;
    registry.ensure_group(client, &group, &format!("Central registry of {}", central.group)).await?;
    let earlier = if taken_over { existing_copy(registry, &central, &dev).await? } else { None };
    let number = match earlier {
        Some(number) => number,
        None => {
            let mut meta = Metadata::default();
            meta.set(metadata::PROJECT, central.project.as_str());
            meta.set(metadata::REVISION, "1");
            meta.set(metadata::STAGE, Stage::Dev.as_str());
            meta.set(metadata::SOURCE_ARN, dev.arn.as_str());
            meta.set(metadata::SOURCE_VERSION, source.as_str());
            meta.set(metadata::REGISTERED_BY, dev.metadata.get(metadata::REGISTERED_BY).unwrap_or("unknown"));
            // The package's creation time too: a re-created package of the same number is copied again.
            let token = hex::encode(Sha256::digest(format!("copy:{}:{}", dev.arn, dev.created.timestamp_millis())));
            let created = client
                .create_model_package()
                .model_package_group_name(&group)
                .model_package_description(dev.description.chars().take(1024).collect::<String>())
                // The copy mirrors the Dev approval; its next decision is Test.
                .model_approval_status(ModelApprovalStatus::Approved)
                .model_life_cycle(package::life_cycle(
                    Stage::Dev,
                    ApprovalStatus::Approved,
                    &format!("copied from {}", dev.arn),
                ))
                .inference_specification(package::inference(&dev.image, &dev.model_data_url))
                .metadata_properties(
                    aws_sdk_sagemaker::types::MetadataProperties::builder()
                        .set_generated_by(dev.generated_by.clone())
                        .set_commit_id(dev.commit_id.clone())
                        .project_id(central.project.as_str())
                        .build(),
                )
                .set_customer_metadata_properties(Some(meta.checked()?))
                // Real SageMaker also refuses a second create with the same token.
                .client_token(&token[..36])
                .send()
                .await
                .map_err(|e| store_error("sagemaker:CreateModelPackage", &group, e))?;
            created.model_package_arn().and_then(arn_number).ok_or_else(|| {
                StoreError::Unavailable("SageMaker returned no model package ARN for the central copy".into())
            })?
        }
    };
    let copy_id = PackageRef { number, ..central }.id();
    let copied = registry.package_or_404(&copy_id).await?;
    if let Some(details) = registry.journal.details(&dev.key()).await? {
        registry.journal.save_details(&copied.key(), details).await?;
    }
    let copy = registry.to_version(copied).await?;
    tracing::info!(%source, copy = %copy_id, event = %triggering_event, "copied to the central registry");
    registry.journal.record_copy(&dev.key(), &copy_id, effects(&copy)).await?;
    Ok(CopyOutcome::Created(Box::new(copy)))
}

/// A copy of `source_arn` made before a crash, found by scanning the central group (only after a claim was
/// abandoned or lost, so the scan is rare).
async fn existing_copy(
    registry: &SageMakerRegistry,
    central: &PackageRef,
    dev: &package::Package,
) -> Result<Option<u32>, StoreError> {
    let known = registry.projects();
    let scan = Scan {
        client: &registry.clients.central,
        registry: Registry::Central,
        project: &central.project,
        projects: &known,
        status: Some(ApprovalStatus::Approved),
        page_size: registry.page_size,
    };
    let mut candidates = Vec::new();
    list::each(&scan, |s| {
        // A copy of this package is never older than it (both times are SageMaker's): an older one is the copy
        // of an earlier package of the same number.
        if s.at.group == central.group && s.created >= dev.created {
            candidates.push(s);
        }
    })
    .await?;
    for s in candidates {
        if let Some(p) = package::describe(&registry.clients.central, &s.at, &s.arn).await? {
            if p.metadata.get(metadata::SOURCE_ARN) == Some(dev.arn.as_str()) {
                return Ok(Some(s.at.number));
            }
        }
    }
    Ok(None)
}
