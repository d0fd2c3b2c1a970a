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
use crate::live::{Command, Control, Refusal, Reply};
use scoreboard_domain::projection::EndpointCheck;
use scoreboard_ledger::{WriteDone, WriteRequest};

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

/// Sends a command that has no answer (pause, freeze, announce…).
pub(crate) fn tell(state: &WebState, command: Command) -> Result<(), WebError> {
    writable(state)?;
    if state.view.send(command.into()) {
        Ok(())
    } else {
        Err(WebError::GameGone)
    }
}

/// Sends `command` and waits for the runner's answer; a refusal comes back with its status
/// (see [`refused`]) and the runner's reason.
pub(crate) async fn ask(state: &WebState, command: Command) -> Result<(), WebError> {
    writable(state)?;
    let (reply, answer) = oneshot::channel();
    if !state
        .view
        .send(Control::Command(command, Reply::Done(reply)))
    {
        return Err(WebError::GameGone);
    }
    match tokio::time::timeout(REPLY_WITHIN, answer).await {
        Err(_) => Err(WebError::GameBusy),
        Ok(Err(_)) => Err(WebError::GameGone),
        Ok(Ok(Err(refusal))) => Err(refused(refusal)),
        Ok(Ok(Ok(()))) => Ok(()),
    }
}

/// The web's answer to the core's refusal: no such team 404, invalid 422, conflict 409,
/// too soon 429, each with the core's words.
pub(crate) fn refused(refusal: Refusal) -> WebError {
    match refusal {
        Refusal::NoSuchTeam(_) => WebError::NotFound(refusal.to_string()),
        Refusal::Invalid(why) => WebError::BadInput(why),
        Refusal::Conflict(why) => WebError::Conflict(why),
        Refusal::TooSoon(wait) => WebError::TooSoon(wait),
    }
}

/// How long a check of a team's endpoint may take before the page is told to look again:
/// the probe's four requests, each within the game's timeout.
const CHECK_WITHIN: Duration = Duration::from_secs(60);

/// Asks the game for something a probe of a team's endpoint answers (a new URL, a check),
/// and waits for what it found.
pub(crate) async fn ask_check(
    state: &WebState,
    command: Command,
) -> Result<EndpointCheck, WebError> {
    writable(state)?;
    let (reply, answer) = oneshot::channel();
    if !state
        .view
        .send(Control::Command(command, Reply::Check(reply)))
    {
        return Err(WebError::GameGone);
    }
    match tokio::time::timeout(CHECK_WITHIN, answer).await {
        Err(_) => Err(WebError::GameBusy),
        Ok(Err(_)) => Err(WebError::GameGone),
        Ok(Ok(Err(refusal))) => Err(refused(refusal)),
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

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn each_refusal_of_the_core_has_its_status_and_its_words() {
        let cases = [
            (
                Refusal::NoSuchTeam("zulu".into()),
                StatusCode::NOT_FOUND,
                "no team is called \"zulu\"",
            ),
            (
                Refusal::Invalid("not a URL".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "not a URL",
            ),
            (
                Refusal::Conflict("a simulated team".into()),
                StatusCode::CONFLICT,
                "a simulated team",
            ),
            (
                Refusal::TooSoon(Duration::from_secs(7)),
                StatusCode::TOO_MANY_REQUESTS,
                "",
            ),
        ];
        for (refusal, status, words) in cases {
            let e = refused(refusal.clone());
            assert_eq!(e.status(), status, "{refusal:?}");
            assert!(e.message().contains(words), "{refusal:?}: {e:?}");
        }
    }
}
