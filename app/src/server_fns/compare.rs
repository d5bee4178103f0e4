//! Champion vs challenger: two versions side by side.

use governance::compare::Row;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonView {
    pub a: (String, String),
    pub b: (String, String),
    pub rows: Vec<Row>,
    /// Other versions of the group to compare with: id and label.
    pub others: Vec<(String, String)>,
    /// Every trained version of the group (Dev registry originals), by number, with its metrics.
    pub trend: Vec<(u32, std::collections::BTreeMap<String, f64>)>,
}

/// Compares version `a` with `b`, or with its group's Prod version when `b` is empty.
#[server(prefix = "/fn", endpoint = "compare")]
pub async fn compare_versions(a: String, b: String) -> Result<ComparisonView, AppError> {
    use crate::server::{portal, reply, require_principal};
    use governance::ports::{VersionQuery, Window};
    use governance::{Actor, VersionId};

    let principal = require_principal().await?;
    let actor = Actor::Person(principal);
    let service = portal()?.service;
    let b = Some(b.trim()).filter(|b| !b.is_empty()).map(|b| VersionId(b.to_string()));
    let (ea, eb) = service.compare(&actor, &VersionId(a), b.as_ref()).await.map_err(reply)?;
    let query = VersionQuery {
        project: Some(ea.version.project.clone()),
        search: Some(ea.version.group.to_string()),
        window: Window::new(0, Window::MAX_LIMIT),
        ..Default::default()
    };
    let group = service.versions(&actor, &query).await.map_err(reply)?.items;
    let mut trend: Vec<_> = group
        .iter()
        .filter(|v| v.group == ea.version.group && v.lineage.source_version.is_none())
        .map(|v| (v.number, v.metrics.clone()))
        .collect();
    trend.sort_by_key(|(n, _)| *n);
    let params = |e: &governance::evidence::Evidence| {
        let service = service.clone();
        let actor = actor.clone();
        let version = e.version.clone();
        async move {
            match service.training_run(&actor, &version).await {
                Ok(Some(Ok(run))) => Some(run.run.params),
                _ => None,
            }
        }
    };
    let (pa, pb) = (params(&ea).await, params(&eb).await);
    let mut rows = governance::compare::compare(&ea, &eb);
    rows.extend(governance::compare::compare_params(pa.as_ref(), pb.as_ref()));
    let others = group
        .into_iter()
        .filter(|v| v.group == ea.version.group && v.id != ea.version.id)
        .map(|v| {
            (v.id.to_string(), format!("{} ({}, {} / {})", v.label(), v.registry.label(), v.stage, v.status.label()))
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
