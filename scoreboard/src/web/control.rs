//! Asking the game for a change: the read-only check, sending a [`Control`] and waiting for
//! the runner's answer, and JSON bodies whose errors say what was expected without echoing
//! what was sent.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::WebState;
use super::error::WebError;
use crate::ledger::{WriteDone, WriteRequest};
use crate::live::{CheckReply, Control, Refusal};
use crate::projection::EndpointCheck;

/// How long the runner has to answer an adjustment.
const REPLY_WITHIN: Duration = Duration::from_secs(10);

/// `Err(409)` on a read-only replica.
pub(crate) fn writable(state: &WebState) -> Result<(), WebError> {
    if state.read_only {
        Err(WebError::ReadOnly)
    } else {
        Ok(())
    }
}

/// Sends a control that has no answer (pause, freeze, announce…).
pub(crate) fn tell(state: &WebState, control: Control) -> Result<(), WebError> {
    writable(state)?;
    if state.view.send(control) {
        Ok(())
    } else {
        Err(WebError::GameGone)
    }
}

/// Sends the control `make` builds around a reply channel and waits for the runner's answer;
/// a refusal comes back as 422 with the runner's reason.
pub(crate) async fn ask(
    state: &WebState,
    make: impl FnOnce(oneshot::Sender<Result<(), String>>) -> Control,
) -> Result<(), WebError> {
    writable(state)?;
    let (reply, answer) = oneshot::channel();
    if !state.view.send(make(reply)) {
        return Err(WebError::GameGone);
    }
    match tokio::time::timeout(REPLY_WITHIN, answer).await {
        Err(_) => Err(WebError::GameBusy),
        Ok(Err(_)) => Err(WebError::GameGone),
        Ok(Ok(Err(reason))) => Err(WebError::BadInput(reason)),
        Ok(Ok(Ok(()))) => Ok(()),
    }
}

/// How long a check of a team's endpoint may take before the page is told to look again:
/// the probe's four requests, each within the game's timeout.
const CHECK_WITHIN: Duration = Duration::from_secs(60);

/// Asks the game for something a probe of a team's endpoint answers (a new URL, a check),
/// and waits for what it found.
pub(crate) async fn ask_check(
    state: &WebState,
    make: impl FnOnce(oneshot::Sender<CheckReply>) -> Control,
) -> Result<EndpointCheck, WebError> {
    writable(state)?;
    let (reply, answer) = oneshot::channel();
    if !state.view.send(make(reply)) {
        return Err(WebError::GameGone);
    }
    match tokio::time::timeout(CHECK_WITHIN, answer).await {
        Err(_) => Err(WebError::GameBusy),
        Ok(Err(_)) => Err(WebError::GameGone),
        Ok(Ok(Err(Refusal::TooSoon(wait)))) => Err(WebError::TooSoon(wait)),
        Ok(Ok(Err(Refusal::Invalid(reason)))) => Err(WebError::BadInput(reason)),
        Ok(Ok(Ok(check))) => Ok(check),
    }
}

/// Stores `request` in the ledger through the game's one writer (the web reads the ledger
/// but never writes it itself), and waits until it is stored.
pub(crate) async fn write(state: &WebState, request: WriteRequest) -> Result<(), WebError> {
    writable(state)?;
    let (reply, answer) = oneshot::channel();
    if !state.view.send(Control::Write { request, reply }) {
        return Err(WebError::GameGone);
    }
    match tokio::time::timeout(REPLY_WITHIN, answer).await {
        Err(_) => Err(WebError::GameBusy),
        Ok(Err(_)) => Err(WebError::GameGone),
        Ok(Ok(WriteDone::Failed(e))) => Err(WebError::from(e)),
        Ok(Ok(_)) => Ok(()),
    }
}

/// A JSON body; a wrong one is a 422 that names the problem, never the content.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<JsonBody<T>, WebError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(body)) => Ok(JsonBody(body)),
            Err(rejection) => Err(WebError::BadInput(problem(&rejection).into())),
        }
    }
}

fn problem(rejection: &JsonRejection) -> &'static str {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with `Content-Type: application/json`"
        }
        JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON",
        JsonRejection::JsonDataError(_) => {
            "the body's fields are missing or of the wrong type (see the API README)"
        }
        _ => "the body could not be read",
    }
}
