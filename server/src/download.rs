//! A file handed over as a download: its type, a file name the browser saves it under, never cached (every
//! download the portal serves is a record: an evidence pack, an audit export).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `body` as the attachment `name` (a name of letters, digits, `-`, `_` and `.` only) of `content_type`.
pub fn attachment(body: String, content_type: &'static str, name: &str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, disposition);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
