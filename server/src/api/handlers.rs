//! API handlers: authenticate, parse, call the service (which authorizes every read and change), answer JSON.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use governance::deployment::DeploymentStatus;
use governance::forms::VersionFilter;
use governance::model::RegisterVersionInput;
use governance::monitoring::MonitoringPush;
use governance::ports::Window;
use governance::test_run::TestRunReport;
use governance::{Actor, FieldError, ProjectId, VersionId};
use serde::Deserialize;

use super::auth::actor;
use super::{read_json, ApiError};
use crate::state::AppState;

type ApiResult<T> = Result<T, ApiError>;

/// Refuses an anonymous caller before its body is read: nobody makes the portal buffer a body it would refuse.
fn authenticated(actor: &Actor) -> ApiResult<()> {
    match actor {
        Actor::Anonymous => {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "Sign in first: send a CI token."))
        }
        _ => Ok(()),
    }
}

fn version_id(id: &str) -> VersionId {
    VersionId(id.to_string())
}

/// The project a list is filtered to; an empty filter (a plain form sends every field) is none.
fn project(asked: Option<&str>) -> ApiResult<Option<ProjectId>> {
    Ok(asked.filter(|p| !p.is_empty()).map(ProjectId::parse).transpose()?)
}

/// A query string as the API reads it: one that does not parse is answered 400 in the API's JSON shape.
fn read_query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
}

fn window(offset: Option<u64>, limit: Option<u64>) -> Window {
    Window::new(offset.unwrap_or(0), limit.unwrap_or(50))
}

pub async fn register_version(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let project = ProjectId::parse(&project)?;
    state.service.may(&actor, &governance::authz::Action::RegisterVersion(project.clone()))?;
    let input: RegisterVersionInput = read_json(body).await?;
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
    model_group: Option<String>,
    search: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

pub async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<VersionsQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let q = read_query(query)?;
    let filter = VersionFilter {
        project: q.project.as_deref(),
        stage: q.stage.as_deref(),
        status: q.status.as_deref(),
        registry: q.registry.as_deref(),
        group: q.model_group.as_deref(),
        search: q.search.as_deref(),
    };
    let query = filter.query(window(q.offset, q.limit))?;
    Ok(Json(state.service.versions(&actor, &query).await?))
}

pub async fn version(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(state.service.version(&actor, &version_id(&id)).await?))
}

pub async fn version_decisions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(state.service.decisions(&actor, &version_id(&id)).await?))
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
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let q = read_query(query)?;
    Ok(Json(state.service.model_groups(&actor, project(q.project.as_deref())?, window(q.offset, q.limit)).await?))
}

pub async fn decisions(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let q = read_query(query)?;
    Ok(Json(state.service.recent_decisions(&actor, project(q.project.as_deref())?, window(q.offset, q.limit)).await?))
}

pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let q = read_query(query)?;
    // Events of every project are for people only; a machine names its version.
    if q.version.is_none() && matches!(actor, Actor::Machine(_)) {
        return Err(FieldError::new("version", "is required with a project token").into());
    }
    let version = q.version.as_deref().map(version_id);
    Ok(Json(state.service.events(&actor, version.as_ref(), window(q.offset, q.limit)).await?))
}

pub async fn test_runs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    let q = read_query(query)?;
    Ok(Json(state.service.test_runs(&actor, &version_id(&id), window(q.offset, q.limit)).await?))
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
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    // Refused before the report is parsed when it would be refused anyway.
    state.service.accepts_test_results(&actor, &version_id(&id)).await?;
    let body: TestRunBody = read_json(body).await?;
    let cases = super::junit::parse(&body.junit_xml)?;
    let report = TestRunReport { cases, performance: body.performance, ci_run: body.ci_run };
    let run = state.service.record_test_results(&actor, &version_id(&id), report).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

pub async fn deployments(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(state.service.deployment_requests(&actor, &version_id(&id)).await?))
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
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    authenticated(&actor)?;
    let body: StatusBody = read_json(body).await?;
    let status = DeploymentStatus::parse(&body.status)
        .ok_or_else(|| FieldError::new("status", "must be Requested, InProgress, Succeeded or Failed"))?;
    let request = state.service.report_deployment_status(&actor, &id, status, body.message).await?;
    Ok(Json(request))
}

pub async fn push_monitoring(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let actor = actor(&state, &headers).await?;
    authenticated(&actor)?;
    let push: MonitoringPush = read_json(body).await?;
    state.service.push_monitoring(&actor, &version_id(&id), push).await?;
    Ok(StatusCode::NO_CONTENT)
}
