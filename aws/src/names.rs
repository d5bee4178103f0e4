//! How portal identifiers map to SageMaker names and ARNs, and back.
//!
//! A version id names its registry, project, group and number (`dev.credit-risk.pd-model.3`,
//! `central.credit-risk.pd-model.1`): every part is a slug, so the id is safe in a URL and the package ARN
//! follows from it and the settings without a lookup table. A project's groups are named `{project}-{group}`
//! in its Dev registry and `central-{project}-{group}` in the central one, so projects sharing an account never
//! collide on a group name, nor does a Dev group with its central group when both live in one account (a
//! small installation, the emulator). A project must therefore not be named `central`.

use governance::ids::ModelGroupName;
use governance::{ProjectId, Registry, VersionId};

/// Where a version lives, parsed from its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRef {
    pub registry: Registry,
    pub project: ProjectId,
    pub group: ModelGroupName,
    pub number: u32,
}

impl PackageRef {
    pub fn parse(id: &VersionId) -> Option<PackageRef> {
        let mut parts = id.as_str().split('.');
        let (kind, project, group, number) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let project = ProjectId::parse(project).ok()?;
        let registry = match kind {
            "dev" => Registry::Dev(project.clone()),
            "central" => Registry::Central,
            _ => return None,
        };
        let group = ModelGroupName::parse(group).ok()?;
        let number = number.parse().ok().filter(|n| *n > 0)?;
        Some(PackageRef { registry, project, group, number })
    }

    pub fn id(&self) -> VersionId {
        let kind = if self.registry.is_central() { "central" } else { "dev" };
        VersionId(format!("{kind}.{}.{}.{}", self.project, self.group, self.number))
    }

    pub fn group_name(&self) -> String {
        group_name(&self.registry, &self.project, &self.group)
    }

    pub fn arn(&self, region: &str, account: &str) -> String {
        format!("arn:aws:sagemaker:{region}:{account}:model-package/{}/{}", self.group_name(), self.number)
    }
}

/// The prefix of every group name of a project in a registry (`credit-risk-`, `central-credit-risk-`).
pub fn prefix(registry: &Registry, project: &ProjectId) -> String {
    match registry {
        Registry::Central => format!("central-{project}-"),
        Registry::Dev(_) => format!("{project}-"),
    }
}

/// The SageMaker model package group of a project's model group in a registry.
pub fn group_name(registry: &Registry, project: &ProjectId, group: &ModelGroupName) -> String {
    format!("{}{group}", prefix(registry, project))
}

/// The model group of a SageMaker group name, if it belongs to `project` in `registry`.
pub fn model_group(registry: &Registry, project: &ProjectId, group_name: &str) -> Option<ModelGroupName> {
    let rest = group_name.strip_prefix(&prefix(registry, project))?;
    if !registry.is_central() && group_name.starts_with("central-") {
        return None; // a central group in a shared account
    }
    ModelGroupName::parse(rest).ok()
}

/// The version number at the end of a model package ARN (`.../model-package/group/7`).
pub fn arn_number(arn: &str) -> Option<u32> {
    arn.rsplit('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_round_trip_and_name_the_package() {
        let id = VersionId("dev.credit-risk.pd-model.3".into());
        let r = PackageRef::parse(&id).expect("parses");
        assert_eq!(r.registry, Registry::Dev(ProjectId("credit-risk".into())));
        assert_eq!(r.id(), id);
        assert_eq!(
            r.arn("eu-west-1", "111122223333"),
            "arn:aws:sagemaker:eu-west-1:111122223333:model-package/credit-risk-pd-model/3"
        );
        assert_eq!(arn_number(&r.arn("r", "a")), Some(3));
        for bad in ["mv-123", "prod.a.b.1", "dev.a.b.0", "dev.a.b", "dev.a.b.1.2", "dev.A.b.1"] {
            assert_eq!(PackageRef::parse(&VersionId(bad.into())), None, "{bad}");
        }
        let project = ProjectId("credit-risk".into());
        let dev = Registry::Dev(project.clone());
        assert_eq!(model_group(&dev, &project, "credit-risk-pd-model").map(|g| g.0), Some("pd-model".into()));
        assert_eq!(model_group(&dev, &project, "credit-riskier-pd"), None);
        assert_eq!(model_group(&dev, &project, "central-credit-risk-pd"), None);
        let central = PackageRef { registry: Registry::Central, ..r };
        assert_eq!(central.group_name(), "central-credit-risk-pd-model");
        assert_eq!(
            model_group(&Registry::Central, &project, "central-credit-risk-pd-model").map(|g| g.0),
            Some("pd-model".into())
        );
    }
}
