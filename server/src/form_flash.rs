//! The JavaScript-off round trip of a refused form, without the typed text in the URL.
//!
//! A plain form post that a server function refuses is redirected back to its page by Leptos with the error,
//! and what was typed, in the query (`__path`, `__err`). That puts a justification or a model card in the
//! browser's history, in proxies' logs and in referrers. This layer keeps the error on the server instead,
//! bound to the session that posted, and rewrites the redirect to carry only `?__flash=<id>`; when the page
//! is then visited by the same session, the error is handed to the render (the `Layout` provides it to the
//! page's forms). Without a live session there is nothing to bind the text to: the redirect keeps the error's
//! message but drops what was typed.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

use app::error::{AppError, FormFlash, FLASH_PARAM};

use crate::identity::{random_id, session_id};
use crate::state::AppState;

const ERROR: &str = "__err";
const PATH: &str = "__path";

pub async fn keep_form_errors_off_the_url(
    State(state): State<AppState>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let session = session_id(request.headers());
    if request.method() == Method::GET {
        if let (Some(id), Some(session)) = (flash_id(request.uri().query()), session.as_deref()) {
            match state.store.form_flash(&id, session, state.identity.clock.now()).await {
                Ok(Some((path, error))) => {
                    request.extensions_mut().insert(FormFlash { id, path, error });
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "a kept form error could not be read"),
            }
        }
        return next.run(request).await;
    }
    let live = match &session {
        Some(_) => state.identity.principal_from_headers(request.headers()).await.is_some(),
        None => false,
    };
    let mut response = next.run(request).await;
    let Some(location) = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()) else {
        return response;
    };
    let Some(rewritten) = rewrite(&state, location, session.as_deref().filter(|_| live)).await else {
        return response;
    };
    if let Ok(value) = HeaderValue::from_str(&rewritten) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn flash_id(query: Option<&str>) -> Option<String> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == FLASH_PARAM)
        .map(|(_, v)| v.into_owned())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The redirect without `__err` and `__path`: with `__flash` when the error was kept for `session`, else with
/// the error's message alone. `None` when the location carries no form error.
async fn rewrite(state: &AppState, location: &str, session: Option<&str>) -> Option<String> {
    let (base, query) = location.split_once('?')?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let error = pairs.iter().find(|(k, _)| k == ERROR).map(|(_, v)| v.clone())?;
    let path = pairs.iter().find(|(k, _)| k == PATH).map(|(_, v)| v.clone())?;
    let mut kept: Vec<(String, String)> =
        pairs.into_iter().filter(|(k, _)| k != ERROR && k != PATH && k != FLASH_PARAM).collect();
    let flash = match session {
        Some(session) => {
            let id = random_id();
            match state.store.keep_form_flash(&id, session, &path, &error, state.identity.clock.now()).await {
                Ok(()) => Some(id),
                Err(e) => {
                    tracing::warn!(error = %e, "a refused form's error could not be kept");
                    None
                }
            }
        }
        None => None,
    };
    match flash {
        Some(id) => kept.push((FLASH_PARAM.to_string(), id)),
        None => {
            kept.push((PATH.to_string(), path));
            kept.push((ERROR.to_string(), without_typed_text(&error)));
        }
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
    Some(format!("{base}?{query}"))
}

/// The encoded error with what was typed removed: only its message may travel in the URL.
fn without_typed_text(encoded: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE;
    let decoded = engine.decode(encoded).ok().and_then(|bytes| serde_json::from_slice::<AppError>(&bytes).ok());
    let error = match decoded {
        Some(AppError::Invalid { field, message, .. }) => {
            AppError::Invalid { field, message, submitted: Default::default() }
        }
        Some(other) => other,
        None => AppError::Internal,
    };
    engine.encode(serde_json::to_vec(&error).unwrap_or_default())
}
