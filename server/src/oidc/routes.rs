//! `/auth/login` sends the browser to the provider; `/auth/callback` checks what comes back (the sign-in's
//! one-time record: state, then the code exchange with the PKCE verifier, then the ID token and its
//! nonce), maps groups to personas and starts a session. A failure goes back to the sign-in page with a
//! reason; a person with no mapped persona goes to the "no access" page. Neither starts a session.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use governance::group_grants::memberships;
use governance::{Principal, Subject};
use serde::Deserialize;

use crate::identity::{cookie, random_id, session_id};
use crate::state::AppState;

/// The cookie naming this browser's sign-in in flight (only sent to `/auth/`).
pub const FLOW_COOKIE: &str = "portal_sign_in";
/// How long a sign-in may take at the provider.
const FLOW_MINUTES: i64 = 10;

pub fn routes() -> Router<AppState> {
    Router::new().route("/auth/login", get(login)).route("/auth/callback", get(callback))
}

/// A 303 to `location` setting `cookies`.
fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    for c in cookies {
        if let Ok(value) = HeaderValue::from_str(c) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn login(State(state): State<AppState>) -> Response {
    let identity = &state.identity;
    let Some(oidc) = identity.oidc.clone() else { return see_other("/sign-in", &[]) };
    let (url, flow) = match oidc.start().await {
        Ok(started) => started,
        Err(e) => return see_other(&format!("/sign-in?error={}", e.code()), &[]),
    };
    let id = random_id();
    if let Err(e) = state.store.save_sign_in_flow(&id, &flow, identity.clock.now()).await {
        tracing::error!(error = %e, "could not record a sign-in");
        return see_other("/sign-in?error=unavailable", &[]);
    }
    let flow_cookie = identity.cookie(FLOW_COOKIE, &id, "/auth/", FLOW_MINUTES as u64 * 60);
    see_other(url.as_str(), &[flow_cookie])
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(answer): Query<Callback>) -> Response {
    let identity = &state.identity;
    let Some(oidc) = identity.oidc.clone() else { return see_other("/sign-in", &[]) };
    let clear_flow = identity.cookie(FLOW_COOKIE, "", "/auth/", 0);
    let fail = |code: &str, why: &str| {
        tracing::warn!(code, why, "sign-in refused");
        see_other(&format!("/sign-in?error={code}"), std::slice::from_ref(&clear_flow))
    };
    let now = identity.clock.now();
    let Some(flow_id) = cookie(&headers, FLOW_COOKIE) else {
        return fail("expired", "no sign-in cookie");
    };
    let flow = match state.store.take_sign_in_flow(flow_id, now, chrono::Duration::minutes(FLOW_MINUTES)).await {
        Ok(Some(flow)) => flow,
        Ok(None) => return fail("expired", "unknown, used or expired sign-in"),
        Err(e) => {
            tracing::error!(error = %e, "could not read a sign-in");
            return fail("unavailable", "store");
        }
    };
    if let Some(error) = &answer.error {
        return fail("refused", error);
    }
    if answer.state.as_deref() != Some(flow.state.as_str()) {
        return fail("state", "the state does not match this browser's sign-in");
    }
    let Some(code) = answer.code else { return fail("refused", "no code") };
    let signed_in = match oidc.finish(&flow, code, now).await {
        Ok(s) => s,
        Err(e) => return fail(e.code(), &e.to_string()),
    };
    let memberships = memberships(&oidc.settings.groups, &signed_in.groups);
    if memberships.is_empty() {
        tracing::info!(subject = %signed_in.subject, groups = ?signed_in.groups, "signed in, but no group is mapped");
        return see_other("/no-access", &[clear_flow]);
    }
    let principal = Principal::from_grants(Subject(signed_in.subject), signed_in.display_name, memberships);
    match identity
        .start_session(&principal, Some(&signed_in.id_token), session_id(&headers), signed_in.email.as_deref())
        .await
    {
        Ok(session) => {
            tracing::info!(subject = %principal.subject, "signed in through OIDC");
            see_other("/inbox", &[session.0, clear_flow])
        }
        Err(e) => {
            tracing::error!(error = %e, "could not start a session");
            fail("unavailable", "store")
        }
    }
}
