//! Who is signed in; development sign-in and sign-out.

use governance::Principal;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in person as the header shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub principal: Option<Principal>,
    /// Development sign-in is on: the banner says so.
    pub development: bool,
    /// Where sign-in through the organisation's identity provider starts, when configured.
    pub sign_in_url: Option<String>,
}

#[server(prefix = "/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<UserView, AppError> {
    use crate::server::{identity, principal};
    let identity = identity()?;
    Ok(UserView {
        principal: principal().await,
        development: identity.is_development(),
        sign_in_url: identity.sign_in_url(),
    })
}

/// The people development sign-in offers.
#[server(prefix = "/fn", endpoint = "demo_people")]
pub async fn demo_people() -> Result<Vec<Principal>, AppError> {
    Ok(crate::server::identity()?.demo_people().await)
}

#[server(prefix = "/fn", endpoint = "sign_in")]
pub async fn sign_in(subject: String) -> Result<(), AppError> {
    use crate::server::{identity, reply};
    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    let cookie = identity()?.sign_in_as(&parts, &governance::Subject(subject)).await.map_err(reply)?;
    let options = expect_context::<leptos_axum::ResponseOptions>();
    if let Ok(value) = http::HeaderValue::from_str(&cookie.0) {
        options.append_header(http::header::SET_COOKIE, value);
    }
    leptos_axum::redirect("/inbox");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::identity;
    let parts = use_context::<http::request::Parts>().ok_or(AppError::NotSignedIn)?;
    let signed_out = identity()?.sign_out(&parts).await;
    let options = expect_context::<leptos_axum::ResponseOptions>();
    if let Ok(value) = http::HeaderValue::from_str(&signed_out.cookie.0) {
        options.append_header(http::header::SET_COOKIE, value);
    }
    leptos_axum::redirect(&signed_out.redirect);
    Ok(())
}
