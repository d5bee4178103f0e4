//! The portal database's half of the SageMaker registry, in memory: what the SQLite store does in one
//! transaction each, here under one lock each.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use governance::decision::Decision;
use governance::events::EventEnvelope;
use governance::ports::{
    CopyClaim, Effects, PackageKey, Page, PendingDecision, RegistryJournal, StoreError, VersionDetails, Window,
};
use governance::{DecisionId, ProjectId, VersionId};

#[derive(Default)]
struct State {
    pending: BTreeMap<String, PendingDecision>,
    decisions: Vec<(ProjectId, Decision)>,
    failed: Vec<(String, String)>,
    outbox: Vec<EventEnvelope>,
    claims: BTreeMap<(String, i64), (DateTime<Utc>, Option<VersionId>)>,
    details: BTreeMap<(String, i64), VersionDetails>,
}

#[derive(Default)]
pub struct MemoryJournal {
    state: Mutex<State>,
}

impl MemoryJournal {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Events released into the outbox, in order.
    pub fn outbox(&self) -> Vec<EventEnvelope> {
        self.lock().outbox.clone()
    }
    pub fn failed(&self) -> Vec<(String, String)> {
        self.lock().failed.clone()
    }
    pub fn pending_count(&self) -> usize {
        self.lock().pending.len()
    }
}

#[async_trait]
impl RegistryJournal for MemoryJournal {
    async fn begin_decision(&self, pending: PendingDecision) -> Result<(), StoreError> {
        let mut s = self.lock();
        let version = &pending.commit.decision.version;
        if s.pending.values().any(|p| &p.commit.decision.version == version) {
            return Err(StoreError::Conflict(format!("a decision on {version} is being applied")));
        }
        s.pending.insert(pending.commit.decision.id.0.clone(), pending);
        Ok(())
    }
    async fn complete_decision(&self, id: &DecisionId) -> Result<(), StoreError> {
        let mut s = self.lock();
        if let Some(p) = s.pending.remove(id.as_str()) {
            s.outbox.extend(p.commit.effects.events);
            s.decisions.push((p.project, p.commit.decision));
        }
        Ok(())
    }
    async fn fail_decision(&self, id: &DecisionId, reason: &str, _at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut s = self.lock();
        if s.pending.remove(id.as_str()).is_some() {
            s.failed.push((id.0.clone(), reason.to_string()));
        }
        Ok(())
    }
    async fn pending_decisions(&self, before: DateTime<Utc>) -> Result<Vec<PendingDecision>, StoreError> {
        let mut out: Vec<_> = self.lock().pending.values().filter(|p| p.recorded_at < before).cloned().collect();
        out.sort_by_key(|p| p.recorded_at);
        Ok(out)
    }
    async fn decisions(&self, version: &VersionId) -> Result<Vec<Decision>, StoreError> {
        Ok(self.lock().decisions.iter().filter(|(_, d)| &d.version == version).map(|(_, d)| d.clone()).collect())
    }
    async fn recent_decisions(
        &self,
        project: Option<&ProjectId>,
        window: Window,
    ) -> Result<Page<Decision>, StoreError> {
        let s = self.lock();
        let all: Vec<Decision> =
            s.decisions.iter().rev().filter(|(p, _)| project.is_none_or(|q| q == p)).map(|(_, d)| d.clone()).collect();
        let items = all.iter().skip(window.offset as usize).take(window.limit as usize).cloned().collect();
        Ok(Page { items, total: all.len() as u64, offset: window.offset, limit: window.limit })
    }
    async fn release(&self, effects: Effects) -> Result<(), StoreError> {
        self.lock().outbox.extend(effects.events);
        Ok(())
    }
    async fn claim_copy(&self, source: &PackageKey, stale_before: DateTime<Utc>) -> Result<CopyClaim, StoreError> {
        let mut s = self.lock();
        let now = Utc::now();
        let key = key(source);
        match s.claims.get(&key).cloned() {
            Some((_, Some(copy))) => Ok(CopyClaim::Copied(copy)),
            Some((at, None)) if at >= stale_before => Ok(CopyClaim::InProgress),
            Some((_, None)) => {
                s.claims.insert(key, (now, None));
                Ok(CopyClaim::TakenOver)
            }
            None => {
                s.claims.insert(key, (now, None));
                Ok(CopyClaim::Claimed)
            }
        }
    }
    async fn record_copy(&self, source: &PackageKey, copy: &VersionId, effects: Effects) -> Result<(), StoreError> {
        let mut s = self.lock();
        s.claims.insert(key(source), (Utc::now(), Some(copy.clone())));
        s.outbox.extend(effects.events);
        Ok(())
    }
    async fn copy_of(&self, source: &PackageKey) -> Result<Option<VersionId>, StoreError> {
        Ok(self.lock().claims.get(&key(source)).and_then(|(_, c)| c.clone()))
    }
    async fn details(&self, package: &PackageKey) -> Result<Option<VersionDetails>, StoreError> {
        Ok(self.lock().details.get(&key(package)).cloned())
    }
    async fn save_details(&self, package: &PackageKey, details: VersionDetails) -> Result<(), StoreError> {
        self.lock().details.insert(key(package), details);
        Ok(())
    }
}

fn key(package: &PackageKey) -> (String, i64) {
    (package.version.0.clone(), package.created.timestamp_millis())
}
