//! Listing model packages: pages through `NextToken` and keeps only the requested window (a bounded buffer),
//! so nothing loads a whole registry into memory. Only the versions in the window are described.

use std::cmp::Reverse;

use aws_sdk_sagemaker::types::{ModelPackageSortBy, ModelPackageType, SortOrder};
use aws_sdk_sagemaker::Client;
use chrono::{DateTime, Utc};
use governance::ports::{StoreError, Window};
use governance::{ApprovalStatus, ProjectId, Registry, Stage};

use super::package::{approval, to_utc};
use crate::error::store_error;
use crate::names::{arn_number, PackageRef};

/// A `ListModelPackages` summary in the domain's terms.
#[derive(Debug, Clone)]
pub struct Summary {
    pub at: PackageRef,
    pub arn: String,
    pub created: DateTime<Utc>,
    pub description: String,
    /// From the summary's `ModelLifeCycle` when SageMaker sends it (the emulator does not).
    pub stage: Option<Stage>,
    pub status: Option<ApprovalStatus>,
}

/// What to list from one registry of one project.
pub struct Scan<'a> {
    pub client: &'a Client,
    pub registry: Registry,
    pub project: &'a ProjectId,
    /// Every configured project: a group name belongs to the longest project prefix it starts with.
    pub projects: &'a [ProjectId],
    pub status: Option<ApprovalStatus>,
    pub page_size: i32,
}

/// Calls `visit` with every summary of the scan, page by page.
pub async fn each(scan: &Scan<'_>, mut visit: impl FnMut(Summary)) -> Result<(), StoreError> {
    let mut token: Option<String> = None;
    loop {
        let out = scan
            .client
            .list_model_packages()
            .model_package_type(ModelPackageType::Versioned)
            .name_contains(crate::names::prefix(&scan.registry, scan.project))
            .set_model_approval_status(scan.status.map(approval))
            .sort_by(ModelPackageSortBy::CreationTime)
            .sort_order(SortOrder::Descending)
            .max_results(scan.page_size)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| store_error("sagemaker:ListModelPackages", &format!("the registry of {}", scan.project), e))?;
        for s in out.model_package_summary_list() {
            let (Some(group_name), Some(arn)) = (s.model_package_group_name(), s.model_package_arn()) else { continue };
            let Some((project, group)) = owner(&scan.registry, scan.projects, group_name) else { continue };
            if &project != scan.project {
                continue;
            }
            let Some(number) = s.model_package_version().map(|v| v as u32).or_else(|| arn_number(arn)) else {
                continue;
            };
            let registry = match &scan.registry {
                Registry::Central => Registry::Central,
                Registry::Dev(_) => Registry::Dev(project.clone()),
            };
            visit(Summary {
                at: PackageRef { registry, project, group, number },
                arn: arn.to_string(),
                created: to_utc(s.creation_time()),
                description: s.model_package_description().unwrap_or_default().to_string(),
                stage: s.model_life_cycle().and_then(|l| l.stage()).and_then(Stage::parse),
                status: s.model_approval_status().and_then(|a| ApprovalStatus::parse(a.as_str())),
            });
        }
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(()),
        }
    }
}

/// The project and model group a SageMaker group name belongs to.
pub fn owner(
    registry: &Registry,
    projects: &[ProjectId],
    group_name: &str,
) -> Option<(ProjectId, governance::ids::ModelGroupName)> {
    projects
        .iter()
        .filter_map(|p| crate::names::model_group(registry, p, group_name).map(|g| (p.clone(), g)))
        .max_by_key(|(p, _)| p.as_str().len())
}

/// The newest (or oldest) `offset + limit` items seen, and how many were seen: a bounded buffer.
pub struct WindowBuffer<T> {
    window: Window,
    newest_first: bool,
    items: Vec<(DateTime<Utc>, String, T)>,
    pub total: u64,
}

impl<T> WindowBuffer<T> {
    pub fn new(window: Window, newest_first: bool) -> Self {
        Self { window, newest_first, items: Vec::new(), total: 0 }
    }

    pub fn push(&mut self, at: DateTime<Utc>, tie: String, item: T) {
        self.total += 1;
        self.items.push((at, tie, item));
        let keep = (self.window.offset + self.window.limit) as usize;
        if self.items.len() > 2 * keep.max(16) {
            self.trim(keep);
        }
    }

    fn trim(&mut self, keep: usize) {
        if self.newest_first {
            self.items.sort_by(|a, b| (Reverse(a.0), Reverse(&a.1)).cmp(&(Reverse(b.0), Reverse(&b.1))));
        } else {
            self.items.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        }
        self.items.truncate(keep);
    }

    /// The items of the window, in order.
    pub fn into_window(mut self) -> Vec<T> {
        let keep = (self.window.offset + self.window.limit) as usize;
        self.trim(keep);
        self.items.into_iter().skip(self.window.offset as usize).map(|(_, _, t)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_buffer_keeps_the_window_of_a_long_stream_in_order() {
        let mut buffer = WindowBuffer::new(Window::new(5, 3), true);
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
        for i in 0..1000 {
            buffer.push(start + chrono::Duration::seconds((i * 7919) % 1000), format!("{i}"), (i * 7919) % 1000);
        }
        assert_eq!(buffer.total, 1000);
        assert_eq!(buffer.into_window(), vec![994, 993, 992]);
        let projects = [ProjectId("credit".into()), ProjectId("credit-risk".into())];
        let dev = Registry::Dev(ProjectId("credit".into()));
        assert_eq!(
            owner(&dev, &projects, "credit-risk-pd").map(|(p, g)| (p.0, g.0)),
            Some(("credit-risk".into(), "pd".into()))
        );
        assert_eq!(owner(&dev, &projects, "credit-scorer").map(|(p, _)| p.0), Some("credit".into()));
    }
}
