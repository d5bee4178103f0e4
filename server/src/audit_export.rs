//! `GET /audit/export?format=csv|json&<the audit page's filter>`: the entries the audit page shows, all of
//! them (up to the service's bound), as a file an auditor keeps. Each entry carries its hash and the hash it
//! chains from, so its content can be checked against the chain.
//!
//! The CSV is written for spreadsheets: every field quoted, and a field that a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, also after blanks, or with a tab or a line break) is prefixed with `'`, so a
//! justification cannot become a formula on an auditor's machine.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use governance::audit_row::AuditRow;
use governance::ledger_filters::AuditQuery;
use serde::Deserialize;

use crate::api::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit/export", get(export))
}

/// The export's format, beside the audit page's filter.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub format: Option<String>,
    #[serde(flatten)]
    pub filter: AuditQuery,
}

/// The CSV's columns, in order.
pub const CSV_COLUMNS: [&str; 12] = [
    "seq",
    "at",
    "actor",
    "who",
    "persona",
    "action",
    "target_kind",
    "target",
    "justification",
    "detail",
    "prev_hash",
    "hash",
];

async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return refused(
            StatusCode::BAD_REQUEST,
            "the filter could not be read: each field is given at most once, as text",
        );
    };
    let Some(principal) = state.identity.principal_from_headers(&headers).await else {
        return refused(StatusCode::UNAUTHORIZED, "sign in to export the audit log");
    };
    let csv = match query.format.as_deref() {
        Some("csv") | None => true,
        Some("json") => false,
        Some(other) => {
            let other: String = other.chars().take(40).collect();
            return refused(StatusCode::UNPROCESSABLE_ENTITY, &format!("format: expected csv or json, got {other:?}"));
        }
    };
    let actor = governance::Actor::Person(principal);
    let rows = match state.service.audit_export(&actor, &query.filter).await {
        Ok(rows) => rows,
        Err(e) => {
            let e = ApiError::from(e);
            return refused(e.status, &e.message);
        }
    };
    let (body, content_type, extension) = if csv {
        (to_csv(&rows), "text/csv; charset=utf-8", "csv")
    } else {
        let export = serde_json::json!({
            "exportedAt": state.service.now(),
            "exportedBy": actor.subject().map(|s| s.0.clone()),
            "filter": query.filter,
            "entries": json_rows(&rows),
        });
        match serde_json::to_string_pretty(&export) {
            Ok(body) => (body + "\n", "application/json", "json"),
            Err(e) => {
                tracing::error!(error = %e, "an audit export could not be written");
                return refused(StatusCode::INTERNAL_SERVER_ERROR, "the export could not be written");
            }
        }
    };
    let name = format!("audit-log-{}.{extension}", state.service.now().format("%Y%m%dT%H%M%SZ"));
    crate::download::attachment(body, content_type, &name)
}

fn refused(status: StatusCode, message: &str) -> Response {
    let body = format!("The audit log was not exported: {message}\n");
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// The fields of a row, in [`CSV_COLUMNS`] order.
fn fields(r: &AuditRow) -> [String; 12] {
    let e = &r.entry;
    let target = match &r.target {
        governance::audit_row::AuditTarget::Template { id, version } => format!("{id}/{version}"),
        _ => e.record.target.clone(),
    };
    [
        e.seq.to_string(),
        e.record.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.record.actor.0.clone(),
        r.who.clone(),
        r.persona.clone().unwrap_or_default(),
        e.record.action.clone(),
        r.target.kind().to_string(),
        target,
        r.justification.clone().unwrap_or_default(),
        e.record.detail.to_string(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ]
}

/// The rows as CSV (RFC 4180, CRLF line ends), its first line the column names.
pub fn to_csv(rows: &[AuditRow]) -> String {
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.map(|c| cell(&c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&mut CSV_COLUMNS.iter().map(|c| c.to_string()));
    for r in rows {
        line(&mut fields(r).into_iter());
    }
    out
}

/// One CSV field: quoted, quotes doubled, and defused if a spreadsheet would read it as a formula (also after
/// leading blanks, which some spreadsheets skip, and when it starts with a tab or a line break).
pub fn cell(value: &str) -> String {
    let formula = value.trim_start().starts_with(['=', '+', '-', '@']) || value.starts_with(['\t', '\r', '\n']);
    let defused = if formula { format!("'{value}") } else { value.to_string() };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

/// The rows as JSON objects keyed by [`CSV_COLUMNS`] (the detail as the JSON it was sealed as).
fn json_rows(rows: &[AuditRow]) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|r| {
            let mut object = serde_json::Map::new();
            for (column, value) in CSV_COLUMNS.iter().zip(fields(r)) {
                let value = match *column {
                    "seq" => serde_json::Value::from(r.entry.seq),
                    "detail" => r.entry.record.detail.clone(),
                    _ => serde_json::Value::String(value),
                };
                object.insert(column.to_string(), value);
            }
            serde_json::Value::Object(object)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_defused_and_quotes_are_doubled() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        for bad in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\n=1", "  =1+1", "\u{a0}=cmd"] {
            assert!(cell(bad).starts_with("\"'"), "{bad}");
        }
        assert_eq!(cell("plain, with comma\nand line"), "\"plain, with comma\nand line\"");
    }
}
