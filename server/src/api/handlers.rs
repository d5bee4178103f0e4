//! API handlers: authenticate, parse, authorize through the domain, call the service or a port, answer JSON.

use std::collections::BTreeMap;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use bytes::Bytes;
use governance::authz::{authorize, Action};
use governance::deployment::DeploymentStatus;
use governance::model::{ModelVersion, RegisterVersionInput};
use governance::monitoring::MonitoringPush;
use governance::ports::{VersionQuery, Window};
use governance::test_run::TestRunReport;
use governance::{Actor, ApprovalStatus, FieldError, ProjectId, Stage, VersionId};
use serde::Deserialize;

use super::auth::actor;
use super::{json_body, ApiError};
use crate::state::AppState;

type ApiResult<T> = Result<T, ApiError>;

/// Reading a project's records: people may read all; a machine only its own project.
fn authorize_read(actor: &Actor, project: &ProjectId) -> ApiResult<()> {
    Ok(authorize(actor, &Action::ReadProject(project.clone()))?)
}

async fn version_or_404(state: &AppState, id: &str) -> ApiResult<ModelVersion> {
    state
        .service
        .registry
        .version(&VersionId(id.to_string()))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("model version {id} was not found")))
}

/// The project a list is scoped to: the one asked for, or a machine's own; authorized for reading.
fn project_scope(actor: &Actor, asked: Option<&str>) -> ApiResult<Option<ProjectId>> {
    let project = asked.map(ProjectId::parse).transpose()?;
    let project = match (actor, project) {
        (Actor::Machine(m), None) => Some(m.project.clone()),
        (_, p) => p,
    };
    match &project {
        Some(p) => authorize_read(actor, p)?,
        None => authorize(actor, &Action::Read)?,
    }
    Ok(project)
}

fn window(offset: Option<u64>, limit: Option<u64>) -> Window {
    Window::new(offset.unwrap_or(0), limit.unwrap_or(50))
}

pub async fn register_version(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let project = ProjectId::parse(&project)?;
    authorize(&actor, &Action::RegisterVersion(project.clone()))?;
    let input: RegisterVersionInput = json_body(body)?;
    let version = state.service.register_version(&actor, &project, input).await?;
    Ok((StatusCode::CREATED, Json(version)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionsQuery {
    project: Option<String>,
    stage: Option<String>,
    status: Option<String>,
    registry: Option<String>,
    search: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

pub async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<VersionsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    // A machine lists only its own project.
    let project = project_scope(&actor, q.project.as_deref())?;
    let query = VersionQuery {
        project,
        stage: q
            .stage
            .as_deref()
            .map(|s| Stage::parse(s).ok_or_else(|| FieldError::new("stage", "must be Dev, Test or Prod")))
            .transpose()?,
        status: q
            .status
            .as_deref()
            .map(|s| {
                ApprovalStatus::parse(s)
                    .ok_or_else(|| FieldError::new("status", "must be PendingManualApproval, Approved or Rejected"))
            })
            .transpose()?,
        central: match q.registry.as_deref() {
            None => None,
            Some("central") => Some(true),
            Some("dev") => Some(false),
            Some(_) => return Err(FieldError::new("registry", "must be central or dev").into()),
        },
        search: q.search,
        window: window(q.offset, q.limit),
    };
    Ok(Json(state.service.versions(&actor, &query).await?))
}

pub async fn version(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let version = version_or_404(&state, &id).await?;
    authorize_read(&actor, &version.project)?;
    Ok(Json(version))
}

pub async fn version_decisions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let version = version_or_404(&state, &id).await?;
    authorize_read(&actor, &version.project)?;
    Ok(Json(state.service.registry.decisions(&version.id).await?))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    project: Option<String>,
    version: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

pub async fn model_groups(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let project = project_scope(&actor, q.project.as_deref())?;
    Ok(Json(state.service.registry.list_groups(project.as_ref(), window(q.offset, q.limit)).await?))
}

pub async fn decisions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let project = project_scope(&actor, q.project.as_deref())?;
    Ok(Json(state.service.registry.recent_decisions(project.as_ref(), window(q.offset, q.limit)).await?))
}

pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let version = match &q.version {
        Some(id) => Some(version_or_404(&state, id).await?),
        None => None,
    };
    match (&version, &actor) {
        (Some(v), _) => authorize_read(&actor, &v.project)?,
        // Events of every project are for people only; a machine names its version.
        (None, Actor::Machine(_)) => {
            return Err(FieldError::new("version", "is required with a project token").into());
        }
        (None, _) => authorize(&actor, &Action::Read)?,
    }
    Ok(Json(state.service.ledger.events(version.as_ref().map(|v| &v.id), window(q.offset, q.limit)).await?))
}

pub async fn test_runs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let version = version_or_404(&state, &id).await?;
    authorize_read(&actor, &version.project)?;
    Ok(Json(state.service.evidence.test_runs(&version.id, window(q.offset, q.limit)).await?))
}

/// A test report as CI posts it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRunBody {
    junit_xml: String,
    #[serde(default)]
    performance: BTreeMap<String, f64>,
    #[serde(default)]
    ci_run: String,
}

pub async fn record_test_run(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let version = version_or_404(&state, &id).await?;
    authorize(&actor, &Action::RecordTestResults(version.project.clone()))?;
    let body: TestRunBody = json_body(body)?;
    let cases = super::junit::parse(&body.junit_xml)?;
    let report = TestRunReport { cases, performance: body.performance, ci_run: body.ci_run };
    let run = state.service.record_test_results(&actor, &version.id, report).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

pub async fn deployments(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let version = version_or_404(&state, &id).await?;
    authorize_read(&actor, &version.project)?;
    Ok(Json(state.service.evidence.deployment_requests(&version.id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
    #[serde(default)]
    message: String,
}

pub async fn report_deployment_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    authorize(&actor, &Action::Read).or_else(|d| match &actor {
        Actor::Machine(_) => Ok(()),
        _ => Err(d),
    })?;
    let body: StatusBody = json_body(body)?;
    let status = DeploymentStatus::parse(&body.status)
        .ok_or_else(|| FieldError::new("status", "must be Requested, InProgress, Succeeded or Failed"))?;
    let request = state.service.report_deployment_status(&actor, &id, status, body.message).await?;
    Ok(Json(request))
}

pub async fn push_monitoring(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let version = version_or_404(&state, &id).await?;
    authorize(&actor, &Action::PushMonitoring(version.project.clone()))?;
    let push: MonitoringPush = json_body(body)?;
    state.service.push_monitoring(&actor, &version.id, push).await?;
    Ok(StatusCode::NO_CONTENT)
}
