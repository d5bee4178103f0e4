//! Live updates over server-sent events: `GET /live/versions/{id}`, `/live/projects/{id}` and `/live/inbox`
//! tell an open page when what it shows has changed, so it reloads its data by itself (with JavaScript off a
//! plain reload shows the same). Each stream recomputes the page's revision from the store every
//! [`POLL`], so a change made through any replica reaches every page, and sends `changed` with the new
//! revision as the event id: a browser that reconnects sends it back as `Last-Event-ID` and misses nothing.
//!
//! Each stream re-authenticates on every poll (a signed-out session or a lost membership ends it with
//! `gone`), lasts at most [`LIFETIME`] (the browser reconnects), and at most [`MAX_STREAMS`] are open per
//! process; past that a stream ends at once with `gone` and the page simply stays as drawn.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use governance::service::{is_revision, ServiceError, Watched};
use governance::{ProjectId, VersionId};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api::error::ApiError;
use crate::state::AppState;

/// How often a stream looks at the store.
pub const POLL: Duration = Duration::from_secs(2);
/// How long one stream lasts before the browser is asked to reconnect (it resumes from its last revision).
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Open streams per process: each costs a store read per poll.
pub const MAX_STREAMS: usize = 256;
/// How long the browser waits before reconnecting, in milliseconds.
const RETRY_MS: u64 = 3_000;

/// The open streams of this process, bounded.
#[derive(Clone)]
pub struct LiveStreams(Arc<Semaphore>);

impl LiveStreams {
    pub fn new(limit: usize) -> Self {
        Self(Arc::new(Semaphore::new(limit)))
    }
}

impl Default for LiveStreams {
    fn default() -> Self {
        Self::new(MAX_STREAMS)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/live/versions/{id}", get(version))
        .route("/live/projects/{id}", get(project))
        .route("/live/inbox", get(inbox))
}

/// The revision the page was drawn at (the page passes it; a reconnect's `Last-Event-ID` wins over it).
#[derive(Debug, Deserialize)]
pub struct Since {
    pub since: Option<String>,
}

async fn version(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(since): Query<Since>,
    headers: HeaderMap,
) -> Response {
    open(state, Watched::Version(VersionId(id)), since, headers).await
}

async fn project(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(since): Query<Since>,
    headers: HeaderMap,
) -> Response {
    open(state, Watched::Project(ProjectId(id)), since, headers).await
}

async fn inbox(State(state): State<AppState>, Query(since): Query<Since>, headers: HeaderMap) -> Response {
    open(state, Watched::Inbox, since, headers).await
}

/// A stream that may not be followed: one `gone` event saying why, which makes the page close it. Not an
/// HTTP error: a page drawn a moment before a sign-out, a lost membership or a restart opens its stream
/// in good faith, and an HTTP error there is a console error in every such browser; `gone` is what the
/// same refusal says in the middle of a stream.
fn refused(message: &str) -> Response {
    let gone = Event::default().event("gone").data(message);
    Sse::new(stream::once(async move { Ok::<_, Infallible>(gone) })).into_response()
}

/// Checks the person and the page once (a refusal ends the stream at once, see [`refused`]), then streams.
async fn open(state: AppState, watched: Watched, since: Since, headers: HeaderMap) -> Response {
    let Some(principal) = state.identity.principal_from_headers(&headers).await else {
        return refused("sign in to follow a page's changes");
    };
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(since.since)
        .filter(|r| is_revision(r));
    let current = match state.service.revision(&principal, &watched).await {
        Ok(r) => r,
        Err(e) => return refused(&ApiError::from(e).message),
    };
    let Ok(permit) = state.live.0.clone().try_acquire_owned() else {
        return refused("too many pages are following changes; reload to see them");
    };
    let stream = changes(state, watched, headers, last, current, permit);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))).into_response()
}

/// Where a stream stands between polls.
struct Follow {
    state: AppState,
    watched: Watched,
    headers: HeaderMap,
    /// The revision the browser has seen.
    seen: Option<String>,
    /// The revision now, when the browser has not been told of it yet.
    pending: Option<String>,
    started: tokio::time::Instant,
    done: bool,
    first: bool,
    _permit: OwnedSemaphorePermit,
}

fn changes(
    state: AppState,
    watched: Watched,
    headers: HeaderMap,
    seen: Option<String>,
    current: String,
    permit: OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let start = Follow {
        state,
        watched,
        headers,
        // Without a revision to compare with, the browser's page is taken as drawn now.
        pending: seen.as_ref().filter(|s| **s != current).map(|_| current.clone()),
        seen: Some(seen.unwrap_or(current)),
        started: tokio::time::Instant::now(),
        done: false,
        first: true,
        _permit: permit,
    };
    stream::unfold(start, |mut f| async move {
        if f.done {
            return None;
        }
        if f.first {
            f.first = false;
            // The browser's reconnection delay, and the revision it resumes from.
            let seen = f.seen.clone().unwrap_or_default();
            return Some((
                Ok(Event::default().event("following").id(seen).retry(Duration::from_millis(RETRY_MS)).data("")),
                f,
            ));
        }
        loop {
            if let Some(revision) = f.pending.take() {
                f.seen = Some(revision.clone());
                return Some((Ok(Event::default().event("changed").id(revision.clone()).data(revision)), f));
            }
            if f.started.elapsed() >= LIFETIME {
                // Ending the stream makes the browser reconnect with the last revision it was sent.
                return None;
            }
            tokio::time::sleep(POLL).await;
            let Some(principal) = f.state.identity.principal_from_headers(&f.headers).await else {
                f.done = true;
                return Some((Ok(Event::default().event("gone").data("signed out")), f));
            };
            match f.state.service.revision(&principal, &f.watched).await {
                Ok(now) if f.seen.as_deref() != Some(now.as_str()) => f.pending = Some(now),
                Ok(_) => {}
                // A store that does not answer now may answer at the next poll; the page stays as drawn.
                Err(ServiceError::Unavailable(_) | ServiceError::BackendUnavailable { .. }) => {}
                Err(e) => {
                    f.done = true;
                    return Some((Ok(Event::default().event("gone").data(ApiError::from(e).message)), f));
                }
            }
        }
    })
}
