//! Evidence packs over HTTP and on the command line: `POST /versions/{id}/evidence-pack` exports one (the
//! version page's form; an export is an audit entry, so it is never a GET), and `portal verify-evidence FILE`
//! checks a kept one offline.

pub mod dossier;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use governance::evidence_pack::{self, EvidencePack, PackBreak, Verified};
use governance::VersionId;
use serde::Deserialize;

use crate::api::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/versions/{id}/evidence-pack", post(export))
}

/// Which file the export form asks for.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    /// `html` (the dossier, its pack embedded) or `json` (the pack alone).
    pub format: String,
}

async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ExportForm>,
) -> Response {
    let Some(principal) = state.identity.principal_from_headers(&headers).await else {
        return refused(StatusCode::UNAUTHORIZED, "sign in to export an evidence pack");
    };
    let html = match form.format.as_str() {
        "html" => true,
        "json" => false,
        other => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("format: expected html or json, got {:?}", other.chars().take(40).collect::<String>()),
            )
        }
    };
    let pack = match state.service.export_evidence_pack(&principal, &VersionId(id)).await {
        Ok(pack) => pack,
        Err(e) => {
            let e = ApiError::from(e);
            return refused(e.status, &e.message);
        }
    };
    let (body, content_type, extension) = match written(&pack, html) {
        Ok(body) if html => (body, "text/html; charset=utf-8", "html"),
        Ok(body) => (body, "application/json", "json"),
        Err(e) => {
            tracing::error!(error = %e, "an exported evidence pack could not be written");
            return refused(StatusCode::INTERNAL_SERVER_ERROR, "the evidence pack could not be written");
        }
    };
    let name = format!(
        "evidence-pack-{}-v{}.{extension}",
        file_safe(&pack.contents.version.group.0),
        pack.contents.version.number
    );
    crate::download::attachment(body, content_type, &name)
}

/// The pack as its file: the dossier, or the JSON alone.
pub fn written(pack: &EvidencePack, html: bool) -> Result<String, serde_json::Error> {
    if html {
        dossier::render(pack)
    } else {
        evidence_pack::to_json(pack).map(|json| json + "\n")
    }
}

/// A file name's part made of letters, digits, `-` and `_` only.
fn file_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(80).collect()
}

fn refused(status: StatusCode, message: &str) -> Response {
    let body = format!("The evidence pack was not exported: {message}\n");
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Why a kept file does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileBreak {
    #[error(transparent)]
    Pack(#[from] PackBreak),
    #[error("the dossier carries no evidence pack (no <script id=\"{}\"> block)", dossier::PACK_ELEMENT_ID)]
    NoPack,
    #[error("the dossier's page was changed after export: it differs from what its pack renders to at line {line}, column {column}")]
    PageChanged { line: usize, column: usize },
}

/// Verifies a kept file: a pack's JSON, or a dossier (its embedded pack verified, then its page rendered again
/// from that pack and compared byte for byte).
///
/// # Errors
/// The first entry, section or place in the page that does not match.
pub fn verify_file(text: &str) -> Result<Verified, FileBreak> {
    if !text.trim_start().starts_with('<') {
        return Ok(evidence_pack::verify(text)?);
    }
    let open = format!("<script type=\"application/json\" id=\"{}\">", dossier::PACK_ELEMENT_ID);
    let start = text.find(&open).ok_or(FileBreak::NoPack)? + open.len();
    let end = text[start..].find("</script>").ok_or(FileBreak::NoPack)? + start;
    let json = &text[start..end];
    let verified = evidence_pack::verify(json)?;
    let pack: EvidencePack = serde_json::from_str(json).map_err(|e| PackBreak::NotAPack(e.to_string()))?;
    let rendered = dossier::render(&pack).map_err(|e| PackBreak::NotAPack(e.to_string()))?;
    if rendered != text {
        let at = rendered.bytes().zip(text.bytes()).position(|(a, b)| a != b).unwrap_or(rendered.len().min(text.len()));
        let before = &text.as_bytes()[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = at - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        return Err(FileBreak::PageChanged { line, column });
    }
    Ok(verified)
}
