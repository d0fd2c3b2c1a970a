//! The ledger as the web reads it: opened per request on a blocking thread (ledger calls
//! block), for history, the owners of tokens, and new tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use super::WebState;
use super::error::WebError;
use crate::ledger::{EventFilter, Ledger};
use crate::tokens::{self, TokenHash};
use crate::{ScoreError, ScoreEvent};

/// Runs `f` on the ledger, off the async threads.
pub(crate) async fn with_ledger<T, F>(state: &WebState, f: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Ledger) -> Result<T, ScoreError> + Send + 'static,
{
    let at = state.ledger.clone();
    tokio::task::spawn_blocking(move || {
        let mut ledger = at.open_existing()?;
        f(&mut *ledger)
    })
    .await
    .map_err(|e| WebError::Internal(format!("ledger task failed: {e}")))?
    .map_err(WebError::from)
}

/// Whose token `token` is: a team name or [`tokens::ADMIN`], `None` for no one's.
pub(crate) async fn owner_of(state: &WebState, token: String) -> Result<Option<String>, WebError> {
    with_ledger(state, move |ledger| {
        let owner = ledger
            .token_hashes()?
            .into_iter()
            .find(|(_, hash)| hash.verify(&token))
            .map(|(owner, _)| owner);
        Ok(owner)
    })
    .await
}

/// Owners that have a token.
pub(crate) async fn token_owners(state: &WebState) -> Result<Vec<String>, WebError> {
    with_ledger(state, |ledger| {
        Ok(ledger
            .token_hashes()?
            .into_iter()
            .map(|(owner, _)| owner)
            .collect())
    })
    .await
}

/// A fresh token for `owner`, stored (as its digest) in place of the old one.
pub(crate) async fn new_token(state: &WebState, owner: String) -> Result<String, WebError> {
    with_ledger(state, move |ledger| {
        let (token, hash): (String, TokenHash) = tokens::generate()?;
        ledger.store_token(&owner, &hash, now_unix_ms())?;
        Ok(token)
    })
    .await
}

/// One page of history, newest first, and where the next (older) page starts.
#[derive(Debug)]
pub(crate) struct EventPage {
    pub events: Vec<ScoreEvent>,
    /// Pass as `before` for the next page; `None` when this was the last.
    pub next_before: Option<u64>,
}

/// The newest `limit` events matching `filter` before its `before`, never splitting the
/// events of one game-time instant across two pages (many share a tick's end), so paging by
/// time neither skips nor repeats an event.
pub(crate) async fn event_page(
    state: &WebState,
    filter: EventFilter,
    limit: usize,
) -> Result<EventPage, WebError> {
    with_ledger(state, move |ledger| {
        let mut events = ledger.events(&EventFilter {
            limit: Some(limit),
            ..filter.clone()
        })?;
        if events.len() < limit {
            return Ok(EventPage {
                events,
                next_before: None,
            });
        }
        let oldest = events.last().map(|e| e.at).expect("a full page has events");
        if events.iter().all(|e| e.at == oldest) {
            // One instant fills the page: give all of it.
            events = ledger.events(&EventFilter {
                since: Some(oldest),
                before: Some(crate::GameTime(oldest.0 + 1)),
                limit: None,
                ..filter
            })?;
            events.reverse();
            return Ok(EventPage {
                events,
                next_before: Some(oldest.0),
            });
        }
        // The rest of the oldest instant starts the next page, all of it.
        events.retain(|e| e.at != oldest);
        Ok(EventPage {
            events,
            next_before: Some(oldest.0 + 1),
        })
    })
    .await
}

pub(crate) fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
