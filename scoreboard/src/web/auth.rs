//! Who is asking: a team or the admin, by a token in `Authorization: Bearer` or the sign-in
//! cookie; the sign-in and sign-out routes; the limit on failed sign-ins; and the refusal of
//! cross-site state changes.
//!
//! A token is only ever compared (as a digest, in constant time) and put in the cookie of the
//! browser that presented it: it is never logged, echoed or put in an error.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::WebError;
use super::html::{self, Tab};
use super::state::WebState;
use super::store;
use scoreboard_domain::tokens::ADMIN;

/// The cookie that holds a signed-in browser's token.
pub(crate) const COOKIE: &str = "gameday_token";

/// Failed sign-ins a client may make per [`FAILURE_WINDOW`] before it gets 429.
pub(crate) const FAILURES_ALLOWED: usize = 5;
pub(crate) const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Tokens are 43 characters; anything much longer is not one (and is not hashed).
const LONGEST_TOKEN: usize = 256;

/// How long the sign-in cookie lasts: a game day.
const COOKIE_MAX_AGE_S: u32 = 24 * 3600;

/// A caller with a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    Team(String),
    Admin,
}

/// A caller with the admin token (any other caller is refused with 403).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Admin;

/// Where a request came from, for the sign-in limit: the peer address when the server
/// knows it (see [`super::serve`]), else one bucket for every client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey(Option<IpAddr>);

impl ClientKey {
    pub(crate) fn of(extensions: &axum::http::Extensions) -> ClientKey {
        ClientKey(
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        )
    }
}

/// Failed sign-ins per client over a sliding window.
#[derive(Debug)]
pub(crate) struct SignInLimiter {
    allowed: usize,
    window: Duration,
    failures: Mutex<HashMap<ClientKey, VecDeque<Instant>>>,
}

impl SignInLimiter {
    pub(crate) fn new(allowed: usize, window: Duration) -> SignInLimiter {
        SignInLimiter {
            allowed,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(429)` while `client` has used up its failures.
    fn check(&self, client: ClientKey) -> Result<(), WebError> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = failures.get_mut(&client) else {
            return Ok(());
        };
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.len() >= self.allowed {
            return Err(WebError::TooManyAttempts);
        }
        Ok(())
    }

    fn fail(&self, client: ClientKey) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget clients whose failures have all aged out, so the map stays small.
        let window = self.window;
        failures.retain(|_, times| times.back().is_some_and(|t| now - *t < window));
        failures.entry(client).or_default().push_back(now);
    }
}

/// The token a request presents: a bearer token first, else the sign-in cookie.
pub(crate) fn presented_token(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    if let Some(token) = bearer.filter(|t| !t.is_empty()) {
        return Some(token.to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// Whose `token` is, counting a wrong one against `client`.
pub(crate) async fn check_token(
    state: &WebState,
    token: String,
    client: ClientKey,
) -> Result<Caller, WebError> {
    state.limiter.check(client)?;
    let owner = if token.len() > LONGEST_TOKEN {
        None
    } else {
        store::owner_of(state, token).await?
    };
    match owner {
        Some(owner) if owner == ADMIN => Ok(Caller::Admin),
        Some(team) => Ok(Caller::Team(team)),
        None => {
            state.limiter.fail(client);
            Err(WebError::BadToken)
        }
    }
}

/// The caller of a request: 401 without a valid token.
pub(crate) async fn authenticate(state: &WebState, parts: &Parts) -> Result<Caller, WebError> {
    let token = presented_token(&parts.headers).ok_or(WebError::NoToken)?;
    check_token(state, token, ClientKey::of(&parts.extensions)).await
}

impl FromRequestParts<WebState> for Caller {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Caller, WebError> {
        authenticate(state, parts).await
    }
}

impl FromRequestParts<WebState> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Admin, WebError> {
        match authenticate(state, parts).await? {
            Caller::Admin => Ok(Admin),
            Caller::Team(_) => Err(WebError::Forbidden("this needs the admin token")),
        }
    }
}

/// The sign-in form's body.
#[derive(Deserialize)]
pub(crate) struct SignIn {
    token: String,
}

/// `POST /team/signin`, `POST /admin/signin`: a valid token goes into an HttpOnly,
/// SameSite=Strict cookie and the browser goes to its page; a wrong one gets the form again.
pub(crate) async fn sign_in(
    State(state): State<WebState>,
    parts: Parts,
    form: Result<Form<SignIn>, axum::extract::rejection::FormRejection>,
) -> Response {
    let tab = if parts.uri.path().starts_with("/admin") {
        Tab::Admin
    } else {
        Tab::Team
    };
    let game = state.view.now().game.clone();
    let result = match form {
        Ok(Form(SignIn { token })) => {
            let token = token.trim().to_string();
            check_token(&state, token.clone(), ClientKey::of(&parts.extensions))
                .await
                .map(|caller| (caller, token))
        }
        Err(_) => Err(WebError::BadInput("send the form with a token".into())),
    };
    match result {
        Ok((caller, token)) => {
            let to = match caller {
                Caller::Admin => "/admin",
                Caller::Team(_) => "/team",
            };
            let cookie = format!(
                "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={COOKIE_MAX_AGE_S}"
            );
            let mut response = Redirect::to(to).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(WebError::Internal(detail)) => {
            html::error_page(tab, &game, &WebError::Internal(detail))
        }
        Err(error) => {
            let (action, what) = door(tab);
            let body = html::sign_in_form(action, what, Some(&error.message()));
            let mut response =
                (error.status(), html::page(tab, &game, &body, None)).into_response();
            super::error::decorate(&error, &mut response);
            response
        }
    }
}

/// The sign-in form's target and label on `tab`'s page.
pub(crate) fn door(tab: Tab) -> (&'static str, &'static str) {
    match tab {
        Tab::Admin => ("/admin/signin", "Admin token"),
        _ => ("/team/signin", "Team token"),
    }
}

/// `POST /signout`: forgets the cookie.
pub(crate) async fn sign_out() -> Response {
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("gameday_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// Refuses a state-changing request from another site: a `Sec-Fetch-Site` other than
/// same-origin, or an `Origin` that is not this server's `Host`. Clients that send neither
/// (curl, scripts with a bearer token) pass.
pub(crate) async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if !request.method().is_safe() && is_cross_site(request.headers()) {
        return WebError::CrossSite.into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .map(|v: &HeaderValue| v.to_str().unwrap_or(""))
    };
    let site = text(header::HeaderName::from_static("sec-fetch-site"));
    if site.is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return true;
    }
    let Some(origin) = text(header::ORIGIN) else {
        return false;
    };
    let Some(host) = text(header::HOST) else {
        return true;
    };
    match origin_authority(origin) {
        Some((scheme, authority)) => {
            normalize(scheme, &authority) != normalize(scheme, &host.to_ascii_lowercase())
        }
        None => true,
    }
}

/// `("http", "example.org:8080")` from `http://Example.org:8080`; `None` for `null` and
/// anything that is not a plain origin.
fn origin_authority(origin: &str) -> Option<(&'static str, String)> {
    let origin = origin.trim().to_ascii_lowercase();
    let (scheme, rest) = if let Some(rest) = origin.strip_prefix("http://") {
        ("http", rest)
    } else {
        ("https", origin.strip_prefix("https://")?)
    };
    (!rest.is_empty() && !rest.contains('/')).then(|| (scheme, rest.to_string()))
}

/// An authority without its scheme's default port.
fn normalize(scheme: &str, authority: &str) -> String {
    let default = if scheme == "http" { ":80" } else { ":443" };
    authority
        .strip_suffix(default)
        .unwrap_or(authority)
        .to_string()
}

/// 403 for a page when the caller is signed in with a token of the wrong kind, with the
/// form to sign in with the right one (which replaces the cookie).
pub(crate) fn wrong_kind(tab: Tab, game: &str) -> Response {
    let error = match tab {
        Tab::Admin => {
            WebError::Forbidden("you are signed in as a team: this page needs the admin token")
        }
        _ => WebError::Forbidden("you are signed in as the admin: this page needs a team token"),
    };
    let (action, what) = door(tab);
    let body = format!(
        "{}{}",
        html::sign_in_form(action, what, Some(&error.message())),
        html::sign_out_form()
    );
    // A slip's QR code opened while signed in as the admin still signs in as its team.
    let script = (tab == Tab::Team).then_some("signin.js");
    (StatusCode::FORBIDDEN, html::page(tab, game, &body, script)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn bearer_wins_over_the_cookie() {
        let h = headers(&[
            ("authorization", "Bearer abc"),
            ("cookie", "x=1; gameday_token=def"),
        ]);
        assert_eq!(presented_token(&h).as_deref(), Some("abc"));
        let h = headers(&[("cookie", "x=1; gameday_token=def")]);
        assert_eq!(presented_token(&h).as_deref(), Some("def"));
        assert_eq!(
            presented_token(&headers(&[("cookie", "gameday_token=")])),
            None
        );
        assert_eq!(
            presented_token(&headers(&[("authorization", "Basic x")])),
            None
        );
    }

    #[test]
    fn cross_site_is_told_by_origin_and_fetch_metadata() {
        let same = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert!(!is_cross_site(&same));
        let default_port = headers(&[
            ("host", "game.example:80"),
            ("origin", "http://game.example"),
        ]);
        assert!(!is_cross_site(&default_port));
        let other = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
        ]);
        assert!(is_cross_site(&other));
        assert!(is_cross_site(&headers(&[
            ("host", "a"),
            ("origin", "null")
        ])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[])));
    }

    #[test]
    fn the_limiter_counts_failures_per_client_in_a_window() {
        let limiter = SignInLimiter::new(2, Duration::from_millis(50));
        let a = ClientKey(Some("10.0.0.1".parse().unwrap()));
        let b = ClientKey(Some("10.0.0.2".parse().unwrap()));
        limiter.fail(a);
        assert!(limiter.check(a).is_ok());
        limiter.fail(a);
        assert_eq!(limiter.check(a), Err(WebError::TooManyAttempts));
        assert!(limiter.check(b).is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert!(limiter.check(a).is_ok());
    }
}
