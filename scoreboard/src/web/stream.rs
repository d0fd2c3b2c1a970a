//! Server-sent event streams: a team's own line per published snapshot and its score events
//! as they are recorded. (The board and the admin's status, the same for every viewer, are
//! rendered once per snapshot in `frames.rs`.) Every stream ends when the server shuts down,
//! so graceful shutdown does not wait on open pages.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::{broadcast, watch};

use super::json;
use super::state::WebState;
use crate::event_json::EventJson;
use crate::live::Snapshot;
use scoreboard_domain::{ScoreEvent, Source};

/// How often an idle stream sends a comment, so proxies keep it open.
pub(super) const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub(crate) type EventStream = Sse<axum::response::sse::KeepAliveStream<BoxedEvents>>;
pub(crate) type BoxedEvents =
    std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>>;

fn sse(events: BoxedEvents) -> EventStream {
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// The next snapshot, or `None` when the server closes. A game that is gone publishes no
/// more, so the stream then just waits for the close (the page keeps the last board).
pub(super) async fn next_snapshot(
    snapshot: &mut watch::Receiver<Arc<Snapshot>>,
    closing: &mut watch::Receiver<bool>,
) -> Option<Arc<Snapshot>> {
    let changed = tokio::select! {
        changed = snapshot.changed() => changed,
        _ = closing.wait_for(|c| *c) => return None,
    };
    match changed {
        Ok(()) => Some(snapshot.borrow_and_update().clone()),
        Err(_) => {
            let _ = closing.wait_for(|c| *c).await;
            None
        }
    }
}

/// `event` as an SSE message of type `kind` with a JSON body.
pub(crate) fn json_event(kind: &str, body: &impl serde::Serialize) -> Event {
    Event::default()
        .event(kind)
        .json_data(body)
        .unwrap_or_else(|_| Event::default().event("error").data("unencodable"))
}

/// What a team's stream follows.
struct TeamFeed {
    team: String,
    source: Option<Source>,
    snapshot: watch::Receiver<Arc<Snapshot>>,
    events: Option<broadcast::Receiver<ScoreEvent>>,
    closing: watch::Receiver<bool>,
}

impl TeamFeed {
    /// The next message for the team: one of its score events (`score`), its line after a
    /// snapshot (`status`), or `lagged` when it fell behind and should re-read its history.
    async fn next(&mut self) -> Option<Event> {
        loop {
            let event = tokio::select! {
                _ = self.closing.wait_for(|c| *c) => return None,
                changed = self.snapshot.changed(), if self.snapshot.has_changed().is_ok() => {
                    if changed.is_err() {
                        continue;
                    }
                    let latest = self.snapshot.borrow_and_update().clone();
                    Some(json_event("status", &json::team_status(&latest, &self.team)))
                }
                received = recv(&mut self.events) => match received {
                    Ok(e) if e.team == self.team && self.source.is_none_or(|s| s == e.source) => {
                        Some(json_event("score", &EventJson::from(&e)))
                    }
                    Ok(_) => None,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        Some(Event::default().event("lagged").data("{}"))
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        self.events = None;
                        None
                    }
                },
            };
            if event.is_some() {
                return event;
            }
        }
    }
}

/// The next event, or never once the game stopped sending them.
async fn recv(
    events: &mut Option<broadcast::Receiver<ScoreEvent>>,
) -> Result<ScoreEvent, broadcast::error::RecvError> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// `team`'s score events from now on (of `source` only, if given), and its line whenever a
/// snapshot is published, starting with the current one.
pub(crate) fn team(state: &WebState, team: String, source: Option<Source>) -> EventStream {
    let mut snapshot = state.view.snapshot.clone();
    snapshot.mark_changed();
    let feed = TeamFeed {
        team,
        source,
        snapshot,
        events: Some(state.view.follow()),
        closing: state.closing.subscribe(),
    };
    let events = stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    sse(Box::pin(events))
}
