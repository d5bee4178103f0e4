//! Champion vs challenger: two versions side by side, with their group's metric trend.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compare::Row;
use crate::evidence::Evidence;
use crate::ports::{VersionQuery, Window};
use crate::{Actor, VersionId};

use super::{Service, ServiceError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonView {
    pub a: (String, String),
    pub b: (String, String),
    pub rows: Vec<Row>,
    /// Other versions of the group to compare with: id and label.
    pub others: Vec<(String, String)>,
    /// Every trained version of the group (Dev registry originals), by number, with its metrics.
    pub trend: Vec<(u32, BTreeMap<String, f64>)>,
}

impl Service {
    /// Compares version `a` with `b`, or with its group's Prod version without `b`.
    pub async fn comparison(
        &self,
        actor: &Actor,
        a: &VersionId,
        b: Option<&VersionId>,
    ) -> Result<ComparisonView, ServiceError> {
        let (ea, eb) = self.compare(actor, a, b).await?;
        let query = VersionQuery {
            project: Some(ea.version.project.clone()),
            group: Some(ea.version.group.clone()),
            window: Window::new(0, Window::MAX_LIMIT),
            ..Default::default()
        };
        let group = self.versions(actor, &query).await?.items;
        let mut trend: Vec<_> = group
            .iter()
            .filter(|v| v.group == ea.version.group && v.lineage.source_version.is_none())
            .map(|v| (v.number, v.metrics.clone()))
            .collect();
        trend.sort_by_key(|(n, _)| *n);
        let (pa, pb) = (self.training_params(actor, &ea).await, self.training_params(actor, &eb).await);
        let mut rows = crate::compare::compare(&ea, &eb);
        rows.extend(crate::compare::compare_params(pa.as_ref(), pb.as_ref()));
        let others = group
            .into_iter()
            .filter(|v| v.group == ea.version.group && v.id != ea.version.id)
            .map(|v| {
                (
                    v.id.to_string(),
                    format!("{} ({}, {} / {})", v.label(), v.registry.label(), v.stage, v.status.label()),
                )
            })
            .collect();
        Ok(ComparisonView {
            a: (ea.version.id.to_string(), ea.version.label()),
            b: (eb.version.id.to_string(), eb.version.label()),
            rows,
            others,
            trend,
        })
    }

    /// A version's training params from the tracker, where it answers: a comparison without them still stands.
    async fn training_params(&self, actor: &Actor, evidence: &Evidence) -> Option<BTreeMap<String, String>> {
        match self.training_run(actor, &evidence.version).await {
            Ok(Some(Ok(run))) => Some(run.run.params),
            _ => None,
        }
    }
}
