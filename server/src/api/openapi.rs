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
    ("get", "/api/v1/versions", "List model versions (filter by project, stage, status, registry, search)", None, 200),
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
                "model_group": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$"},
                "description": {"type": "string", "maxLength": 2000},
                "mlflow_run_id": {"type": "string"},
                "training_data": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
                "code_commit": {"type": "string"},
                "artifact_uri": {"type": "string", "examples": ["s3://bucket/model.tar.gz"]},
                "container_image": {"type": "string"},
                "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                "model_card": {
                    "type": "object",
                    "properties": {
                        "intended_use": {"type": "string"}, "limitations": {"type": "string"}, "risk_rating": {"type": "string"},
                        "training_data": {"type": "string"}, "evaluation": {"type": "string"}, "owner": {"type": "string"}
                    }
                }
            }
        },
        "TestRun": {
            "type": "object", "required": ["junit_xml"], "additionalProperties": false,
            "properties": {
                "junit_xml": {"type": "string", "description": "A JUnit XML report (<testsuites> or <testsuite>)."},
                "performance": {"type": "object", "additionalProperties": {"type": "number"}, "examples": [{"latency_p50_ms": 40, "latency_p99_ms": 120, "error_rate": 0.001}]},
                "ci_run": {"type": "string", "description": "A link to the CI run."}
            }
        },
        "MonitoringPush": {
            "type": "object", "required": ["metric", "endpoint", "points"], "additionalProperties": false,
            "properties": {
                "metric": {"type": "string", "examples": ["ModelLatency p99"]},
                "endpoint": {"type": "string"},
                "variant": {"type": "string", "default": "AllTraffic"},
                "threshold": {"type": "number"},
                "points": {"type": "array", "items": {"type": "object", "required": ["at", "value"], "properties": {"at": {"type": "string", "format": "date-time"}, "value": {"type": "number"}}}}
            }
        },
        "DeploymentStatus": {
            "type": "object", "required": ["status"], "additionalProperties": false,
            "properties": {
                "status": {"type": "string", "enum": ["Requested", "InProgress", "Succeeded", "Failed"]},
                "message": {"type": "string"}
            }
        }
    })
}

/// The document.
pub fn spec() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, body, status) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
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
