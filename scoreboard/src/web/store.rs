//! The ledger as the web reads it: through the pool of long-lived handles (ledger calls
//! block, so on a blocking thread), for history, the owners of tokens, and new tokens. Token
//! digests are kept in memory; the newest page of a team's events comes from the live
//! snapshot when it holds the page.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::error::WebError;
use super::pool::with_handle;
use super::state::WebState;
use crate::live::TeamRow;
use scoreboard_domain::tokens::{self, TokenHash};
use scoreboard_domain::{GameTime, ScoreEvent};
use scoreboard_ledger::LedgerError;
use scoreboard_ledger::{EventFilter, Ledger};

/// The web's reads of the ledger: long-lived handles, and the token digests read through
/// them.
#[derive(Clone)]
pub(crate) struct Reads {
    pub pool: super::pool::LedgerPool,
    pub digests: Arc<TokenDigests>,
}

/// Runs `f` on a pooled ledger handle, off the async threads.
pub(crate) async fn with_ledger<T, F>(state: &WebState, f: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Ledger) -> Result<T, LedgerError> + Send + 'static,
{
    with_handle(&state.reads.pool, f).await
}

/// How long the token digests read from the ledger are trusted before they are read again:
/// a token replaced here is forgotten at once; one replaced by another process (`gameday
/// teams`) at most this long after.
const DIGESTS_FRESH: Duration = Duration::from_secs(1);

/// Every (owner, digest) the ledger holds.
type Digests = Vec<(String, TokenHash)>;

/// The token digests as last read from the ledger, and when.
#[derive(Debug, Default)]
pub(crate) struct TokenDigests {
    read: Mutex<Option<(Instant, Digests)>>,
}

impl TokenDigests {
    /// The digests last read, and whether they are still fresh.
    fn last(&self) -> Option<(Digests, bool)> {
        let read = self.read.lock().expect("no panic holds it");
        read.as_ref()
            .map(|(at, digests)| (digests.clone(), at.elapsed() < DIGESTS_FRESH))
    }

    fn keep(&self, digests: Digests) {
        *self.read.lock().expect("no panic holds it") = Some((Instant::now(), digests));
    }

    /// Forgets the digests (a token was replaced).
    fn forget(&self) {
        *self.read.lock().expect("no panic holds it") = None;
    }
}

/// How long a request waits for the ledger to read the digests again when it has stale ones:
/// past that (a ledger that stopped answering) the stale ones stand, so that a stalled
/// database never stalls the organizer's controls.
const DIGESTS_WAIT: Duration = Duration::from_millis(500);

/// Every (owner, digest), from memory while fresh; while the ledger is slow or away, as last
/// read (a token replaced here is never among them: it is forgotten at once).
async fn digests(state: &WebState) -> Result<Digests, WebError> {
    let last = state.reads.digests.last();
    let stale = match last {
        Some((digests, true)) => return Ok(digests),
        Some((digests, false)) => Some(digests),
        None => None,
    };
    let read = with_ledger(state, |ledger| ledger.token_hashes());
    let digests = match stale {
        None => read.await?,
        Some(stale) => match tokio::time::timeout(DIGESTS_WAIT, read).await {
            Ok(Ok(digests)) => digests,
            Ok(Err(_)) | Err(_) => return Ok(stale),
        },
    };
    state.reads.digests.keep(digests.clone());
    Ok(digests)
}

/// Whose token `token` is: a team name or [`tokens::ADMIN`], `None` for no one's.
pub(crate) async fn owner_of(state: &WebState, token: String) -> Result<Option<String>, WebError> {
    // One digest of the token, compared in constant time with each stored one.
    let presented = TokenHash::of(&token);
    Ok(digests(state)
        .await?
        .into_iter()
        .find(|(_, hash)| hash.matches(&presented))
        .map(|(owner, _)| owner))
}

/// Owners that have a token.
pub(crate) async fn token_owners(state: &WebState) -> Result<Vec<String>, WebError> {
    Ok(digests(state)
        .await?
        .into_iter()
        .map(|(owner, _)| owner)
        .collect())
}

/// A fresh token for `owner`, stored (as its digest) in place of the old one, which stops
/// working at once.
pub(crate) async fn new_token(state: &WebState, owner: String) -> Result<String, WebError> {
    let (token, hash): (String, TokenHash) = tokens::generate()?;
    let stored = super::control::write(
        state,
        scoreboard_ledger::WriteRequest::Token {
            owner,
            hash,
            now_unix_ms: now_unix_ms(),
        },
    )
    .await;
    state.reads.digests.forget();
    stored.map(|()| token)
}

/// One page of history, newest first, and where the next (older) page starts.
#[derive(Debug)]
pub(crate) struct EventPage {
    pub events: Vec<ScoreEvent>,
    /// Pass as `before` for the next page; `None` when this was the last.
    pub next_before: Option<u64>,
}

/// The newest page of a team's events (all sources) from its live line, when the line holds
/// it: the line keeps the team's latest events, and every one of them while they are few.
/// Cut as [`event_page`] cuts, so paging on from it through the ledger neither skips nor
/// repeats an event. `None` when the ledger must answer.
pub(crate) fn newest_page(row: &TeamRow, limit: usize) -> Option<EventPage> {
    let recent = &row.recent;
    let complete = row.event_count > 0 && row.event_count == recent.len() as u64;
    if recent.len() <= limit {
        return complete.then(|| EventPage {
            events: recent.iter().map(|e| ScoreEvent::clone(e)).collect(),
            next_before: None,
        });
    }
    let oldest = recent[limit - 1].at;
    let in_page = |e: &&Arc<ScoreEvent>| e.at != oldest;
    if recent[..limit].iter().all(|e| e.at == oldest) {
        // One instant fills the page: all of it, if the line holds all of it.
        let end = recent.iter().position(|e| e.at != oldest)?;
        return Some(EventPage {
            events: recent[..end].iter().map(|e| ScoreEvent::clone(e)).collect(),
            next_before: Some(oldest.0),
        });
    }
    Some(EventPage {
        events: recent[..limit]
            .iter()
            .filter(in_page)
            .map(|e| ScoreEvent::clone(e))
            .collect(),
        next_before: Some(oldest.0 + 1),
    })
}

/// The newest `limit` events matching `filter` before its `before`, never splitting the
/// events of one game-time instant across two pages (many share a tick's end), so paging by
/// time neither skips nor repeats an event.
pub(crate) async fn event_page(
    state: &WebState,
    filter: EventFilter,
    limit: usize,
) -> Result<EventPage, WebError> {
    with_ledger(state, move |ledger| ledger_page(ledger, filter, limit)).await
}

/// [`event_page`] on a ledger handle.
fn ledger_page(
    ledger: &dyn Ledger,
    filter: EventFilter,
    limit: usize,
) -> Result<EventPage, LedgerError> {
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
            before: Some(GameTime(oldest.0 + 1)),
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
}

pub(crate) fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::{Points, Source};
    use scoreboard_ledger::prelude::*;

    /// Events newest first: `times` in game seconds, several per instant.
    fn row(times: &[u64], event_count: u64) -> TeamRow {
        let recent: Vec<ScoreEvent> = times
            .iter()
            .enumerate()
            .map(|(i, t)| ScoreEvent {
                at: GameTime(t * 1000),
                team: "a".into(),
                source: Source::LoadGen,
                points: Points(1),
                reason: String::new(),
                kind: scoreboard_domain::EventKind::Correct,
                count: 1,
                cause: format!("c{:03}", 999 - i),
                seq: 0,
            })
            .collect();
        TeamRow {
            recent: Arc::new(recent.into_iter().map(Arc::new).collect()),
            event_count,
            ..TeamRow::default()
        }
    }

    fn times(page: &EventPage) -> Vec<u64> {
        page.events.iter().map(|e| e.at.0 / 1000).collect()
    }

    #[test]
    fn the_newest_page_is_cut_as_the_ledger_cuts_it() {
        let r = row(&[9, 9, 8, 8, 8, 7, 6], 100);
        // The page would end inside instant 8: 8 starts the next page, all of it.
        let page = newest_page(&r, 4).unwrap();
        assert_eq!(times(&page), [9, 9]);
        assert_eq!(page.next_before, Some(8_001));
        // A page that ends at an instant's end keeps it.
        let page = newest_page(&r, 6).unwrap();
        assert_eq!(times(&page), [9, 9, 8, 8, 8]);
        assert_eq!(page.next_before, Some(7_001));
    }

    #[test]
    fn an_instant_that_fills_the_page_is_given_whole_or_left_to_the_ledger() {
        let r = row(&[9, 9, 9, 8], 100);
        let page = newest_page(&r, 2).unwrap();
        assert_eq!(times(&page), [9, 9, 9]);
        assert_eq!(page.next_before, Some(9_000));
        // The line ends inside the instant: the ledger knows the rest of it.
        assert!(newest_page(&row(&[9, 9, 9], 100), 2).is_none());
    }

    /// The page from a game's live line equals the ledger's page, at every page size.
    #[test]
    fn the_newest_page_from_memory_is_the_ledgers() {
        use scoreboard_domain::{Adjustment, GameProjection, Rules, Scorer};
        use scoreboard_ledger::SqliteLedger;
        use scoreboard_ledger::{GameMeta, Recorded};
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = SqliteLedger::open(&dir.path().join("g.db")).unwrap();
        let teams = vec!["a".to_owned(), "b".to_owned()];
        let meta = GameMeta {
            name: "g".into(),
            seed: 1,
            rules: Rules::default(),
            teams: teams.clone(),
            registering: Vec::new(),
            duration_ms: 0,
        };
        ledger.start_or_resume(&meta, 0).unwrap();
        let scorer = Scorer::new(Rules::default()).unwrap();
        let mut projection = GameProjection::new(&teams, Rules::default().billing.price, None);
        // Adjustments of both teams, several at some instants (as a tick's end gathers them).
        for i in 0..400u64 {
            let recorded = Recorded::Adjustment(Adjustment {
                id: format!("adj-{i}"),
                at: GameTime((i / (1 + i % 4)) * 1000),
                team: teams[(i % 3 == 0) as usize].clone(),
                points: Points(1000),
                reason: "r".into(),
                by: "admin".into(),
            });
            let events = scorer.events(&recorded);
            ledger
                .record(&[(recorded.clone(), events.clone())])
                .unwrap();
            projection.apply(&recorded, &events);
        }
        let rows = projection.rows();
        let row = rows.iter().find(|r| r.team == "a").unwrap();
        let mut from_memory = 0;
        let most = scoreboard_domain::projection::RECENT_EVENTS;
        for limit in 1..=most {
            let Some(memory) = newest_page(row, limit) else {
                continue;
            };
            from_memory += 1;
            let filter = EventFilter {
                team: Some("a".into()),
                ..Default::default()
            };
            let stored = ledger_page(&ledger, filter, limit).unwrap();
            assert_eq!(memory.events, stored.events, "limit {limit}");
            assert_eq!(memory.next_before, stored.next_before, "limit {limit}");
        }
        // Every page but those whose last instant's ties run past the line's end.
        assert!(
            from_memory > most - 5,
            "only {from_memory} of {most} pages came from memory"
        );
    }

    #[test]
    fn a_short_history_is_whole_only_when_the_line_holds_all_of_it() {
        let page = newest_page(&row(&[3, 2, 1], 3), 50).unwrap();
        assert_eq!(times(&page), [3, 2, 1]);
        assert_eq!(page.next_before, None);
        assert!(newest_page(&row(&[3, 2, 1], 500), 50).is_none());
        assert!(newest_page(&row(&[], 0), 50).is_none());
    }
}
