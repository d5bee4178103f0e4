//! The router: pages and server functions (Leptos), the JSON API, health checks, and the sign-in guard.

use app::server::PortalContext;
use app::{shell, App};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::state::AppState;

/// The longest a request may take end to end (a page on a slow registry included) before it is answered 503.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = PortalContext { service: state.service.clone(), identity: state.identity.clone() };
    let options = state.leptos_options.clone();
    let csp = crate::web_defences::content_security_policy(state.settings.oidc.as_ref().map(|o| o.issuer.as_str()));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::scrape))
        .merge(crate::api::routes())
        .merge(crate::oidc::routes())
        .merge(crate::evidence_pack::routes())
        .merge(crate::live::routes())
        .merge(crate::audit_export::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(crate::fn_errors::statuses_of_unread_arguments))
        .layer(middleware::from_fn_with_state(state.clone(), crate::form_flash::keep_form_errors_off_the_url))
        .layer(middleware::from_fn(crate::web_defences::refuse_foreign_form_errors))
        .layer(middleware::from_fn_with_state(state.clone(), crate::read_cache::serve_cached_views))
        .layer(middleware::from_fn_with_state(state.clone(), require_sign_in))
        .layer(middleware::from_fn_with_state(state.settings.allowed_origin(), crate::web_defences::refuse_cross_site))
        .layer(middleware::from_fn_with_state(csp, crate::web_defences::security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(crate::api::MAX_BODY_BYTES))
        // A body must arrive in time once its headers have; a whole request must be answered in time.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(crate::api::BODY_TIMEOUT))
        .layer(middleware::from_fn(crate::web_defences::refuse_large_bodies))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, REQUEST_TIMEOUT))
        // Outermost: every answer is counted and timed (refusals and timeouts too), and every log line of a
        // request carries its id.
        .layer(middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::record_http))
        .layer(middleware::from_fn(crate::logging::request_id))
        .with_state(state)
}

/// Ready when every backend the portal depends on answers: its database, and SageMaker on the AWS backends.
/// Answers JSON naming each backend, `ok` or why not; 503 when any is not.
async fn readyz(State(state): State<AppState>) -> Response {
    let mut backends = serde_json::Map::new();
    let mut ready = true;
    let mut check = |name: &str, result: Result<(), governance::ports::StoreError>| {
        let said = match result {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                ready = false;
                e.to_string()
            }
        };
        backends.insert(name.to_string(), serde_json::Value::String(said));
    };
    check("database", state.store.ready().await);
    if let Some(sagemaker) = &state.sagemaker {
        check("SageMaker", sagemaker.probe().await);
    }
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(serde_json::json!({ "ready": ready, "backends": backends }))).into_response()
}

/// Pages need a signed-in person: anonymous page visits go to the sign-in page. Server functions, the API
/// and static files decide for themselves (they answer 401 rather than redirect).
async fn require_sign_in(State(state): State<AppState>, mut request: Request<Body>, next: Next) -> Response {
    request.extensions_mut().insert(crate::identity::PrincipalOnce::default());
    let path = request.uri().path();
    let open = path == "/sign-in"
        || path == "/no-access"
        || path.starts_with("/auth/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.starts_with(app::server_fns::PREFIX)
        || path.contains('.');
    let wants_page = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.contains("text/html") || v.contains("*/*"));
    if open || !wants_page || state.identity.principal_of(request.extensions(), request.headers()).await.is_some() {
        return next.run(request).await;
    }
    Redirect::to("/sign-in").into_response()
}
