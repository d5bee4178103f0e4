//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. A test checks that every
//! route of the router is described here and nothing else.

use axum::Json;
use serde_json::{json, Value};

/// Every API operation: method, path, summary, request schema, success status.
pub const OPERATIONS: &[(&str, &str, &str, Option<&str>, u16)] = &[
    (
        "post",
        "/api/v1/projects/{project}/versions",
        "Register a model version in the project's Dev registry",
        Some("RegisterVersion"),
        201,
    ),
    ("get", "/api/v1/model-groups", "List model groups", None, 200),
    (
        "get",
        "/api/v1/versions",
        "List model versions (filter by project, stage, status, registry, model_group, search); `total` is exact, except a search's past 10,000, which reads 10001: more than 10,000",
        None,
        200,
    ),
    ("get", "/api/v1/versions/{id}", "Read a model version with its stage, status and lineage", None, 200),
    ("get", "/api/v1/versions/{id}/decisions", "Read the decisions on a version", None, 200),
    ("get", "/api/v1/versions/{id}/test-runs", "Read the integration test runs of a version", None, 200),
    (
        "post",
        "/api/v1/versions/{id}/test-runs",
        "Record integration test results (JUnit XML plus performance metrics)",
        Some("TestRun"),
        201,
    ),
    ("get", "/api/v1/versions/{id}/deployments", "Read the deployment requests of a version", None, 200),
    (
        "post",
        "/api/v1/versions/{id}/monitoring",
        "Push monitoring datapoints for a deployed version",
        Some("MonitoringPush"),
        204,
    ),
    ("post", "/api/v1/deployments/{id}/status", "Report a deployment request's status", Some("DeploymentStatus"), 200),
    ("get", "/api/v1/decisions", "List recent decisions", None, 200),
    ("get", "/api/v1/events", "List promotion events with their delivery state per target", None, 200),
    (
        "post",
        "/api/aws/sagemaker-events",
        "SageMaker's model package state-change event from an EventBridge API destination (header x-api-key; only with [aws])",
        Some("SageMakerStateChange"),
        200,
    ),
];

/// Characters no text field takes (`governance::error::text_field`): control characters but tab, CR and LF.
const CONTROLS: &str = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f";

/// A text field as `text_field` checks it: at most `max` characters, no control characters, and when
/// `required` something besides white space.
fn text(max: usize, required: bool) -> Value {
    let pattern = if required { format!("^\\s*[^\\s{CONTROLS}][^{CONTROLS}]*$") } else { format!("^[^{CONTROLS}]*$") };
    json!({"type": "string", "maxLength": max, "pattern": pattern})
}

/// A map of names (text up to 128 characters) to finite numbers.
fn numbers(max_entries: usize) -> Value {
    json!({"type": "object", "maxProperties": max_entries, "propertyNames": text(128, true), "additionalProperties": {"type": "number"}})
}

fn schemas() -> Value {
    json!({
        "SageMakerStateChange": {
            "type": "object", "required": ["id", "source", "detail-type", "detail"],
            "properties": {
                "id": {"type": "string", "description": "EventBridge's event id: a repeated id is recorded once"},
                "source": {"const": "aws.sagemaker"},
                "detail-type": {"const": "SageMaker Model Package State Change"},
                "detail": {"type": "object", "required": ["ModelPackageArn", "ModelApprovalStatus"]}
            }
        },
        "Error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["invalid", "not_signed_in", "forbidden", "not_found", "conflict", "too_large", "invalid_json"]},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "The field that was wrong, for `invalid`."}
            }
        },
        "RegisterVersion": {
            "type": "object", "required": ["model_group", "artifact_uri", "container_image"], "additionalProperties": false,
            "properties": {
                "model_group": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$", "description": "With the project, at most 54 characters: SageMaker's group name central-{project}-{group} is at most 63."},
                "description": text(2000, false),
                "mlflow_run_id": text(128, false),
                "training_data": {"type": "array", "items": text(1024, true), "maxItems": 50},
                "code_commit": text(128, false),
                "artifact_uri": {"type": "string", "maxLength": 1024, "pattern": "^[a-z][a-z0-9+.-]*://[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$", "examples": ["s3://bucket/model.tar.gz"]},
                "container_image": text(512, true),
                "metrics": numbers(200),
                "model_card": {
                    "type": "object", "additionalProperties": false,
                    "properties": {
                        "intended_use": text(4000, false), "limitations": text(4000, false),
                        "risk_rating": {"enum": ["", "Low", "Medium", "High", "Critical"]},
                        "training_data": text(4000, false), "evaluation": text(4000, false), "owner": text(256, false)
                    }
                }
            }
        },
        "TestRun": {
            "type": "object", "required": ["junit_xml"], "additionalProperties": false,
            "properties": {
                "junit_xml": {"type": "string", "description": "A JUnit XML report (<testsuites> or <testsuite>)."},
                "performance": numbers(100),
                "ci_run": text(1024, false)
            }
        },
        "MonitoringPush": {
            "type": "object", "required": ["metric", "endpoint", "points"], "additionalProperties": false,
            "properties": {
                "metric": text(256, true),
                "endpoint": text(256, true),
                "variant": text(256, true),
                "threshold": {"type": "number"},
                "points": {"type": "array", "minItems": 1, "maxItems": 10000, "items": {"type": "object", "required": ["at", "value"], "properties": {"at": {"type": "string", "format": "date-time"}, "value": {"type": "number"}}}}
            }
        },
        "DeploymentStatus": {
            "type": "object", "required": ["status"], "additionalProperties": false,
            "properties": {
                "status": {"type": "string", "enum": ["Requested", "InProgress", "Succeeded", "Failed"]},
                "message": text(2000, false)
            }
        }
    })
}

/// The query parameters of an operation: a page (`offset`, `limit`) on every list, and each list's filters.
fn query_parameters(method: &str, path: &str) -> Vec<Value> {
    let param = |name: &str, required: bool, schema: Value, description: &str| json!({"name": name, "in": "query", "required": required, "schema": schema, "description": description});
    // An empty filter is no filter (a plain HTML form sends every field).
    let project = || {
        param(
            "project",
            false,
            json!({"type": "string", "pattern": "^([a-z][a-z0-9-]{0,62})?$"}),
            "Only this project's",
        )
    };
    let page = || {
        vec![
            param("offset", false, json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}), "Items to skip"),
            param(
                "limit",
                false,
                json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
                "Items to return (at most 200; default 50)",
            ),
        ]
    };
    let mut params = match (method, path) {
        ("get", "/api/v1/model-groups") | ("get", "/api/v1/decisions") => vec![project()],
        ("get", "/api/v1/versions") => vec![
            project(),
            param("stage", false, json!({"enum": ["", "Dev", "Test", "Prod"]}), "Only versions at this stage"),
            param("status", false, json!({"enum": ["", "PendingManualApproval", "Approved", "Rejected"]}), "Only versions with this status"),
            param("registry", false, json!({"enum": ["", "dev", "central"]}), "Only the Dev registries or only the central one"),
            param("model_group", false, json!({"type": "string", "pattern": "^([a-z][a-z0-9-]{0,62})?$"}), "Only this model group (its exact name)"),
            param("search", false, json!({"type": "string", "maxLength": 200}), "Text in the group name, description or id"),
        ],
        ("get", "/api/v1/events") => vec![param(
            "version",
            true,
            json!({"type": "string", "minLength": 1, "maxLength": 200}),
            "The version whose events to list. Machines must name one; a signed-in person may leave it out for every project's events.",
        )],
        _ => vec![],
    };
    if method == "get" && (!params.is_empty() || path.ends_with("/test-runs")) {
        params.extend(page());
    }
    params
}

/// The document.
pub fn spec() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, body, status) in OPERATIONS {
        let mut params: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let schema = match name {
                    "project" => json!({"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$"}),
                    _ => json!({"type": "string", "minLength": 1, "maxLength": 200}),
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        params.extend(query_parameters(method, path));
        // A 204 answers with no body, so it documents no content type.
        let success = if *status == 204 {
            json!({"description": "Done; no content"})
        } else {
            json!({"description": "Success", "content": {"application/json": {}}})
        };
        let mut op = json!({
            "summary": summary,
            "parameters": params,
            "responses": {
                status.to_string(): success,
                "default": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "security": [{"ciToken": []}, {"projectToken": []}, {"session": []}]
        });
        if let Some(schema) = body {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Governance portal API",
            "version": "1",
            "description": "For CI pipelines and monitors: register Dev model versions, record integration test results, report deployments, push monitoring points, read versions, decisions and events."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "ciToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A short-lived OIDC token of a CI run (GitHub Actions shape), verified against its issuer's JWKS and admitted by a project's trust policy (settings: trust_policies)."},
                "projectToken": {"type": "http", "scheme": "bearer", "description": "A per-project static token from the settings: development only, refused in production."},
                "session": {"type": "apiKey", "in": "cookie", "name": "portal_session", "description": "A signed-in person (reads)."}
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
