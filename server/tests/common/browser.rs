//! A browser, as far as OIDC sign-in needs one: the portal (driven with `oneshot`) sends it to the real
//! provider, which it follows through the login form (and consent, if asked) back to the callback.

use axum::body::Body;
use axum::http::{Request, Response};
use tower::ServiceExt;

use super::fixtures::REDIRECT_URL;
use super::TestPortal;

/// The provider's cookies (`_interaction*`, `_session*`), kept across requests.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn absorb(&mut self, headers: &reqwest::header::HeaderMap) {
        for value in headers.get_all(reqwest::header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            if let Some((name, value)) = value.split(';').next().and_then(|p| p.split_once('=')) {
                self.0.retain(|(n, _)| n != name);
                self.0.push((name.to_string(), value.to_string()));
            }
        }
    }

    fn header(&self) -> String {
        self.0.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }
}

/// The value of cookie `name` among a response's `Set-Cookie` headers, as `name=value`.
pub fn set_cookie<B>(response: &Response<B>, name: &str) -> Option<String> {
    set_cookie_line(response, name).and_then(|line| line.split(';').next().map(str::to_string))
}

/// The whole `Set-Cookie` line of cookie `name`, attributes included.
pub fn set_cookie_line<B>(response: &Response<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

pub fn location<B>(response: &Response<B>) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// A sign-in the portal started: where it sends the browser, and the cookie naming the sign-in.
pub struct Started {
    pub auth_url: String,
    pub flow_cookie: String,
}

/// Follows the provider from `auth_url` through its login form as `user`, until it redirects to the
/// portal's callback; returns that callback URL (with `code` and `state`).
pub async fn authorize(auth_url: &str, user: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let origin = {
        let u = url::Url::parse(auth_url).unwrap();
        format!("{}://{}", u.scheme(), u.host_str().zip(u.port()).map(|(h, p)| format!("{h}:{p}")).unwrap())
    };
    let absolute = |l: &str| if l.starts_with("http") { l.to_string() } else { format!("{origin}{l}") };
    let mut jar = Jar::default();
    let mut next = auth_url.to_string();
    for _ in 0..12 {
        if next.starts_with(REDIRECT_URL) {
            return next;
        }
        let response = http.get(&next).header("cookie", jar.header()).send().await.expect("provider answers");
        jar.absorb(response.headers());
        if response.status().is_redirection() {
            next = absolute(response.headers()["location"].to_str().unwrap());
            continue;
        }
        let html = response.text().await.unwrap();
        let action = html.split("action=\"").nth(1).and_then(|s| s.split('"').next()).expect("a form").to_string();
        let form: Vec<(&str, &str)> = if html.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", user), ("password", "any-password")]
        } else if html.contains("value=\"consent\"") {
            vec![("prompt", "consent")]
        } else {
            // The logout confirmation and other pages are not part of sign-in.
            panic!("unexpected provider page: {}", &html[..html.len().min(400)]);
        };
        let response =
            http.post(absolute(&action)).header("cookie", jar.header()).form(&form).send().await.expect("form post");
        jar.absorb(response.headers());
        next = absolute(response.headers()["location"].to_str().expect("a redirect after the form"));
    }
    panic!("the provider never sent the browser back to the portal");
}

impl TestPortal {
    /// `GET` on the portal with optional cookies; the raw response.
    pub async fn get(&self, uri: &str, cookies: &[&str]) -> Response<Body> {
        let mut request = Request::get(uri).header("accept", "text/html");
        if !cookies.is_empty() {
            request = request.header("cookie", cookies.join("; "));
        }
        self.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
    }

    /// Presses "Sign in with your organisation account": the portal's redirect to the provider.
    pub async fn start_oidc(&self) -> Started {
        let response = self.get("/auth/login", &[]).await;
        assert_eq!(response.status(), 303, "/auth/login redirects to the provider");
        let flow_cookie = set_cookie(&response, "portal_sign_in").expect("a sign-in cookie");
        Started { auth_url: location(&response), flow_cookie }
    }

    /// The provider's redirect back to the portal, as the browser makes it.
    pub async fn callback(&self, callback_url: &str, cookies: &[&str]) -> Response<Body> {
        let path = callback_url.strip_prefix("http://127.0.0.1:3000").expect("the portal's callback");
        self.get(path, cookies).await
    }

    /// Signs `user` in through the provider; returns the portal's session cookie (`portal_session=...`).
    pub async fn oidc_sign_in(&self, user: &str) -> String {
        let started = self.start_oidc().await;
        let callback = authorize(&started.auth_url, user).await;
        let response = self.callback(&callback, &[&started.flow_cookie]).await;
        assert_eq!(location(&response), "/inbox", "{user} is signed in");
        set_cookie(&response, "portal_session").expect("a session cookie")
    }
}
