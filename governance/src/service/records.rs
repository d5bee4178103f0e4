//! Reading a project's records (decisions, test runs, deployment requests, monitoring, events) and the
//! portal-wide logs (every event, the audit log), each authorized for the reader.

use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;
use crate::authz::{authorize, Action};
use crate::decision::Decision;
use crate::deployment::DeploymentRequest;
use crate::model::{ModelGroup, ModelVersion};
use crate::monitoring::SeriesOverview;
use crate::ports::{AuditVerification, EventRecord, Page, Window};
use crate::project::Project;
use crate::test_run::TestRun;
use crate::{Actor, EventId, ProjectId, VersionId};

use super::{Service, ServiceError};

impl Service {
    /// The projects whose records a person may list: those she holds a persona in. `None` for an Admin (every
    /// project) and for a machine (whose lists are scoped to its own project by [`Self::scope`]).
    pub(crate) fn visible_projects(actor: &Actor) -> Option<Vec<ProjectId>> {
        match actor {
            Actor::Person(p) if !p.admin => {
                Some(p.memberships.iter().filter(|(_, s)| !s.is_empty()).map(|(id, _)| id.clone()).collect())
            }
            _ => None,
        }
    }

    /// The project a list is scoped to: the one asked for (its members may read it), or a machine's own;
    /// for a person who names none, the projects she may read ([`Self::visible_projects`]).
    pub(crate) fn scope(&self, actor: &Actor, asked: Option<ProjectId>) -> Result<Option<ProjectId>, ServiceError> {
        let project = match (actor, asked) {
            (Actor::Machine(m), None) => Some(m.project.clone()),
            (_, p) => p,
        };
        match &project {
            Some(p) => authorize(actor, &Action::ReadProject(p.clone()))?,
            None => authorize(actor, &Action::Read)?,
        }
        Ok(project)
    }

    /// A version, for those who may read its project.
    pub async fn version(&self, actor: &Actor, id: &VersionId) -> Result<ModelVersion, ServiceError> {
        let version = self.version_or_404(id).await?;
        authorize(actor, &Action::ReadProject(version.project.clone()))?;
        Ok(version)
    }

    /// The decisions made on a version, oldest first.
    pub async fn decisions(&self, actor: &Actor, id: &VersionId) -> Result<Vec<Decision>, ServiceError> {
        let version = self.version(actor, id).await?;
        Ok(self.ports.registry.decisions(&version.id).await?)
    }

    /// A version's integration test runs, newest first.
    pub async fn test_runs(
        &self,
        actor: &Actor,
        id: &VersionId,
        window: Window,
    ) -> Result<Page<TestRun>, ServiceError> {
        let version = self.version(actor, id).await?;
        Ok(self.ports.evidence.test_runs(&version.id, window).await?)
    }

    /// The deployments requested for a version.
    pub async fn deployment_requests(
        &self,
        actor: &Actor,
        id: &VersionId,
    ) -> Result<Vec<DeploymentRequest>, ServiceError> {
        let version = self.version(actor, id).await?;
        Ok(self.ports.evidence.deployment_requests(&version.id).await?)
    }

    /// A version's monitoring series in `[from, to]`, cut to `slices` time slices for drawing.
    pub async fn monitoring(
        &self,
        actor: &Actor,
        id: &VersionId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        slices: u32,
    ) -> Result<Vec<SeriesOverview>, ServiceError> {
        let version = self.version(actor, id).await?;
        Ok(self.ports.monitoring.overview(&version.id, from, to, slices).await?)
    }

    /// Model groups with their newest version.
    pub async fn model_groups(
        &self,
        actor: &Actor,
        project: Option<ProjectId>,
        window: Window,
    ) -> Result<Page<ModelGroup>, ServiceError> {
        let project = self.scope(actor, project)?;
        let Some(visible) = Self::visible_projects(actor).filter(|_| project.is_none()) else {
            return Ok(self.ports.registry.list_groups(project.as_ref(), window).await?);
        };
        // Every group, then the reader's: a portal has a few hundred groups at most.
        let all = self.ports.registry.list_groups(None, Window::new(0, Window::MAX_LIMIT)).await?;
        let mine: Vec<ModelGroup> = all.items.into_iter().filter(|g| visible.contains(&g.project)).collect();
        Ok(Page::of(mine, window))
    }

    /// The newest decisions, of one project or of all.
    pub async fn recent_decisions(
        &self,
        actor: &Actor,
        project: Option<ProjectId>,
        window: Window,
    ) -> Result<Page<Decision>, ServiceError> {
        let project = self.scope(actor, project)?;
        let Some(visible) = Self::visible_projects(actor).filter(|_| project.is_none()) else {
            return Ok(self.ports.registry.recent_decisions(project.as_ref(), window).await?);
        };
        // The newest of each of the reader's projects, merged.
        let enough = Window::new(0, window.offset.saturating_add(window.limit));
        let (mut all, mut total) = (Vec::new(), 0);
        for p in &visible {
            let page = self.ports.registry.recent_decisions(Some(p), enough).await?;
            total += page.total;
            all.extend(page.items);
        }
        all.sort_by_key(|d| std::cmp::Reverse(d.decided_at));
        Ok(Page { total, ..Page::of(all, window) })
    }

    /// The projects of the portal (the registry page's filter).
    pub async fn projects(&self, actor: &Actor) -> Result<Vec<Project>, ServiceError> {
        authorize(actor, &Action::Read)?;
        Ok(self.ports.directory.projects().await?)
    }

    /// Promotion events with their delivery state, newest first: a version's (for who may read its project),
    /// or every project's (for operations and auditors).
    pub async fn events(
        &self,
        actor: &Actor,
        version: Option<&VersionId>,
        window: Window,
    ) -> Result<Page<EventRecord>, ServiceError> {
        match version {
            Some(id) => {
                let version = self.version(actor, id).await?;
                Ok(self.ports.ledger.events(Some(&version.id), window).await?)
            }
            None => {
                authorize(actor, &Action::ReadAudit)?;
                Ok(self.ports.ledger.events(None, window).await?)
            }
        }
    }

    /// One event with its delivery state: for operations and auditors, for the members of the project it is
    /// about (a version's timeline links to its events), and for anyone signed in when it is about no project.
    pub async fn event(&self, actor: &Actor, id: &EventId) -> Result<EventRecord, ServiceError> {
        authorize(actor, &Action::Read)?;
        let record = self.ports.ledger.event(id).await?.ok_or_else(|| ServiceError::NotFound(format!("event {id}")))?;
        if authorize(actor, &Action::ReadAudit).is_ok() {
            return Ok(record);
        }
        let detail = &record.envelope.detail;
        let project = ["/model/project", "/project", "/subscription/project"]
            .iter()
            .find_map(|p| detail.pointer(p).and_then(|v| v.as_str()))
            .map(|p| ProjectId(p.to_string()));
        // An event about no project (a template's) is as public as the templates themselves.
        if let Some(p) = project {
            authorize(actor, &Action::ReadProject(p))?;
        }
        Ok(record)
    }

    /// A page of the audit log, newest first, and whether its hash chain verifies.
    pub async fn audit(
        &self,
        actor: &Actor,
        window: Window,
    ) -> Result<(Page<AuditEntry>, AuditVerification), ServiceError> {
        authorize(actor, &Action::ReadAudit)?;
        Ok((self.ports.ledger.audit(window).await?, self.ports.ledger.verify_audit().await?))
    }

    /// Model groups in the registry accounts that are not the portal's (operations and auditors).
    pub async fn unmanaged_groups(&self, actor: &Actor) -> Result<Vec<crate::model::UnmanagedGroup>, ServiceError> {
        authorize(actor, &Action::ReadAudit)?;
        Ok(self.ports.registry.unmanaged_groups().await?)
    }
}
