//! The read cache: the registry page and the API's version and model-group lists, answered again from memory
//! while nothing they show has changed.
//!
//! Every answer is keyed on the database's read generation (SQLite: a counter every change to what these
//! views show moves in the change's own transaction, migration 0021; PostgreSQL: the transaction snapshot,
//! which every commit moves), read before the answer is made; on who asks
//! (the person or machine as resolved for this very request: a signed-out session or a revoked token never
//! reaches a cached answer); and on the request's path, query and `Accept`. So a cached answer is never
//! older than the last change: the request after a change reads a newer generation and misses. What moves
//! with time alone (a re-certification falling due) is bounded by the entries' age, `MAX_AGE` by the
//! portal's clock. A hit still pays for resolving who asks and for one read of the generation; it skips the
//! view's own queries and its rendering.
//!
//! A missing answer is made by one request at a time: others asking for the same answer meanwhile wait for it
//! (at most `WAIT_FOR_OTHERS`), so an entry ageing out under load costs one render, not one per connection.
//!
//! Pages carry a fresh script nonce on every answer: the cached body is kept split at its nonce and joined
//! with a new one, so no two answers share a nonce.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use governance::ports::Clock;
use tokio::sync::Notify;

use crate::state::AppState;

/// How long an answer may be served again with nothing changed: the bound on what moves with time alone.
pub const MAX_AGE: chrono::Duration = chrono::Duration::seconds(2);

/// A response header naming what the cache did: `hit` or `miss` (absent: not a cached view).
pub const STATUS_HEADER: &str = "x-portal-read-cache";

/// The registry page's own query parameters: a request with any other (a form flash, an error round trip)
/// is not cached.
const PAGE_PARAMETERS: [&str; 6] = ["project", "stage", "status", "search", "group", "offset"];

/// Which cached view a request asks for, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    RegistryPage,
    Api,
}

fn view_of(request: &Request<Body>) -> Option<View> {
    if request.method() != Method::GET {
        return None;
    }
    match request.uri().path() {
        "/" => {
            let query = request.uri().query().unwrap_or("");
            url::form_urlencoded::parse(query.as_bytes())
                .all(|(k, _)| PAGE_PARAMETERS.contains(&k.as_ref()))
                .then_some(View::RegistryPage)
        }
        "/api/v1/versions" | "/api/v1/model-groups" => Some(View::Api),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    generation: String,
    /// The actor as JSON: subject, personas per project, or the machine's project and actions.
    who: String,
    uri: String,
    accept: String,
}

struct Entry {
    made_at: DateTime<Utc>,
    headers: HeaderMap,
    /// The body split at its script nonce (one part when it has none).
    parts: Vec<Bytes>,
    has_nonce: bool,
    bytes: usize,
    /// What it takes of the budget: its body and its key (a long query string is memory too).
    cost: usize,
}

/// The cached answers, bounded in bytes; entries of another generation are dropped when one arrives.
pub struct ReadCache {
    max_bytes: usize,
    clock: Arc<dyn Clock>,
    inner: Mutex<Entries>,
    /// The answers being made now, each by one request: who asks for the same one meanwhile waits for it
    /// instead of making it again (an entry ageing out under load would otherwise be made by every
    /// connection at once).
    making: Mutex<HashMap<Key, Arc<Notify>>>,
}

/// How long a request waits for another's answer before it makes its own.
const WAIT_FOR_OTHERS: std::time::Duration = std::time::Duration::from_secs(5);

/// A request's turn at a missing answer.
enum Turn {
    /// It makes the answer; the others are told when the guard goes (answered, failed or dropped).
    Make(Making),
    /// Another request is making it: wait, then look again.
    Wait(tokio::sync::futures::OwnedNotified),
}

/// Held while a request makes an answer others wait for.
struct Making {
    cache: Arc<ReadCache>,
    key: Key,
}

impl Drop for Making {
    fn drop(&mut self) {
        let notify = lock(&self.cache.making).remove(&self.key);
        if let Some(notify) = notify {
            notify.notify_waiters();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Default)]
struct Entries {
    generation: String,
    map: HashMap<Key, Arc<Entry>>,
    order: VecDeque<Key>,
    bytes: usize,
}

impl ReadCache {
    /// A cache of at most `max_bytes` of answers (0: off).
    pub fn new(max_bytes: usize, clock: Arc<dyn Clock>) -> ReadCache {
        ReadCache { max_bytes, clock, inner: Mutex::new(Entries::default()), making: Mutex::default() }
    }

    /// Whether this request makes `key`'s answer or waits for the request making it.
    fn turn(self: &Arc<Self>, key: &Key) -> Turn {
        let mut making = lock(&self.making);
        match making.get(key) {
            // Made under the lock, so the maker's notice (sent after it removes the key, under the lock) finds it.
            Some(notify) => Turn::Wait(notify.clone().notified_owned()),
            None => {
                making.insert(key.clone(), Arc::new(Notify::new()));
                Turn::Make(Making { cache: self.clone(), key: key.clone() })
            }
        }
    }

    fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        let now = self.clock.now();
        let entries = lock(&self.inner);
        let entry = entries.map.get(key)?;
        // A clock moved backwards counts as too old too.
        (entry.made_at <= now && now - entry.made_at < MAX_AGE).then(|| entry.clone())
    }

    fn put(&self, key: Key, mut entry: Entry) {
        entry.cost = entry.bytes + key.generation.len() + key.who.len() + key.uri.len() + key.accept.len();
        // One answer may take a quarter of the budget at most, so a few large ones cannot flush the rest.
        if entry.cost > self.max_bytes / 4 {
            return;
        }
        let mut entries = lock(&self.inner);
        // Generations are compared for equality only (snapshots have no total order): the answers of any other
        // generation give way, so only the one being asked for takes memory.
        if key.generation != entries.generation {
            *entries = Entries { generation: key.generation.clone(), ..Entries::default() };
        }
        entries.bytes += entry.cost;
        if let Some(old) = entries.map.insert(key.clone(), Arc::new(entry)) {
            entries.bytes -= old.cost;
        } else {
            entries.order.push_back(key);
        }
        while entries.bytes > self.max_bytes {
            let Some(oldest) = entries.order.pop_front() else { break };
            if let Some(gone) = entries.map.remove(&oldest) {
                entries.bytes -= gone.cost;
            }
        }
    }
}

/// Answers a cached view from the cache when it can, and keeps what it renders otherwise. Sits inside the
/// sign-in guard, so a page request here comes from a signed-in person.
pub async fn serve_cached_views(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let cache = state.read_cache.clone();
    let Some(view) = view_of(&request).filter(|_| cache.max_bytes > 0) else {
        return next.run(request).await;
    };
    let who = match view {
        View::RegistryPage => {
            state.identity.principal_of(request.extensions(), request.headers()).await.map(governance::Actor::Person)
        }
        // Refusals are the handler's to answer, with its error body.
        View::Api => crate::api::auth::actor(&state, request.headers()).await.ok(),
    };
    let (Some(who), Ok(generation)) = (who, state.store.read_generation().await) else {
        return next.run(request).await;
    };
    let Ok(who) = serde_json::to_string(&who) else { return next.run(request).await };
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let key = Key { generation, who, uri: request.uri().to_string(), accept };
    if let Some(entry) = cache.get(&key) {
        return answer(&entry, "hit");
    }
    let _making = match cache.turn(&key) {
        Turn::Make(making) => Some(making),
        Turn::Wait(made) => {
            let _ = tokio::time::timeout(WAIT_FOR_OTHERS, made).await;
            if let Some(entry) = cache.get(&key) {
                return answer(&entry, "hit");
            }
            // Not kept (not a 200, too large) or too slow: this request makes its own.
            None
        }
    };
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        tracing::error!(uri = %key.uri, "a view's body failed while it was read for the read cache");
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from("Something went wrong on our side while this page was made."))
            .unwrap_or_default();
    };
    let entry = entry_of(parts.headers, body, cache.clock.now());
    let response = answer(&entry, "miss");
    cache.put(key, entry);
    response
}

fn nonce_header() -> HeaderName {
    HeaderName::from_static(app::server::NONCE_HEADER)
}

fn entry_of(mut headers: HeaderMap, body: Bytes, made_at: DateTime<Utc>) -> Entry {
    headers.remove(header::CONTENT_LENGTH);
    let nonce = headers.remove(nonce_header()).and_then(|v| v.to_str().ok().map(str::to_string));
    let bytes = body.len();
    let parts = match nonce.as_deref().filter(|n| !n.is_empty()) {
        Some(nonce) => split_at_nonce(&body, nonce.as_bytes()),
        None => vec![body],
    };
    Entry { made_at, headers, has_nonce: parts.len() > 1 || nonce.is_some(), parts, bytes, cost: bytes }
}

/// The body's slices between the occurrences of `nonce`.
fn split_at_nonce(body: &Bytes, nonce: &[u8]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut start = 0;
    for at in memchr::memmem::find_iter(body, nonce) {
        parts.push(body.slice(start..at));
        start = at + nonce.len();
    }
    parts.push(body.slice(start..));
    parts
}

fn answer(entry: &Entry, status: &'static str) -> Response {
    let mut headers = entry.headers.clone();
    let body = if entry.has_nonce {
        let nonce = leptos::nonce::Nonce::new().to_string();
        let mut body = Vec::with_capacity(entry.bytes + entry.parts.len() * nonce.len());
        for (i, part) in entry.parts.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(part);
        }
        if let Ok(value) = HeaderValue::from_str(&nonce) {
            headers.insert(nonce_header(), value);
        }
        Bytes::from(body)
    } else {
        // One part, shared with the entry: no copy.
        entry.parts.first().cloned().unwrap_or_default()
    };
    headers.insert(HeaderName::from_static(STATUS_HEADER), HeaderValue::from_static(status));
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_split_at_every_occurrence_of_its_nonce() {
        let body = Bytes::from_static(b"<script nonce=\"N0\">a</script><b nonce=\"N0\">N0");
        let parts = split_at_nonce(&body, b"N0");
        assert_eq!(parts, vec!["<script nonce=\"", "\">a</script><b nonce=\"", "\">", ""]);
        assert_eq!(split_at_nonce(&Bytes::from_static(b"none here"), b"N0"), vec!["none here"]);
    }

    #[tokio::test]
    async fn one_request_makes_a_missing_answer_and_the_others_asking_meanwhile_wait_for_it() {
        let cache = Arc::new(ReadCache::new(1 << 20, Arc::new(crate::clock::SystemClock(Default::default()))));
        let page = key("/?search=slow".into());
        let Turn::Make(making) = cache.turn(&page) else { panic!("the first request makes the answer") };
        let Turn::Wait(waiting) = cache.turn(&page) else { panic!("the second waits for it") };
        assert!(matches!(cache.turn(&key("/?other".into())), Turn::Make(_)), "another answer is made apart");
        let waiter =
            tokio::spawn(async move { tokio::time::timeout(std::time::Duration::from_secs(2), waiting).await.is_ok() });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "it waits while the answer is being made");
        cache.put(page.clone(), entry(b"made once"));
        drop(making);
        assert!(waiter.await.expect("waiter"), "told when the answer is made");
        assert!(cache.get(&page).is_some(), "and finds it");
        assert!(matches!(cache.turn(&page), Turn::Make(_)), "the next miss makes it again");
    }

    fn key(uri: String) -> Key {
        Key { generation: "7".into(), who: "{}".into(), uri, accept: String::new() }
    }

    fn entry(body: &'static [u8]) -> Entry {
        entry_of(HeaderMap::new(), Bytes::from_static(body), crate::clock::SystemClock(Default::default()).now())
    }

    #[test]
    fn long_query_strings_count_against_the_budget_and_no_answer_takes_over_a_quarter_of_it() {
        let cache = ReadCache::new(4096, Arc::new(crate::clock::SystemClock(Default::default())));
        for i in 0..100 {
            cache.put(key(format!("/?search={i}{}", "x".repeat(900))), entry(b"small"));
        }
        let entries = cache.inner.lock().expect("lock");
        assert!(entries.bytes <= 4096, "{} bytes kept", entries.bytes);
        assert!(entries.map.len() <= 4, "{} entries of ~1 KB each in 4 KB", entries.map.len());
        assert!(entries.map.keys().all(|k| k.uri.starts_with("/?search=9")), "the newest are kept");
        drop(entries);
        cache.put(key(format!("/?search=big{}", "x".repeat(1100))), entry(b"small"));
        assert!(cache.get(&key(format!("/?search=big{}", "x".repeat(1100)))).is_none(), "over a quarter: not kept");
    }
}
