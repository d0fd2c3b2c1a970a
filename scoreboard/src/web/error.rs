//! What a web request can fail with, as status codes and messages a person can act on.
//!
//! Messages never carry a token or an internal detail: a ledger failure answers a bare 500,
//! its detail riding along in an [`InternalError`] response extension for a logging layer.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use scoreboard_domain::ScoreError;
use scoreboard_ledger::LedgerError;

/// A failed request. Each kind is one status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebError {
    /// 401: the request carried no token.
    NoToken,
    /// 401: the token is not one the ledger knows.
    BadToken,
    /// 403: a valid token, but not for this.
    Forbidden(&'static str),
    /// 403: a state-changing request from another site.
    CrossSite,
    /// 404.
    NotFound(String),
    /// 409: this server is a read-only replica.
    ReadOnly,
    /// 409: the game is over or gone, so it takes no controls.
    GameGone,
    /// 409: the change is not allowed now, and the message says why.
    Conflict(String),
    /// 422: the input is wrong, and the message says how.
    BadInput(String),
    /// 429: too many failed sign-ins from this client.
    TooManyAttempts,
    /// 429: asked again too soon (an endpoint check): it may be asked after this.
    TooSoon(std::time::Duration),
    /// 503: the game did not answer in time.
    GameBusy,
    /// 500: the detail is for the log, never for the client.
    Internal(String),
}

/// The detail of a 500, attached to the response for a logging layer (never in the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalError(pub String);

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NoToken | WebError::BadToken => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) | WebError::CrossSite => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::ReadOnly | WebError::GameGone | WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::BadInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::TooManyAttempts | WebError::TooSoon(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::GameBusy => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told.
    pub fn message(&self) -> String {
        match self {
            WebError::NoToken => {
                "sign in first: send `Authorization: Bearer TOKEN` or sign in on the page".into()
            }
            WebError::BadToken => "that token is not valid (ask the organizers for yours)".into(),
            WebError::Forbidden(why) => (*why).into(),
            WebError::CrossSite => "refused: this request came from another site".into(),
            WebError::NotFound(what) => what.clone(),
            WebError::ReadOnly => "this scoreboard is a read-only replica: controls and changes \
                                   go to the server running the game"
                .into(),
            WebError::GameGone => "the game is not running, so it takes no controls".into(),
            WebError::BadInput(why) | WebError::Conflict(why) => why.clone(),
            WebError::TooManyAttempts => {
                "too many failed sign-ins from here: wait a minute and try again".into()
            }
            WebError::TooSoon(wait) => format!(
                "an endpoint is checked at most once every {} s: try again in {} s",
                crate::live::CHECK_EVERY.as_secs(),
                retry_after(*wait)
            ),
            WebError::GameBusy => "the game did not answer in time: try again".into(),
            WebError::Internal(_) => "internal error".into(),
        }
    }
}

impl From<LedgerError> for WebError {
    fn from(e: LedgerError) -> WebError {
        WebError::Internal(e.to_string())
    }
}

impl From<ScoreError> for WebError {
    fn from(e: ScoreError) -> WebError {
        WebError::Internal(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message() });
        let mut response = (self.status(), Json(body)).into_response();
        decorate(&self, &mut response);
        response
    }
}

/// The headers and extension that go with an error, whatever its body.
pub(crate) fn decorate(error: &WebError, response: &mut Response) {
    let headers = response.headers_mut();
    match error {
        WebError::NoToken | WebError::BadToken => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        WebError::TooManyAttempts => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        WebError::TooSoon(wait) => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after(*wait)));
        }
        WebError::Internal(detail) => {
            response
                .extensions_mut()
                .insert(InternalError(detail.clone()));
        }
        _ => {}
    }
}

/// Whole seconds to wait, rounded up (never 0).
fn retry_after(wait: std::time::Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

/// Any route not listed.
pub(crate) async fn not_found() -> WebError {
    WebError::NotFound("no such page".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_detail_stays_out_of_the_body() {
        let e = WebError::Internal("ledger: disk I/O error at /secret/path".into());
        assert_eq!(e.message(), "internal error");
        let response = e.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.extensions().get::<InternalError>().unwrap().0,
            "ledger: disk I/O error at /secret/path"
        );
    }

    #[test]
    fn every_kind_has_its_status() {
        assert_eq!(WebError::BadToken.status(), 401);
        assert_eq!(WebError::CrossSite.status(), 403);
        assert_eq!(WebError::ReadOnly.status(), 409);
        assert_eq!(WebError::BadInput("x".into()).status(), 422);
        assert_eq!(WebError::TooManyAttempts.status(), 429);
    }
}
